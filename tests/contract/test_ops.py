import pytest

from shared.config import get_settings
from shared.publisher import close_producer
from tests.functions_under_test import function_client


async def test_health_is_200_when_database_and_broker_answer(app_env: str) -> None:
    async with function_client("ops") as client:
        response = await client.get("/api/v1/health")
    assert response.status_code == 200
    body = response.json()
    assert body["checks"] == {"database": "ok", "broker": "ok"}
    assert body["model"] == "offline-deterministic-v1"


async def test_health_is_503_naming_the_broker_when_it_is_down(
    app_env: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await close_producer()
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:1")
    get_settings.cache_clear()
    async with function_client("ops") as client:
        response = await client.get("/api/v1/health")
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "ok", "broker": "down"}


async def test_health_is_503_naming_the_database_when_it_is_down(
    app_env: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from shared.db import close_pool

    await close_pool()
    monkeypatch.setenv("DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")
    get_settings.cache_clear()
    async with function_client("ops") as client:
        response = await client.get("/api/v1/health")
    assert response.status_code == 503
    assert response.json()["checks"]["database"] == "down"
