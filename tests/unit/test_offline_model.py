import json
from types import SimpleNamespace
from typing import Any

from agents import ModelSettings
from agents.models.interface import ModelTracing

from shared.agent.offline_model import OFFLINE_MODEL_NAME, OfflineModel

TOOLS = [
    "create_ticket",
    "get_customer_history",
    "search_knowledge_base",
    "send_response",
    "escalate_to_human",
]
QUESTION = {
    "role": "user",
    "content": "Channel: email\nSubject: Password\n\nHow do I reset my password?",
}


async def _step(items: list[dict[str, Any]]) -> Any:
    tools = [SimpleNamespace(name=name) for name in TOOLS]
    response = await OfflineModel().get_response(
        None,
        items,
        ModelSettings(),
        tools,
        None,
        [],
        ModelTracing.DISABLED,  # type: ignore[arg-type]
        previous_response_id=None,
        conversation_id=None,
        prompt=None,
    )
    [item] = response.output
    return item


def _call(name: str, call_id: str, arguments: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "type": "function_call",
        "name": name,
        "call_id": call_id,
        "arguments": json.dumps(arguments or {}),
    }


def _output(call_id: str, output: object) -> dict[str, Any]:
    return {"type": "function_call_output", "call_id": call_id, "output": json.dumps(output)}


TICKET = [
    _call("create_ticket", "c1"),
    _output("c1", {"ticket_number": "TKT-0042", "status": "open"}),
    _call("get_customer_history", "c2"),
    _output("c2", {"messages": []}),
]
PASSAGE = {
    "title": "Product docs › Resetting your password",
    "content": "Open Settings → Security.",
    "score": 0.03,
}


async def test_first_step_is_always_create_ticket() -> None:
    item = await _step([QUESTION])
    assert (item.type, item.name) == ("function_call", "create_ticket")


async def test_then_it_reads_the_customer_history() -> None:
    item = await _step([QUESTION, *TICKET[:2]])
    assert item.name == "get_customer_history"


async def test_then_it_searches_with_the_customers_words_without_the_header() -> None:
    item = await _step([QUESTION, *TICKET])
    assert item.name == "search_knowledge_base"
    query = json.loads(item.arguments)["query"]
    assert "reset my password" in query and "Channel:" not in query


async def test_it_answers_from_the_best_passage() -> None:
    item = await _step(
        [
            QUESTION,
            *TICKET,
            _call("search_knowledge_base", "c3", {"query": "q"}),
            _output("c3", {"passages": [PASSAGE], "searches_left": 1}),
        ]
    )
    assert item.name == "send_response"
    message = json.loads(item.arguments)["message"]
    assert "resetting your password" in message and "Open Settings → Security." in message


async def test_an_empty_first_search_is_retried_with_keywords() -> None:
    item = await _step(
        [
            QUESTION,
            *TICKET,
            _call("search_knowledge_base", "c3", {"query": "q"}),
            _output("c3", {"passages": [], "searches_left": 1}),
        ]
    )
    assert item.name == "search_knowledge_base"
    assert "how" not in json.loads(item.arguments)["query"].split()


async def test_two_empty_searches_escalate_as_kb_miss_then_tell_the_customer() -> None:
    searched = [
        _call("search_knowledge_base", "c3", {"query": "q"}),
        _output("c3", {"passages": []}),
        _call("search_knowledge_base", "c4", {"query": "k"}),
        _output("c4", {"passages": []}),
    ]
    escalate = await _step([QUESTION, *TICKET, *searched])
    assert escalate.name == "escalate_to_human"
    assert json.loads(escalate.arguments)["reason"] == "kb_miss"
    respond = await _step(
        [
            QUESTION,
            *TICKET,
            *searched,
            _call("escalate_to_human", "c5"),
            _output("c5", {"reason": "kb_miss"}),
        ]
    )
    assert respond.name == "send_response"
    assert "team" in json.loads(respond.arguments)["message"]


async def test_after_responding_it_finishes_with_a_message() -> None:
    item = await _step(
        [QUESTION, *TICKET, _call("send_response", "c9", {"message": "x"}), _output("c9", {})]
    )
    assert item.type == "message"


async def test_the_same_transcript_gives_the_same_step() -> None:
    assert (await _step([QUESTION, *TICKET])).model_dump() == (
        await _step([QUESTION, *TICKET])
    ).model_dump()


def test_it_is_named_as_the_offline_model() -> None:
    assert OfflineModel().name == OFFLINE_MODEL_NAME == "offline-deterministic-v1"


CLOSE_IN_TOPIC = {
    "title": "Product docs › Installing the desktop app",
    "content": "The desktop app runs on Windows 11 and macOS 13.",
    "score": 0.03,
    "unmentioned": ["ChromeOS"],
}


async def test_a_passage_that_does_not_name_what_is_asked_about_starts_a_search_for_it() -> None:
    item = await _step(
        [
            QUESTION,
            *TICKET,
            _call("search_knowledge_base", "c3", {"query": "q"}),
            _output(
                "c3",
                {"passages": [CLOSE_IN_TOPIC], "searches_left": 1, "asked_about": ["ChromeOS"]},
            ),
        ]
    )
    assert item.name == "search_knowledge_base"
    assert json.loads(item.arguments)["query"] == "ChromeOS"


async def test_when_no_search_finds_a_passage_naming_it_it_escalates_as_kb_miss() -> None:
    item = await _step(
        [
            QUESTION,
            *TICKET,
            _call("search_knowledge_base", "c3", {"query": "q"}),
            _output("c3", {"passages": [CLOSE_IN_TOPIC], "asked_about": ["ChromeOS"]}),
            _call("search_knowledge_base", "c4", {"query": "ChromeOS"}),
            _output("c4", {"passages": [CLOSE_IN_TOPIC], "asked_about": ["ChromeOS"]}),
        ]
    )
    assert item.name == "escalate_to_human"
    arguments = json.loads(item.arguments)
    assert arguments["reason"] == "kb_miss"
    assert "ChromeOS" in arguments["note"]


async def test_a_passage_that_names_what_is_asked_about_is_answered_from() -> None:
    naming = CLOSE_IN_TOPIC | {"content": "It runs on ChromeOS 120 or later.", "unmentioned": []}
    item = await _step(
        [
            QUESTION,
            *TICKET,
            _call("search_knowledge_base", "c3", {"query": "q"}),
            _output("c3", {"passages": [naming], "asked_about": ["ChromeOS"]}),
        ]
    )
    assert item.name == "send_response"
    assert "ChromeOS 120" in json.loads(item.arguments)["message"]
