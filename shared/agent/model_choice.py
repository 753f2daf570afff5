"""Which model configuration names, without importing any model: what health reports.

Kept apart from ``models`` so that a function that only reports the choice (ops) does not
import the Agents SDK and the OpenAI client (~2 s of its cold start on 2 cores).
"""

from __future__ import annotations

from shared.config import Settings

OFFLINE_MODEL_NAME = "offline-deterministic-v1"


def configured_model_name(settings: Settings) -> str:
    """The name ``models.select_model`` would run under, without building a client."""
    return settings.openai_model if settings.openai_api_key else OFFLINE_MODEL_NAME
