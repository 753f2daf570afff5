"""How long each model call of a turn takes, from the Agents SDK's run hooks, into the metrics."""

from __future__ import annotations

import time
from typing import Any

from agents import Agent, ModelResponse, RunContextWrapper, RunHooks

from shared.agent.context import TurnContext
from shared.metrics import model_call


class ModelTiming(RunHooks[TurnContext]):
    """One per run: the SDK calls the model once at a time within a run."""

    def __init__(self, model: str) -> None:
        self.model = model
        self._started: float | None = None

    async def on_llm_start(
        self,
        context: RunContextWrapper[TurnContext],
        agent: Agent[TurnContext],
        system_prompt: str | None,
        input_items: list[Any],
    ) -> None:
        self._started = time.perf_counter()

    async def on_llm_end(
        self,
        context: RunContextWrapper[TurnContext],
        agent: Agent[TurnContext],
        response: ModelResponse,
    ) -> None:
        if self._started is not None:
            model_call(self.model, time.perf_counter() - self._started)
            self._started = None
