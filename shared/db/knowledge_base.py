"""Knowledge-base passages: stored once per content hash, found by hybrid search.

Hybrid search fuses two rankings by Reciprocal Rank Fusion (score = Σ 1 / (60 + rank)): the
nearest passages by cosine distance (HNSW index) and the best full-text matches of the query
(``websearch_to_tsquery``: every word must occur, "quoted phrases" and -exclusions work;
ranked by ``ts_rank_cd``). Both candidate lists and the fusion are one SQL statement.

An RRF score only orders; it says nothing about relevance (the best of ten bad passages gets
the same score as the best of ten good ones). So a hit is kept only if it is relevant on its
own terms: its cosine similarity to the query is at least ``min_similarity``, or every word of
the query occurs in its title (the heading path). The second rule is how a bare keyword such as
"SCIM" (cosine 0.32 to its section) still finds "Provisioning users with SCIM", while a word
that merely occurs somewhere in a body ("hi" in the email-reply guidelines) does not pass.
A full-text match in the body only helps the ranking.

Given the embeddings of the query's question sentences (``shared.kb.questions``), the hits
that pass are ordered instead by the better of two similarities: to the whole query and to its
closest question sentence (``question_score``). This reranks the few candidates only: the cut-off
still reads the whole query's similarity, so what is answered at all does not change.

Queries of more than ``FULL_TEXT_MAX_WORDS`` words (after stop words) skip the full-text side:
a customer's whole message never has every one of its words in one passage, yet the GIN index
pays for each word (a 60-word email took 52 ms over 10,000 passages, for no match; the vector
side took 0.3 ms). The gate is a constant condition, so Postgres skips the scan outright.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from uuid import UUID

from shared.db.pool import Connection, Queryable
from shared.kb.passages import Passage

RRF_K = 60
CANDIDATES = 20
#: Longer queries skip the full-text side: see the module docstring.
FULL_TEXT_MAX_WORDS = 8


@dataclass(frozen=True)
class SearchHit:
    id: UUID
    title: str
    content: str
    source: str
    score: float  # RRF: orders hits, is not a relevance measure
    vector_score: float  # cosine similarity to the query, -1..1
    text_score: float  # ts_rank_cd of the full-text match; 0 unless every query word occurs
    # cosine similarity to the closest question sentence given; vector_score if none was
    question_score: float = 0.0


def vector_literal(embedding: Sequence[float]) -> str:
    """pgvector's text form: asyncpg has no codec for ``vector``, and text keeps float32 exact."""
    return "[" + ",".join(format(x, ".9g") for x in embedding) + "]"


async def stored_hashes(conn: Connection, hashes: Iterable[str]) -> set[str]:
    """Which of ``hashes`` are already stored (their passages need no new embedding)."""
    rows = await conn.fetch(
        "SELECT content_hash FROM knowledge_base WHERE content_hash = ANY($1::text[])",
        list(hashes),
    )
    return {row["content_hash"] for row in rows}


async def upsert_passages(
    conn: Connection, passages_with_embeddings: Sequence[tuple[Passage, Sequence[float]]]
) -> tuple[int, int]:
    """Store passages not yet stored; return (inserted, unchanged). Re-running inserts nothing."""
    if not passages_with_embeddings:
        return 0, 0
    columns: tuple[list[str], list[str], list[str], list[str], list[str]] = ([], [], [], [], [])
    for passage, embedding in passages_with_embeddings:
        columns[0].append(passage.source)
        columns[1].append(passage.title)
        columns[2].append(passage.content)
        columns[3].append(passage.content_hash)
        columns[4].append(vector_literal(embedding))
    inserted = await conn.fetch(
        """INSERT INTO knowledge_base (source, title, content, content_hash, embedding)
           SELECT source, title, content, content_hash, embedding::vector
           FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[])
                AS p(source, title, content, content_hash, embedding)
           ON CONFLICT (content_hash) DO NOTHING
           RETURNING id""",
        *columns,
    )
    return len(inserted), len(set(columns[3])) - len(inserted)


async def remove_stale(conn: Connection, source: str, keep_hashes: Iterable[str]) -> int:
    """Delete the passages of ``source`` whose hash is not in ``keep_hashes``; return how many."""
    removed = await conn.fetch(
        """DELETE FROM knowledge_base
           WHERE source = $1 AND NOT (content_hash = ANY($2::text[]))
           RETURNING id""",
        source,
        list(keep_hashes),
    )
    return len(removed)


async def nearest_passages(
    conn: Connection, query_embedding: Sequence[float], *, limit: int = 10
) -> list[SearchHit]:
    """Vector search alone (HNSW, cosine): the baseline hybrid search is measured against."""
    rows = await conn.fetch(
        """SELECT id, title, content, source,
                  (1 - (embedding <=> $1::text::vector))::float8 AS score,
                  (1 - (embedding <=> $1::text::vector))::float8 AS vector_score,
                  0::float8 AS text_score
           FROM knowledge_base
           ORDER BY embedding <=> $1::text::vector
           LIMIT $2""",
        vector_literal(query_embedding),
        limit,
    )
    return [SearchHit(**dict(row)) for row in rows]


