"""The built-in offline model: deterministic, no network, behind the Agents SDK's ``Model`` interface.

It plays the part of a careful model: it calls ``create_ticket`` first, then the tools the
situation asks for, and answers from what the tools returned. Dev, tests and CI run on it.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from agents import Model, ModelResponse, ModelSettings, Tool, Usage
from agents.items import TResponseInputItem, TResponseStreamEvent
from agents.models.interface import ModelTracing
from openai.types.responses import (
    ResponseFunctionToolCall,
    ResponseOutputMessage,
    ResponseOutputText,
)

from shared.agent.handover import handover_message
from shared.agent.model_choice import OFFLINE_MODEL_NAME
from shared.kb.passages import TITLE_SEPARATOR


@dataclass
class _Transcript:
    """What happened so far in this run, read from the input items."""

    question: str = ""
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    outputs: dict[str, str] = field(default_factory=dict)  # tool name -> its latest output

    def called(self, tool: str) -> int:
        return sum(1 for name, _ in self.calls if name == tool)


def _as_dict(item: Any) -> dict[str, Any]:
    return item if isinstance(item, dict) else item.model_dump()


def _read(items: str | list[TResponseInputItem]) -> _Transcript:
    transcript = _Transcript()
    if isinstance(items, str):
        transcript.question = items
        return transcript
    names: dict[str, str] = {}
    for raw in items:
        item = _as_dict(raw)
        kind = item.get("type")
        if kind == "function_call":
            names[item["call_id"]] = item["name"]
            transcript.calls.append((item["name"], json.loads(item.get("arguments") or "{}")))
        elif kind == "function_call_output":
            output = item.get("output")
            transcript.outputs[names.get(item["call_id"], "")] = (
                output if isinstance(output, str) else json.dumps(output)
            )
        elif item.get("role") == "user" and not transcript.question:
            content = item.get("content")
            transcript.question = content if isinstance(content, str) else json.dumps(content)
    return transcript


def _json(text: str | None) -> dict[str, Any]:
    try:
        value = json.loads(text or "")
    except json.JSONDecodeError:
        return {}
    return value if isinstance(value, dict) else {}


class OfflineModel(Model):
    """Decides the next step from the transcript alone, the same way every time.

    Order: create_ticket → get_customer_history → search_knowledge_base (a second, keyword-only
    search when the first finds nothing; one for the words asked about when the passages found
    do not name them) → send_response built from the best passage, or
    escalate_to_human("kb_miss") and a handover message when no search found a passage that
    names what the customer asks about (``unmentioned`` empty).
    """

    name = OFFLINE_MODEL_NAME

    def _next_step(self, t: _Transcript, tools: list[str]) -> tuple[str, dict[str, Any]] | str:
        if not t.called("create_ticket"):
            return "create_ticket", {}
        if "get_customer_history" in tools and not t.called("get_customer_history"):
            return "get_customer_history", {}
        if t.called("send_response"):
            return "Done."
        if t.called("escalate_to_human"):
            return "send_response", {"message": handover_message("kb_miss")}
        results = _json(t.outputs.get("search_knowledge_base"))
        passages = results.get("passages") or []
        if passages and not passages[0].get("unmentioned"):
            return "send_response", {"message": _earlier_contact(t) + _answer(passages[0])}
        searches = t.called("search_knowledge_base")
        if "search_knowledge_base" in tools and searches < 2:
            question = _question(t.question)
            if searches == 0:
                return "search_knowledge_base", {"query": question}
            # Found passages name not what is asked about: look for the thing itself.
            asked = results.get("asked_about") or []
            return "search_knowledge_base", {
                "query": " ".join(asked) if passages and asked else _keywords(question)
            }
        if passages:
            missing = ", ".join(passages[0]["unmentioned"])
            return "escalate_to_human", {
                "reason": "kb_miss",
                "note": f"the docs do not name {missing}",
            }
        return "escalate_to_human", {
            "reason": "kb_miss",
            "note": "no passage answered the question",
        }

    async def get_response(
        self,
        system_instructions: str | None,
        input: str | list[TResponseInputItem],
        model_settings: ModelSettings,
        tools: list[Tool],
        output_schema: Any,
        handoffs: list[Any],
        tracing: ModelTracing,
        *,
        previous_response_id: str | None,
        conversation_id: str | None,
        prompt: Any,
    ) -> ModelResponse:
        transcript = _read(input)
        step = self._next_step(transcript, [tool.name for tool in tools])
        call_number = len(transcript.calls) + 1
        output: list[Any]
        if isinstance(step, str):
            output = [
                ResponseOutputMessage(
                    id=f"msg_{call_number}",
                    role="assistant",
                    status="completed",
                    type="message",
                    content=[ResponseOutputText(text=step, type="output_text", annotations=[])],
                )
            ]
        else:
            name, arguments = step
            output = [
                ResponseFunctionToolCall(
                    id=f"fc_{call_number}",
                    call_id=f"call_{call_number}_{name}",
                    name=name,
                    arguments=json.dumps(arguments),
                    type="function_call",
                    status="completed",
                )
            ]
        return ModelResponse(output=output, usage=Usage(), response_id=None)

    def stream_response(self, *args: Any, **kwargs: Any) -> AsyncIterator[TResponseStreamEvent]:
        raise NotImplementedError("the offline model does not stream")


_STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "can",
        "could",
        "do",
        "does",
        "for",
        "from",
        "have",
        "hello",
        "hi",
        "how",
        "i",
        "i'm",
        "in",
        "is",
        "it",
        "me",
        "my",
        "of",
        "on",
        "or",
        "our",
        "please",
        "should",
        "thanks",
        "that",
        "the",
        "there",
        "this",
        "to",
        "was",
        "we",
        "what",
        "when",
        "where",
        "which",
        "why",
        "will",
        "with",
        "you",
        "your",
    ]
)


def _question(model_input: str) -> str:
    """The customer's words: the runner's input without its Channel/Subject header lines."""
    lines = [ln for ln in model_input.splitlines() if not ln.startswith(("Channel:", "Subject:"))]
    subject = next(
        (ln[8:].strip() for ln in model_input.splitlines() if ln.startswith("Subject:")), ""
    )
    body = " ".join(ln.strip() for ln in lines if ln.strip())
    return f"{subject}. {body}" if subject else body


def _keywords(question: str) -> str:
    words = [w.strip(".,!?;:()\"'") for w in question.lower().split()]
    return " ".join(w for w in words if len(w) > 2 and w not in _STOPWORDS)


_CHANNEL_NAMES = {"web_form": "the web form", "email": "email", "whatsapp": "WhatsApp"}


def _earlier_contact(t: _Transcript) -> str:
    """A word on what the customer wrote on another channel, when the history shows it."""
    channel = next(
        (ln[8:].strip() for ln in t.question.splitlines() if ln.startswith("Channel:")), ""
    )
    history = _json(t.outputs.get("get_customer_history")).get("messages") or []
    earlier = next(
        (
            m
            for m in history
            if m.get("role") == "customer" and m.get("channel") not in (channel, None)
        ),
        None,
    )
    if earlier is None:
        return ""
    where = _CHANNEL_NAMES.get(str(earlier["channel"]), str(earlier["channel"]))
    ticket = f" ({earlier['ticket_number']})" if earlier.get("ticket_number") else ""
    return f"I can see your earlier message on {where}{ticket}. "


def _answer(passage: dict[str, Any]) -> str:
    """A short answer from the best passage: its title as the topic, its text as the steps."""
    topic = str(passage.get("title", "")).split(TITLE_SEPARATOR)[-1]
    content = str(passage.get("content", "")).strip()
    return f"Thanks for reaching out! Here is what our guide on {topic.lower()} says:\n\n{content}"
