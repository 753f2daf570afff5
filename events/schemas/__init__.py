"""JSON Schemas of the event catalog, generated from the models (``fte events schemas``)."""

from __future__ import annotations

import json
from pathlib import Path

from events.models import EVENT_MODELS

SCHEMA_DIR = Path(__file__).parent


def render_schemas() -> dict[str, str]:
    """File name → schema text, one per event type (e.g. ``io.digitalfte.support.reply.ready.json``)."""
    out = {}
    for model in EVENT_MODELS:
        schema = {"$id": model.event_type, **model.model_json_schema()}
        out[f"{model.event_type}.json"] = json.dumps(schema, indent=2, sort_keys=True) + "\n"
    return out


def write_schemas() -> list[Path]:
    written = []
    for name, text in render_schemas().items():
        path = SCHEMA_DIR / name
        path.write_text(text)
        written.append(path)
    return written
