"""A local stand-in of the one OpenAI call the agent makes: POST /v1/chat/completions.

It checks what the real API checks for this call (a bearer key, a model, messages, and each
tool a strict JSON-schema function) plus what our agent promises (its five tools), and answers
with tool calls in the order a well-behaved model would, then a final message.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

EXPECTED_TOOLS = {
    "create_ticket",
    "get_customer_history",
    "search_knowledge_base",
    "send_response",
    "escalate_to_human",
}


def _error(status: int, message: str, kind: str = "invalid_request_error") -> JSONResponse:
    return JSONResponse(
        {"error": {"message": message, "type": kind, "param": None, "code": None}},
        status_code=status,
    )


def _schema_problem(tool: Any) -> str | None:
    if not isinstance(tool, dict) or tool.get("type") != "function":
        return "each tool must be {'type': 'function', 'function': {...}}"
    fn = tool.get("function") or {}
    params = fn.get("parameters")
    if not fn.get("name") or not isinstance(params, dict) or params.get("type") != "object":
        return f"tool {fn.get('name')!r}: parameters must be a JSON schema object"
    if fn.get("strict"):
        if params.get("additionalProperties") is not False:
            return f"tool {fn['name']!r}: strict schemas need additionalProperties: false"
        if set(params.get("required", [])) != set(params.get("properties", {})):
            return f"tool {fn['name']!r}: strict schemas must require every property"
    return None


@dataclass
class OpenAIStandIn:
    api_key: str
    requests: list[dict[str, Any]] = field(default_factory=list)

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/v1/chat/completions", self.completions, methods=["POST"])])

    async def completions(self, request: Request) -> JSONResponse:
        if request.headers.get("authorization") != f"Bearer {self.api_key}":
            return _error(401, "Incorrect API key provided.", "invalid_api_key")
        body = await request.json()
        self.requests.append(body)
        if not body.get("model") or not isinstance(body.get("messages"), list):
            return _error(400, "model and messages are required")
        tools = body.get("tools") or []
        for tool in tools:
            if problem := _schema_problem(tool):
                return _error(400, problem)
        names = {t["function"]["name"] for t in tools}
        if names != EXPECTED_TOOLS:
            return _error(400, f"expected the agent's five tools, got {sorted(names)}")
        return JSONResponse(self._completion(body))

    def _completion(self, body: dict[str, Any]) -> dict[str, Any]:
        messages = body["messages"]
        called = [
            c["function"]["name"]
            for m in messages
            if m.get("role") == "assistant"
            for c in m.get("tool_calls") or []
        ]
        outputs = {
            m.get("tool_call_id"): m.get("content") for m in messages if m.get("role") == "tool"
        }
        step = len(called) + 1
        question = next(m["content"] for m in messages if m.get("role") == "user")
        if "create_ticket" not in called:
            call: tuple[str, dict[str, Any]] | None = ("create_ticket", {})
        elif "search_knowledge_base" not in called:
            call = ("search_knowledge_base", {"query": question})
        elif "send_response" not in called:
            passages = json.loads(list(outputs.values())[-1]).get("passages", [])
            text = passages[0]["content"][:300] if passages else "A teammate will follow up."
            call = ("send_response", {"message": text})
        else:
            call = None
        message: dict[str, Any] = {"role": "assistant", "content": None}
        if call is None:
            message["content"] = "Done."
        else:
            message["tool_calls"] = [
                {
                    "id": f"call_{step}",
                    "type": "function",
                    "function": {"name": call[0], "arguments": json.dumps(call[1])},
                }
            ]
        return {
            "id": f"chatcmpl-{step}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body["model"],
            "choices": [
                {
                    "index": 0,
                    "message": message,
                    "finish_reason": "stop" if call is None else "tool_calls",
                }
            ],
            "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
        }
