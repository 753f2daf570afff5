"""Which model the agent runs on, chosen by configuration."""

from __future__ import annotations

from agents import Model, OpenAIChatCompletionsModel
from openai import AsyncOpenAI

from shared.agent.offline_model import OfflineModel
from shared.config import Settings


def select_model(settings: Settings) -> Model:
    """An OpenAI model when ``OPENAI_API_KEY`` is set (at ``OPENAI_BASE_URL`` if given), else offline."""
    if settings.openai_api_key:
        client = AsyncOpenAI(api_key=settings.openai_api_key, base_url=settings.openai_base_url)
        return OpenAIChatCompletionsModel(model=settings.openai_model, openai_client=client)
    return OfflineModel()


def model_name(model: Model) -> str:
    return str(getattr(model, "name", None) or getattr(model, "model", type(model).__name__))
