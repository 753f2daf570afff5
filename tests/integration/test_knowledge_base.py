"""The knowledge base on the real parts: embedded Postgres + pgvector and the packaged model.

The company docs of shared/context are ingested once per session (the ``kb_template`` of
conftest: embedding is the slow part); this module searches its own copy of that database, and
a test that changes the data works on a private copy of it.
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import subprocess
import sys
import sysconfig
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from shared.config import Settings
from shared.db import knowledge_base as kb_db
from shared.kb import embeddings, onnx_export
from shared.kb.ingest import ingest_directory, markdown_files, read_passages, run_ingest_cli
from shared.kb.passages import Passage

CONTEXT = Path(__file__).resolve().parents[2] / "shared" / "context"
MIN_SIMILARITY = Settings.model_fields["kb_min_similarity"].default  # the configured default

pytestmark = pytest.mark.timeout(600)
_copies = itertools.count(1)


def section(hit: kb_db.SearchHit) -> str:
    return Passage(hit.source, hit.title, hit.content).section


def cosine(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


def ticket_query(ticket: dict[str, str]) -> str:
    return "\n\n".join(part for part in (ticket.get("subject"), ticket["content"]) if part)


async def copy_database(postgres: object, template: str, name: str) -> str:
    admin = await asyncpg.connect(postgres.get_uri())  # type: ignore[attr-defined]
    await admin.execute(f"CREATE DATABASE {name} TEMPLATE {template}")
    await admin.close()
    return name


async def drop_database(postgres: object, name: str) -> None:
    admin = await asyncpg.connect(postgres.get_uri())  # type: ignore[attr-defined]
    await admin.execute(f"DROP DATABASE {name} WITH (FORCE)")
    await admin.close()


@pytest.fixture(scope="module")
async def kb_database(postgres: object, kb_template: str) -> AsyncIterator[str]:
    """This module's copy of the ingested company docs (the session template stays untouched)."""
    name = await copy_database(postgres, kb_template, f"kb_search_{os.getpid()}")
    yield name
    await drop_database(postgres, name)


@pytest.fixture
async def kb(postgres: object, kb_database: str) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(postgres.get_uri(kb_database))  # type: ignore[attr-defined]
    yield conn
    await conn.close()


@pytest.fixture
async def kb_copy(postgres: object, kb_database: str) -> AsyncIterator[str]:
    """A private copy of the ingested company docs, for a test that changes them."""
    name = await copy_database(postgres, kb_database, f"{kb_database}_{next(_copies)}")
    yield postgres.get_uri(name)  # type: ignore[attr-defined]
    await drop_database(postgres, name)


async def test_a_first_ingest_embeds_and_stores_every_passage(
    db: asyncpg.Connection, tmp_path: Path
) -> None:
    for name in ("company-profile.md", "brand-voice.md"):
        shutil.copy(CONTEXT / name, tmp_path / name)
    passages = [p for path in markdown_files(tmp_path) for p in read_passages(path)]

    report = await ingest_directory(db, tmp_path, progress=False)

    assert (report.files, report.passages, report.inserted) == (2, len(passages), len(passages))
    assert (report.unchanged, report.removed) == (0, 0)
    stored = await db.fetch("SELECT title, embedding IS NOT NULL AS embedded FROM knowledge_base")
    assert sorted(r["title"] for r in stored) == sorted(p.title for p in passages)
    assert all(r["embedded"] for r in stored)


async def test_every_company_doc_is_in_the_knowledge_base(kb: asyncpg.Connection) -> None:
    passages = [p for path in markdown_files(CONTEXT) for p in read_passages(path)]
    assert await kb_db.count_passages(kb) == len(passages) > 60
    assert await kb_db.stored_hashes(kb, (p.content_hash for p in passages)) == {
        p.content_hash for p in passages
    }