async def exact_nearest_passages(
    conn: Connection, query_embedding: Sequence[float], *, limit: int = 10
) -> list[SearchHit]:
    """The true nearest passages, by a scan of every vector (no index): what the approximate
    HNSW search is measured against."""
    async with conn.transaction():
        await conn.execute("SET LOCAL enable_indexscan = off")
        await conn.execute("SET LOCAL enable_bitmapscan = off")
        return await nearest_passages(conn, query_embedding, limit=limit)


@asynccontextmanager
async def bulk_load(conn: Connection) -> AsyncIterator[None]:
    """Store many passages at once: the search indexes (HNSW, GIN) are dropped for the load
    and built again from their own definitions after it, which is several times faster than
    maintaining them row by row."""
    rows = await conn.fetch(
        """SELECT indexname, indexdef FROM pg_indexes
           WHERE tablename = 'knowledge_base'
             AND indexname IN ('knowledge_base_embedding', 'knowledge_base_search_text')"""
    )
    for row in rows:
        await conn.execute(f'DROP INDEX "{row["indexname"]}"')
    try:
        yield
    finally:
        await conn.execute("SET maintenance_work_mem = '1GB'")  # the HNSW graph built in memory
        for row in rows:
            await conn.execute(row["indexdef"])
        await conn.execute("RESET maintenance_work_mem")


async def count_passages(conn: Connection) -> int:
    return int(await conn.fetchval("SELECT count(*) FROM knowledge_base"))


_HYBRID_SEARCH = f"""
WITH nearest AS (
    SELECT id, row_number() OVER (ORDER BY distance) AS rank
    FROM (SELECT id, embedding <=> $2::text::vector AS distance
          FROM knowledge_base
          ORDER BY embedding <=> $2::text::vector
          LIMIT $3) AS by_distance
),
matching AS (
    SELECT id, text_score, row_number() OVER (ORDER BY text_score DESC) AS rank
    FROM (SELECT id, ts_rank_cd(search_text, query) AS text_score
          FROM knowledge_base, websearch_to_tsquery('english', $1) AS query
          WHERE search_text @@ query AND numnode(query) <= {2 * FULL_TEXT_MAX_WORDS - 1}
          ORDER BY text_score DESC
          LIMIT $3) AS by_rank
),
fused AS (
    SELECT coalesce(n.id, m.id) AS id,
           coalesce(1.0 / ({RRF_K} + n.rank), 0) + coalesce(1.0 / ({RRF_K} + m.rank), 0) AS score,
           coalesce(m.text_score, 0) AS text_score
    FROM nearest AS n FULL JOIN matching AS m ON n.id = m.id
),
-- Materialized: the cut-off must be computed for the few candidates only, not pushed down
-- into a scan of the whole table.
candidates AS MATERIALIZED (
    SELECT kb.id, kb.title, kb.content, kb.source, f.score::float8 AS score,
           (1 - (kb.embedding <=> $2::text::vector))::float8 AS vector_score,
           f.text_score::float8 AS text_score,
           to_tsvector('english', kb.title) @@ websearch_to_tsquery('english', $1) AS title_match,
           (SELECT max(1 - (kb.embedding <=> q::vector))
            FROM unnest($6::text[]) AS q)::float8 AS question_score
    FROM fused AS f JOIN knowledge_base AS kb ON kb.id = f.id
)
SELECT id, title, content, source, score, vector_score, text_score,
       coalesce(question_score, vector_score) AS question_score
FROM candidates
WHERE vector_score >= $4 OR title_match
ORDER BY CASE WHEN cardinality($6::text[]) > 0
              THEN greatest(vector_score, question_score) END DESC NULLS LAST,
         score DESC, vector_score DESC
LIMIT $5
"""


async def hybrid_search_plan(
    conn: Connection, query_text: str, query_embedding: Sequence[float]
) -> str:
    """EXPLAIN ANALYZE of one hybrid search: to check that both indexes are used."""
    rows = await conn.fetch(
        f"EXPLAIN (ANALYZE, COSTS OFF) {_HYBRID_SEARCH}",
        query_text,
        vector_literal(query_embedding),
        CANDIDATES,
        0.0,
        5,
        [],
    )
    return "\n".join(row[0] for row in rows)


async def hybrid_search(
    conn: Queryable,
    query_text: str,
    query_embedding: Sequence[float],
    *,
    limit: int = 5,
    min_similarity: float,
    candidates: int = CANDIDATES,
    question_embeddings: Sequence[Sequence[float]] = (),
) -> list[SearchHit]:
    """The passages most relevant to a query, best first, only those past the cut-off.

    ``question_embeddings`` (of the query's question sentences) rerank the hits that pass.
    """
    rows = await conn.fetch(
        _HYBRID_SEARCH,
        query_text,
        vector_literal(query_embedding),
        candidates,
        min_similarity,
        limit,
        [vector_literal(e) for e in question_embeddings],
    )
    return [SearchHit(**dict(row)) for row in rows]


async def remove_all(conn: Connection) -> int:
    """Empty the knowledge base (an evaluation run answers each company from its own docs)."""
    return len(await conn.fetch("DELETE FROM knowledge_base RETURNING id"))
