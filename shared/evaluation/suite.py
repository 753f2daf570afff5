"""Which labelled ticket sets ``fte eval`` runs, and the knowledge base of each.

The default suite (shared/context/eval/suite.yaml) holds the project's own tickets and, for
each invented company, a development set and a held-out set. ``--tickets F --kb DIR`` runs one
set instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

DEFAULT_SUITE = Path(__file__).resolve().parent.parent / "context" / "eval" / "suite.yaml"
Split = Literal["own", "dev", "held_out", "given"]


class _Entry(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    split: Split
    tickets: Path
    kb: Path


@dataclass(frozen=True)
class EvalSet:
    name: str
    split: Split
    tickets: Path
    kb: Path

    @property
    def label(self) -> str:
        return f"{self.name}/{self.split}"


def given_set(tickets: Path, kb: Path) -> EvalSet:
    """One set from the command line."""
    return EvalSet(tickets.stem, "given", tickets, kb)


def load_suite(path: Path = DEFAULT_SUITE) -> list[EvalSet]:
    """The suite's sets, paths resolved against the file's folder."""
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        entries = [_Entry.model_validate(row) for row in document["sets"]]
    except (OSError, yaml.YAMLError, KeyError, TypeError, ValidationError) as exc:
        raise ValueError(f"cannot read the evaluation suite {path}: {exc}") from exc
    base = path.parent
    return [EvalSet(e.name, e.split, base / e.tickets, base / e.kb) for e in entries]