async def test_ingesting_the_same_docs_again_changes_nothing(kb_copy: str) -> None:
    conn = await asyncpg.connect(kb_copy)
    before = await conn.fetch("SELECT id, content_hash FROM knowledge_base ORDER BY id")
    report = await ingest_directory(conn, CONTEXT, progress=False)
    after = await conn.fetch("SELECT id, content_hash FROM knowledge_base ORDER BY id")
    await conn.close()
    assert (report.inserted, report.removed, report.unchanged) == (0, 0, report.passages)
    assert before == after


async def test_editing_a_doc_replaces_its_old_passage(kb_copy: str, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    shutil.copytree(CONTEXT, docs)
    product_docs = docs / "product-docs.md"
    old = "expires after 60 minutes"
    assert old in product_docs.read_text()
    product_docs.write_text(product_docs.read_text().replace(old, "expires after 15 minutes"))

    conn = await asyncpg.connect(kb_copy)
    report = await ingest_directory(conn, docs, progress=False)
    password = await conn.fetch(
        "SELECT content FROM knowledge_base WHERE title LIKE '%› Resetting your password'"
    )
    await conn.close()
    assert (report.inserted, report.removed) == (1, 1)
    assert len(password) == 1
    assert "expires after 15 minutes" in password[0]["content"]
    assert old not in password[0]["content"]


async def test_upserting_stores_each_passage_once(db: asyncpg.Connection) -> None:
    passages = [Passage("a.md", "A", "alpha"), Passage("a.md", "B", "beta")]
    vectors = [[1.0] + [0.0] * 383, [0.0, 1.0] + [0.0] * 382]
    assert await kb_db.upsert_passages(db, list(zip(passages, vectors, strict=True))) == (2, 0)
    assert await kb_db.upsert_passages(db, list(zip(passages, vectors, strict=True))) == (0, 2)
    assert await kb_db.upsert_passages(db, []) == (0, 0)
    assert await kb_db.count_passages(db) == 2
    assert await kb_db.stored_hashes(db, [passages[0].content_hash, "f" * 64]) == {
        passages[0].content_hash
    }


async def test_removing_stale_passages_touches_only_that_source(db: asyncpg.Connection) -> None:
    keep, stale, other = (
        Passage("a.md", "A", "new"),
        Passage("a.md", "A", "old"),
        Passage("b.md", "B", "x"),
    )
    vector = [1.0] + [0.0] * 383
    await kb_db.upsert_passages(db, [(keep, vector), (stale, vector), (other, vector)])
    assert await kb_db.remove_stale(db, "a.md", [keep.content_hash]) == 1
    assert await kb_db.remove_stale(db, "a.md", [keep.content_hash]) == 0
    titles = await db.fetch("SELECT source, content FROM knowledge_base ORDER BY source")
    assert [tuple(r) for r in titles] == [("a.md", "new"), ("b.md", "x")]


async def test_real_tickets_find_their_section_first(kb: asyncpg.Connection) -> None:
    tickets = [
        t
        for t in json.loads((CONTEXT / "sample-tickets.json").read_text())
        if t.get("expected_section")
    ]
    first = within_three = 0
    misses = []
    for ticket in tickets:
        query = ticket_query(ticket)
        hits = await kb_db.hybrid_search(
            kb,
            query,
            await embeddings.embed_query_async(query),
            limit=3,
            min_similarity=MIN_SIMILARITY,
        )
        sections = [section(hit) for hit in hits]
        first += sections[:1] == [ticket["expected_section"]]
        within_three += ticket["expected_section"] in sections
        if sections[:1] != [ticket["expected_section"]]:
            misses.append(f"{ticket['id']}: {ticket['expected_section']!r} -> {sections}")
    hit_at_1, hit_at_3 = first / len(tickets), within_three / len(tickets)
    print(
        f"\nknowledge base over {len(tickets)} tickets: hit@1 {hit_at_1:.3f}, hit@3 {hit_at_3:.3f}"
    )
    print("\n".join(misses))
    assert len(tickets) >= 40
    assert hit_at_1 >= 0.8, misses
    assert hit_at_3 >= 0.9, misses


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("How do I reset my password?", "Resetting your password"),
        ("SCIM", "Provisioning users with SCIM"),
        ('"NW-409"', "Error NW-409: conflict"),
        ("I keep getting 429 too many requests from the API", "API rate limits and the 429 error"),
    ],
)
async def test_short_questions_and_keywords_find_their_section(
    kb: asyncpg.Connection, query: str, expected: str
) -> None:
    hits = await kb_db.hybrid_search(
        kb, query, embeddings.embed_query(query), min_similarity=MIN_SIMILARITY
    )
    assert section(hits[0]) == expected
    assert hits == sorted(hits, key=lambda h: h.score, reverse=True)


