"""Fill the knowledge base from a folder of markdown documents, idempotently.

Each ``*.md`` file is cut into passages; only passages whose hash is not stored yet are
embedded (the slow part: about 10 passages a second on 2 cores); then, one transaction per
file, the new passages are inserted and the file's passages that no longer exist are removed,
so a search never sees half of an edited document. Running it again on the same folder
changes nothing. A passage's source is its file's name.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import asyncpg
from tqdm import tqdm

from shared.db import knowledge_base as kb_db
from shared.db.pool import Connection
from shared.kb import embeddings
from shared.kb.passages import Passage, split_markdown


@dataclass(frozen=True)
class IngestReport:
    files: int
    passages: int
    inserted: int
    unchanged: int
    removed: int
    seconds: float

    def summary(self) -> str:
        return (
            f"knowledge base: {self.files} files, {self.passages} passages "
            f"({self.inserted} inserted, {self.unchanged} unchanged, {self.removed} removed) "
            f"in {self.seconds:.1f} s"
        )


def markdown_files(directory: Path) -> list[Path]:
    return sorted(path for path in directory.glob("*.md") if path.is_file())


def read_passages(path: Path) -> list[Passage]:
    """The file's passages, each once (a section repeated word for word is one passage)."""
    unique: dict[str, Passage] = {}
    for passage in split_markdown(path.read_text(encoding="utf-8"), source=path.name):
        unique.setdefault(passage.content_hash, passage)
    return list(unique.values())


async def ingest_directory(
    conn: Connection, directory: Path, progress: bool = True
) -> IngestReport:
    """Bring the knowledge base in line with the ``*.md`` files of ``directory``."""
    started = time.perf_counter()
    documents = {path.name: read_passages(path) for path in markdown_files(directory)}
    every_passage = [passage for passages in documents.values() for passage in passages]

    stored = await kb_db.stored_hashes(conn, (p.content_hash for p in every_passage))
    new = [passage for passage in every_passage if passage.content_hash not in stored]
    vectors = await asyncio.to_thread(_embed, new, progress)
    new_vectors = {p.content_hash: v for p, v in zip(new, vectors, strict=True)}

    inserted = removed = 0
    for source, passages in documents.items():
        to_insert = [
            (p, new_vectors[p.content_hash]) for p in passages if p.content_hash in new_vectors
        ]
        async with conn.transaction():
            inserted += (await kb_db.upsert_passages(conn, to_insert))[0]
            removed += await kb_db.remove_stale(conn, source, [p.content_hash for p in passages])

    return IngestReport(
        files=len(documents),
        passages=len(every_passage),
        inserted=inserted,
        unchanged=len(every_passage) - inserted,
        removed=removed,
        seconds=time.perf_counter() - started,
    )


def _embed(passages: Sequence[Passage], progress: bool) -> list[list[float]]:
    if not passages:
        return []
    with tqdm(
        total=len(passages),
        desc="embedding passages",
        unit="passage",
        file=sys.stderr,
        disable=not progress,
    ) as bar:
        return embeddings.embed_passages([p.embedding_text for p in passages], on_batch=bar.update)


def run_ingest_cli(directory: Path, database_url: str) -> int:
    """``fte kb ingest DIR``: print a one-line summary; exit 0, 1 (database), 2 (bad DIR)."""
    if not directory.is_dir():
        print(f"fte kb ingest: {directory} is not a directory", file=sys.stderr)
        return 2
    if not markdown_files(directory):
        print(f"fte kb ingest: {directory} holds no .md files", file=sys.stderr)
        return 2
    try:
        report = asyncio.run(_ingest(directory, database_url))
    except (OSError, asyncpg.PostgresError) as exc:
        print(f"fte kb ingest: database error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    print(report.summary())
    return 0


async def _ingest(directory: Path, database_url: str) -> IngestReport:
    conn = await asyncpg.connect(database_url)
    try:
        return await ingest_directory(conn, directory)
    finally:
        await conn.close()


def main(argv: list[str] | None = None) -> int:
    """The kb-ingest image's entry point: ``python -m shared.kb.ingest DIR``, ``DATABASE_URL``.

    The same as ``fte kb ingest DIR`` without the CLI, which is not in any image: a Kubernetes
    Job runs it over the documents mounted from a ConfigMap (knative/jobs/kb-ingest.yaml).
    """
    import os

    args = sys.argv[1:] if argv is None else argv
    database_url = os.environ.get("DATABASE_URL", "")
    if len(args) != 1 or not database_url:
        print("usage: DATABASE_URL=… python -m shared.kb.ingest DIR", file=sys.stderr)
        return 2
    return run_ingest_cli(Path(args[0]), database_url)


if __name__ == "__main__":
    sys.exit(main())
