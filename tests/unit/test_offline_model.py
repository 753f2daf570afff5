import json
from typing import Any

from agents import ModelSettings
from agents.models.interface import ModelTracing

from shared.agent.offline_model import OFFLINE_MODEL_NAME, OfflineModel


async def _step(items: list[dict[str, Any]]) -> Any:
    response = await OfflineModel().get_response(
        None,
        items,
        ModelSettings(),
        [],
        None,
        [],
        ModelTracing.DISABLED,
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


def _output(call_id: str, output: str) -> dict[str, Any]:
    return {"type": "function_call_output", "call_id": call_id, "output": output}


async def test_first_step_is_always_create_ticket() -> None:
    item = await _step([{"role": "user", "content": "How do I reset my password?"}])
    assert (item.type, item.name) == ("function_call", "create_ticket")


async def test_after_the_ticket_it_sends_a_response_naming_the_ticket() -> None:
    item = await _step(
        [
            {"role": "user", "content": "How do I reset my password?"},
            _call("create_ticket", "c1"),
            _output("c1", '{"ticket_number": "TKT-0042", "status": "open"}'),
        ]
    )
    assert item.name == "send_response"
    assert "TKT-0042" in json.loads(item.arguments)["message"]


async def test_after_responding_it_finishes_with_a_message() -> None:
    item = await _step(
        [
            {"role": "user", "content": "Hi"},
            _call("create_ticket", "c1"),
            _output("c1", '{"ticket_number": "TKT-0001"}'),
            _call("send_response", "c2", {"message": "x"}),
            _output("c2", "{}"),
        ]
    )
    assert item.type == "message"


async def test_the_same_transcript_gives_the_same_step() -> None:
    items = [{"role": "user", "content": "Hello"}]
    assert (await _step(items)).model_dump() == (await _step(items)).model_dump()


def test_it_is_named_as_the_offline_model() -> None:
    assert OfflineModel().name == OFFLINE_MODEL_NAME == "offline-deterministic-v1"
