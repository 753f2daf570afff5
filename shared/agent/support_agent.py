"""The support agent itself: instructions and tools, the same whichever model runs it."""

from __future__ import annotations

from agents import Agent

from shared.agent.context import TurnContext
from shared.agent.tools import ALL_TOOLS

INSTRUCTIONS = """You are the customer-success agent of Northwind Cloud.
For every customer message:
1. Call create_ticket first, before anything else.
2. Answer only from what the tools return; never invent product facts, prices or promises.
3. Call send_response exactly once with your answer in plain sentences.
"""


def build_agent() -> Agent[TurnContext]:
    return Agent[TurnContext](
        name="Northwind support", instructions=INSTRUCTIONS, tools=list(ALL_TOOLS)
    )