@pytest.mark.parametrize(
    "query", ["what is the best laptop to buy", "recipe for chocolate cake", "hi", "the"]
)
async def test_an_unrelated_query_finds_nothing(kb: asyncpg.Connection, query: str) -> None:
    hits = await kb_db.hybrid_search(
        kb, query, embeddings.embed_query(query), min_similarity=MIN_SIMILARITY
    )
    assert hits == []


def test_embeddings_are_unit_length_384_dim_and_closer_for_related_text() -> None:
    reset, also_reset, laptop = embeddings.embed_passages(
        ["How do I reset my password?", "I forgot my password", "best laptop to buy"]
    )
    assert len(reset) == embeddings.DIMENSIONS
    assert all(abs(sum(x * x for x in v) - 1) < 1e-4 for v in (reset, also_reset, laptop))
    assert cosine(reset, also_reset) > 0.6 > 0.2 > cosine(reset, laptop)
    assert embeddings.embed_query("I forgot my password") == pytest.approx(also_reset, abs=1e-5)


def test_the_onnx_runtime_gives_the_vectors_transformers_gives_padded_or_not() -> None:
    """The export runs the packaged weights exactly: against ``transformers``' own forward pass
    and the model's mean pooling, one text alone and a batch padded to its longest text."""
    import numpy as np
    import torch
    from transformers import AutoModel

    texts = [
        "How do I reset my password?",
        "x",
        "I was charged twice for my subscription this month and the invoice shows a plan I never "
        "chose; can someone look at my account and refund the second charge, please?",
    ]
    model = AutoModel.from_pretrained(str(embeddings.model_path()), local_files_only=True).eval()
    tokenizer = embeddings._load().tokenizer
    batch = tokenizer.encode_batch(texts)
    mask = torch.tensor([e.attention_mask for e in batch])
    with torch.inference_mode():
        tokens = model(input_ids=torch.tensor([e.ids for e in batch]), attention_mask=mask)[0]
        weights = mask.unsqueeze(-1).to(tokens.dtype)
        pooled = (tokens * weights).sum(dim=1) / weights.sum(dim=1)
        expected = torch.nn.functional.normalize(pooled, dim=1).numpy()

    assert mask.sum(dim=1).tolist()[1] < mask.shape[1]  # the batch is padded
    together = np.array(embeddings.embed_passages(texts))
    alone = np.array([embeddings.embed_query(t) for t in texts])
    assert (together * expected).sum(axis=1).min() > 0.99999
    assert (alone * expected).sum(axis=1).min() > 0.99999


