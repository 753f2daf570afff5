"""Fixtures on the real embedded parts: PostgreSQL with pgvector and the tansu broker."""

from __future__ import annotations

import asyncio
import concurrent.futures
import itertools
import os
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest

from shared.config import get_settings
from shared.db import close_pool
from shared.db.migrations import migrate
from shared.devstack import manifests
from shared.devstack.broker import ensure_topics, start_tansu
from shared.devstack.postgres import start_postgres, stop_postgres
from shared.kb.ingest import ingest_directory
from shared.publisher import close_producer
from shared.relay import drain
from shared.throttle import limits, unthrottled
from tests.google import Google, google_for_tests

pytest_plugins = ["tests.whatsapp_fixtures", "tests.spans"]

TEMPLATE = "fte_template"
KB_TEMPLATE = "fte_template_kb"
CONTEXT_DIR = Path(__file__).resolve().parents[1] / "shared" / "context"
_db_numbers = itertools.count(1)


@pytest.fixture(scope="session")
def work_dir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="fte-tests-") as d:
        yield Path(d)


@pytest.fixture(scope="session")
def postgres(work_dir: Path) -> Iterator[object]:
    server = start_postgres(work_dir / "pgdata")

    async def make_template() -> None:
        conn = await asyncpg.connect(server.get_uri())
        await conn.execute(f"CREATE DATABASE {TEMPLATE}")
        await conn.close()
        conn = await asyncpg.connect(server.get_uri(TEMPLATE))
        await migrate(conn)
        await conn.close()

    asyncio.run(make_template())
    yield server
    stop_postgres(server)


@pytest.fixture(scope="session")
def kb_template(postgres: object) -> str:
    """A template with the company's knowledge base ingested: built once, on first use."""

    async def build() -> None:
        conn = await asyncpg.connect(postgres.get_uri())  # type: ignore[attr-defined]
        await conn.execute(f"CREATE DATABASE {KB_TEMPLATE} TEMPLATE {TEMPLATE}")
        await conn.close()
        conn = await asyncpg.connect(postgres.get_uri(KB_TEMPLATE))  # type: ignore[attr-defined]
        await ingest_directory(conn, CONTEXT_DIR, progress=False)
        await conn.close()

    # Its own loop in its own thread: it may first be asked for from inside a running test loop.
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, build()).result()
    return KB_TEMPLATE


@pytest.fixture
async def database_url(postgres: object, request: pytest.FixtureRequest) -> str:
    """A fresh, migrated database for this test alone (a copy of a template).

    Tests marked ``knowledge_base`` get the company docs already ingested.
    """
    template = TEMPLATE
    if request.node.get_closest_marker("knowledge_base"):
        template = request.getfixturevalue("kb_template")
    name = f"test_{os.getpid()}_{next(_db_numbers)}"
    conn = await asyncpg.connect(postgres.get_uri())  # type: ignore[attr-defined]
    await conn.execute(f"CREATE DATABASE {name} TEMPLATE {template}")
    await conn.close()
    return str(postgres.get_uri(name))  # type: ignore[attr-defined]


@pytest.fixture(scope="session")
def kafka(work_dir: Path) -> Iterator[str]:
    """A real broker (memory storage) with the topics the manifests declare."""
    child, bootstrap = start_tansu(work_dir / "logs", work_dir, s3_endpoint=None)
    ensure_topics(bootstrap, manifests.load().topics)
    yield bootstrap
    child.stop()


@pytest.fixture
async def app_env(
    database_url: str, kafka: str, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[str]:
    """Point the library (settings, pool, producer) at this test's database and the broker."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", kafka)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    for name, value in unthrottled().items():  # the throttling tests set their own
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    limits.cache_clear()
    yield database_url
    await drain()
    await close_pool()
    await close_producer()
    get_settings.cache_clear()
    limits.cache_clear()


@pytest.fixture
async def db(app_env: str) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(app_env)
    yield conn
    await conn.close()


@pytest.fixture
async def google(app_env: str, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Google]:
    """The Google stand-in (Gmail, OAuth, push signer) and the settings pointing at it."""
    async with google_for_tests(monkeypatch) as stand_in:
        yield stand_in
