"""Knowledge-base search at 10,000 and 100,000 passages: the hybrid search statement with and
without the query embedding, and recall@10 of the HNSW index against exact search.

The passages' text is the company docs' sentences under customer-style openings (as
``kb_search``); their vectors are synthetic, so 100,000 can be stored in seconds rather than
the hours the model would take on 2 cores: unit vectors scattered around a few hundred
random topics, each about as close to its topic (cosine ~0.7) as a passage is to a related
query. The query embedding is timed with the real model on real queries; the statement then
runs with a synthetic query vector (a fresh point near a topic), whose true neighbours exact
search finds on the same rows.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import numpy as np

from benchmarks.kb_search import real_queries, synthetic_passages
from benchmarks.stats import percentile
from shared.db import knowledge_base as kb_db
from shared.db.migrations import migrate
from shared.devstack.postgres import start_postgres, stop_postgres
from shared.kb import embeddings
from shared.kb.embeddings import DIMENSIONS

TOPICS = 500
SPREAD = 1.0 / np.sqrt(DIMENSIONS)  # noise per dimension: cosine to its topic about 0.7
BATCH = 2_000
RECALL_QUERIES = 50  # an exact scan of 100,000 vectors takes ~0.3 s: recall over the first 50
Step = Callable[[str], None]


@dataclass(frozen=True)
class Searched:
    passages: int
    queries: int
    embed_p50_ms: float
    embed_p95_ms: float
    sql_p50_ms: float  # the hybrid statement alone, as the agent runs it
    sql_p95_ms: float
    with_embedding_p50_ms: float  # the query's embedding, then the statement
    with_embedding_p95_ms: float
    exact_p50_ms: float  # baseline: exact top-10 by a scan of every vector
    recall_at_10: float  # of the HNSW top-10 against the exact top-10
    load_seconds: float  # storing the passages and building both indexes


def _unit(rows: np.ndarray) -> np.ndarray:
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)  # type: ignore[no-any-return]


def _near_topics(rng: np.random.Generator, topics: np.ndarray, count: int) -> np.ndarray:
    chosen = topics[rng.integers(0, len(topics), count)]
    return _unit(chosen + rng.normal(0.0, SPREAD, (count, DIMENSIONS)))


async def _store(
    conn: asyncpg.Connection, rng: np.random.Generator, topics: np.ndarray, start: int, end: int
) -> None:
    passages = synthetic_passages(end)[start:end]
    async with kb_db.bulk_load(conn):
        for first in range(0, len(passages), BATCH):
            chunk = passages[first : first + BATCH]
            vectors = _near_topics(rng, topics, len(chunk)).tolist()
            await kb_db.upsert_passages(conn, list(zip(chunk, vectors, strict=True)))


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000


async def _measure(
    conn: asyncpg.Connection,
    rng: np.random.Generator,
    topics: np.ndarray,
    texts: Sequence[str],
    passages: int,
    load_seconds: float,
) -> Searched:
    vectors = _near_topics(rng, topics, len(texts)).tolist()
    for text, vector in zip(texts[:5], vectors, strict=False):  # warm caches and the plan
        await kb_db.hybrid_search(conn, text, vector, min_similarity=0.0)
    embed, sql, exact, recalls = [], [], [], []
    for n, (text, vector) in enumerate(zip(texts, vectors, strict=True)):
        started = time.perf_counter()
        embeddings.embed_query(text)
        embed.append(_ms(started))
        started = time.perf_counter()
        await kb_db.hybrid_search(conn, text, vector, min_similarity=0.35)
        sql.append(_ms(started))
        if n >= RECALL_QUERIES:
            continue
        approximate = {h.id for h in await kb_db.nearest_passages(conn, vector, limit=10)}
        started = time.perf_counter()
        truth = {h.id for h in await kb_db.exact_nearest_passages(conn, vector, limit=10)}
        exact.append(_ms(started))
        recalls.append(len(approximate & truth) / len(truth))
    both = [e + s for e, s in zip(embed, sql, strict=True)]
    return Searched(
        passages=passages,
        queries=len(texts),
        embed_p50_ms=percentile(embed, 50),
        embed_p95_ms=percentile(embed, 95),
        sql_p50_ms=percentile(sql, 50),
        sql_p95_ms=percentile(sql, 95),
        with_embedding_p50_ms=percentile(both, 50),
        with_embedding_p95_ms=percentile(both, 95),
        exact_p50_ms=percentile(exact, 50),
        recall_at_10=sum(recalls) / len(recalls),
        load_seconds=load_seconds,
    )


async def _run(sizes: Sequence[int], queries: int, step: Step) -> list[Searched]:
    rng = np.random.default_rng(7)
    topics = _unit(rng.normal(size=(TOPICS, DIMENSIONS)))
    texts = real_queries(queries)
    step("search: loading the model")
    embeddings.warm_up()
    results = []
    with tempfile.TemporaryDirectory(prefix="fte-bench-kb-") as work:
        server = start_postgres(Path(work) / "pgdata")
        try:
            conn = await asyncpg.connect(server.get_uri())
            try:
                await migrate(conn)
                stored = 0
                for size in sizes:
                    step(f"search: storing {size:,} passages")
                    started = time.perf_counter()
                    await _store(conn, rng, topics, stored, size)
                    load_seconds = time.perf_counter() - started
                    stored = size
                    await conn.execute("ANALYZE knowledge_base")
                    step(f"search: {len(texts)} queries over {size:,} passages")
                    results.append(await _measure(conn, rng, topics, texts, size, load_seconds))
            finally:
                await conn.close()
        finally:
            stop_postgres(server)
    return results


def measure(sizes: Sequence[int], queries: int, step: Step) -> list[Searched]:
    return asyncio.run(_run(sizes, queries, step))