def test_a_process_with_the_export_in_place_never_imports_torch() -> None:
    embeddings.warm_up()  # the export exists from here on
    script = """
import json, sys
from shared.kb import embeddings, onnx_export
vector = embeddings.embed_query("Where are my invoices?")
print(json.dumps({"dims": len(vector), "torch": "torch" in sys.modules,
                  "transformers": "transformers" in sys.modules}))
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True
    )
    assert json.loads(done.stdout.strip().splitlines()[-1]) == {
        "dims": 384,
        "torch": False,
        "transformers": False,
    }


def test_the_export_is_named_for_what_it_was_made_from(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(onnx_export.CACHE_ENV, str(tmp_path / "models"))
    model = embeddings.model_path()
    first = onnx_export.onnx_path(model)
    assert first.parent == tmp_path / "models"
    assert first.name.startswith(onnx_export.NAME) and first.suffix == ".onnx"
    monkeypatch.setattr(onnx_export, "EXPORT_VERSION", onnx_export.EXPORT_VERSION + "-next")
    assert onnx_export.onnx_path(model) != first  # a new export is a new file, never a stale one


def test_the_model_loads_from_site_packages_offline_and_not_at_import(tmp_path: Path) -> None:
    """A fresh process, no hub cache, no network: importing loads nothing, first use works."""
    script = """
import os, sys, json
from shared.kb import embeddings, onnx_export
at_import = ["torch" in sys.modules, "transformers" in sys.modules, embeddings.is_loaded()]
vector = embeddings.embed_query("Where are my invoices?")
print(json.dumps({"at_import": at_import, "dims": len(vector), "path": str(embeddings.model_path()),
                  "offline": os.environ.get("HF_HUB_OFFLINE"), "cache": os.listdir(os.environ["HF_HOME"])}))
"""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "TRANSFORMERS_"))}
    unreachable = "http://127.0.0.1:9"  # any attempt to reach a hub fails at once
    env |= {"HF_HOME": str(tmp_path), "HTTPS_PROXY": unreachable, "HTTP_PROXY": unreachable}
    done = subprocess.run(
        [sys.executable, "-c", script],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["at_import"] == [False, False, False]
    assert result["dims"] == 384
    assert result["offline"] == "1"
    assert result["cache"] == []
    assert Path(result["path"]).is_relative_to(sysconfig.get_paths()["purelib"])


def test_the_ingest_command_rejects_a_folder_without_docs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_ingest_cli(tmp_path / "missing", "postgresql://unused") == 2
    assert "is not a directory" in capsys.readouterr().err
    (tmp_path / "notes.txt").write_text("not markdown")
    assert run_ingest_cli(tmp_path, "postgresql://unused") == 2
    assert "no .md files" in capsys.readouterr().err


def test_the_ingest_command_prints_a_one_line_summary(
    kb_copy: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_ingest_cli(CONTEXT, kb_copy) == 0
    out = capsys.readouterr().out.strip()
    assert len(out.splitlines()) == 1
    assert "0 inserted" in out and "0 removed" in out


async def test_question_sentences_rerank_hits_without_moving_the_cut_off(
    kb: asyncpg.Connection,
) -> None:
    # Context about one topic wraps a question about another: the whole message leans towards
    # the context, its question sentence towards the section that answers it.
    message = (
        "Last month you helped me reset my password and set up two-factor authentication, "
        "and both work fine now, thanks for that. A different question: "
        "how do I export all of my workspace's data?"
    )
    questions = ["how do I export all of my workspace's data?"]
    vectors = embeddings.embed_passages([message, *questions])
    plain = await kb_db.hybrid_search(
        kb, message, vectors[0], limit=10, min_similarity=MIN_SIMILARITY
    )
    reranked = await kb_db.hybrid_search(
        kb,
        message,
        vectors[0],
        limit=10,
        min_similarity=MIN_SIMILARITY,
        question_embeddings=vectors[1:],
    )
    assert {h.id for h in reranked} == {h.id for h in plain}  # the same hits pass
    assert all(h.vector_score >= MIN_SIMILARITY for h in reranked)
    assert all(h.question_score == h.vector_score for h in plain)
    keys = [max(h.vector_score, h.question_score) for h in reranked]
    assert keys == sorted(keys, reverse=True)
    assert "export" in section(reranked[0]).lower()
    assert "export" not in section(plain[0]).lower()
