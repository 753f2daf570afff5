"""Every handler is bounded, and each bound sits below the next: model < handler < delivery."""

import asyncio

import pytest
from cloudevents.http import CloudEvent
from starlette.exceptions import HTTPException

from events.envelope import InvalidEvent
from shared.config import Settings, get_settings
from shared.consumer import consume
from shared.devstack.manifests import load


def _configured() -> Settings:
    """The settings a function gets from the fte-config ConfigMap."""
    values = {k.lower(): v for k, v in load().config_maps["fte-config"].items()}
    return Settings(**(values | {"database_url": "x"}))


def test_the_model_bound_is_below_the_handler_bound() -> None:
    settings = _configured()
    assert settings.model_timeout_seconds == 10
    assert settings.model_timeout_seconds < settings.handler_timeout_seconds


def test_the_handler_bound_is_below_every_delivery_timeout_of_the_manifests() -> None:
    settings = _configured()
    manifests = load()
    for sub in manifests.subscriptions:
        assert settings.handler_timeout_seconds < sub.delivery.timeout, sub.name


def test_the_redelivery_deadline_outlasts_the_agent_runners_retries() -> None:
    settings = _configured()
    [source] = [s for s in load().subscriptions if s.subscriber == "agent-runner"]
    retrying = sum(source.delivery.backoff(k) for k in range(1, source.delivery.retry + 1))
    assert settings.redeliver_after_seconds > retrying


async def test_a_handler_that_overruns_its_bound_fails_so_it_is_retried(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DATABASE_URL", "x")
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "x")
    monkeypatch.setenv("HANDLER_TIMEOUT_SECONDS", "0.05")
    get_settings.cache_clear()

    async def slow(event: CloudEvent) -> None:
        await asyncio.sleep(5)

    with pytest.raises(TimeoutError):
        await consume(CloudEvent.create({"type": "t", "source": "/s"}, {}), slow)
    get_settings.cache_clear()


async def test_an_event_that_can_never_succeed_is_a_400(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "x")
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "x")
    get_settings.cache_clear()

    async def refuse(event: CloudEvent) -> None:
        raise InvalidEvent("wrong type")

    with pytest.raises(HTTPException) as refused:
        await consume(CloudEvent.create({"type": "t", "source": "/s"}, {}), refuse)
    assert refused.value.status_code == 400
    get_settings.cache_clear()
