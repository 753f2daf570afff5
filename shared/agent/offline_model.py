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

OFFLINE_MODEL_NAME = "offline-deterministic-v1"


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
    """Decides the next step from the transcript alone, the same way every time."""

    name = OFFLINE_MODEL_NAME

    def _next_step(self, t: _Transcript, tools: list[str]) -> tuple[str, dict[str, Any]] | str:
        if not t.called("create_ticket"):
            return "create_ticket", {}
        if not t.called("send_response"):
            ticket = _json(t.outputs.get("create_ticket")).get("ticket_number", "your ticket")
            return "send_response", {"message": _acknowledgement(ticket)}
        return "Done."

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


def _acknowledgement(ticket_number: str) -> str:
    return (
        f"Thanks for getting in touch. Your request is logged as {ticket_number}, "
        "and we will follow up here with an answer."
    )
