"""How fast the knowledge base answers a search, over 10,000 passages.

Starts an embedded Postgres in a temporary folder, stores the company docs' passages plus
synthetic ones up to ``--passages`` (every row's embedding is computed by the real model from
its own text), then times ~200 real queries (the sample tickets, their subjects and the docs'
headings): the query embedding, the hybrid search statement, and, as the baseline measured in
the same run, a plain vector-only top-10 query on the same HNSW index.

Embedding 10,000 passages of real length (~900 characters, ~200 tokens) takes about 20 minutes
on 2 cores, so the synthetic passages are short: each is one sentence of the docs under one of
a dozen customer-style openings (~120 characters). The vector side costs the same whatever the
text length; the full-text side ranks shorter documents than real ones would give it.

    python -m benchmarks.kb_search [--passages 10000] [--queries 200]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import asyncpg
from tqdm import tqdm

from shared.db import knowledge_base as kb_db
from shared.db.migrations import migrate
from shared.devstack.postgres import start_postgres, stop_postgres
from shared.kb import embeddings
from shared.kb.ingest import ingest_directory
from shared.kb.passages import Passage, split_markdown
from shared.kb.questions import question_sentences

CONTEXT = Path(__file__).resolve().parents[1] / "shared" / "context"
OPENINGS = (
    "{s}",
    "From the help centre: {s}",
    "A customer asked about this. {s}",
    "Support note: {s}",
    "Good to know: {s}",
    "In short, {s}",
    "Our docs say: {s}",
    "Reminder for admins: {s}",
    "FAQ answer: {s}",
    "Tip from the team: {s}",
    "Quick answer: {s}",
    "Please note: {s}",
)
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")


def synthetic_passages(count: int) -> list[Passage]:
    """``count`` distinct short passages: doc sentences under customer-style openings."""
    sentences: list[tuple[str, str]] = []
    for path in sorted(CONTEXT.glob("*.md")):
        for passage in split_markdown(path.read_text(encoding="utf-8"), path.name):
            for sentence in _SENTENCE.split(passage.content):
                text = sentence.strip(" -*#")
                if len(text) >= 30:
                    sentences.append((passage.section, text))
    unique = list(dict.fromkeys(sentences))
    passages = []
    for n in range(count):
        section, text = unique[n % len(unique)]
        opening = OPENINGS[(n // len(unique)) % len(OPENINGS)]
        title = f"Synthetic › {section} › {n}"
        passages.append(Passage(f"synthetic-{n // 1000:02d}.md", title, opening.format(s=text)))
    return passages


def real_queries(count: int) -> list[str]:
    tickets = json.loads((CONTEXT / "sample-tickets.json").read_text())
    whole = ["\n\n".join(p for p in (t.get("subject"), t["content"]) if p) for t in tickets]
    subjects = [t["subject"] for t in tickets if t.get("subject")]
    headings = [
        line.lstrip("#").strip()
        for path in sorted(CONTEXT.glob("*.md"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.startswith(("## ", "### "))
    ]
    return (whole + subjects + headings)[:count]


def percentile(values: Sequence[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def fill(conn: asyncpg.Connection, total: int) -> tuple[int, float]:
    """The real docs, then synthetic passages up to ``total``; return (synthetic, seconds)."""
    report = await ingest_directory(conn, CONTEXT, progress=False)
    synthetic = synthetic_passages(max(0, total - report.passages))
    started = time.perf_counter()
    with tqdm(
        total=len(synthetic), desc="embedding passages", unit="passage", file=sys.stderr
    ) as bar:
        vectors = await asyncio.to_thread(
            embeddings.embed_passages,
            [p.embedding_text for p in synthetic],
            batch_size=64,
            on_batch=bar.update,
        )
    seconds = time.perf_counter() - started
    pairs = list(zip(synthetic, vectors, strict=True))
    for start in range(0, len(pairs), 1000):
        await kb_db.upsert_passages(conn, pairs[start : start + 1000])
    return len(synthetic), seconds


def elapsed_ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000


async def measure(conn: asyncpg.Connection, queries: list[str], min_similarity: float) -> None:
    for query in queries[:10]:  # warm the model and Postgres' caches
        await kb_db.hybrid_search(conn, query, embeddings.embed_query(query), min_similarity=0)
    embed_ms, hybrid_ms, vector_ms, found = [], [], [], 0
    reranked_ms: list[float] = []
    for query in queries:
        started = time.perf_counter()
        vector = embeddings.embed_query(query)
        embed_ms.append(elapsed_ms(started))
        started = time.perf_counter()
        hits = await kb_db.hybrid_search(conn, query, vector, min_similarity=min_similarity)
        hybrid_ms.append(elapsed_ms(started))
        started = time.perf_counter()
        await kb_db.nearest_passages(conn, vector, limit=10)
        vector_ms.append(elapsed_ms(started))
        found += bool(hits)
        started = time.perf_counter()  # what the agent runs: query and questions in one batch
        vector, *questions = embeddings.embed_passages([query, *question_sentences(query)])
        await kb_db.hybrid_search(
            conn, query, vector, min_similarity=min_similarity, question_embeddings=questions
        )
        reranked_ms.append(elapsed_ms(started))
    end_to_end = [e + h for e, h in zip(embed_ms, hybrid_ms, strict=True)]
    rows = [
        ("query embedding (model, CPU)", embed_ms),
        ("hybrid_search SQL (RRF, 1 statement)", hybrid_ms),
        ("baseline: vector-only top-10 SQL", vector_ms),
        ("hybrid end to end (embed + SQL)", end_to_end),
        ("... reranked by question sentences", reranked_ms),
    ]
    print(f"\n{'':<38} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    for name, values in rows:
        print(
            f"{name:<38} {percentile(values, 50):8.2f} {percentile(values, 95):8.2f} "
            f"{max(values):8.2f}"
        )
    print(f"queries with a hit past the cut-off ({min_similarity}): {found}/{len(queries)}")


async def main(passages: int, queries: int, min_similarity: float) -> None:
    with tempfile.TemporaryDirectory(prefix="fte-kb-bench-") as work:
        server = start_postgres(Path(work) / "pgdata")
        try:
            conn = await asyncpg.connect(server.get_uri())
            await migrate(conn)
            started = time.perf_counter()
            embeddings.warm_up()
            print(f"model import + load: {time.perf_counter() - started:.1f} s")
            synthetic, seconds = await fill(conn, passages)
            count = await kb_db.count_passages(conn)
            rate = synthetic / seconds if seconds else 0
            print(f"stored {count:,} passages ({synthetic:,} synthetic, embedded at {rate:.0f}/s)")
            await conn.execute("ANALYZE knowledge_base")
            query = "How do I reset my password?"
            plan = await kb_db.hybrid_search_plan(conn, query, embeddings.embed_query(query))
            hnsw = "using knowledge_base_embedding" in plan
            gin = "on knowledge_base_search_text" in plan
            print(f"plan: HNSW index used: {hnsw}, GIN index used: {gin}")
            await measure(conn, real_queries(queries), min_similarity)
            await conn.close()
        finally:
            stop_postgres(server)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--passages", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--min-similarity", type=float, default=0.35)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.passages, arguments.queries, arguments.min_similarity))
