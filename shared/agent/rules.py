"""The hard escalation rules, loaded from YAML so they change without a code change.

The file's format and policy are described in shared/context/escalation-rules.yaml and
escalation-rules.md. In Kubernetes the same text is mounted from the ConfigMap in
knative/base/escalation-rules.yaml and found through ESCALATION_RULES_PATH.
"""

from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

from shared.agent.reasons import ReasonCode

DEFAULT_RULES_PATH = Path(__file__).resolve().parent.parent / "context" / "escalation-rules.yaml"
RULES_PATH_ENV = "ESCALATION_RULES_PATH"


class RulesError(ValueError):
    """The rules file is missing, is not YAML, or does not describe valid rules."""


class Shouting(BaseModel):
    """When a message counts as ALL CAPS."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    min_letters: int = Field(ge=1)
    uppercase_ratio: float = Field(gt=0, le=1)


class PatternRule(BaseModel):
    """One reason code and the regular expressions that give it (any one is enough)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    reason: ReasonCode
    patterns: tuple[re.Pattern[str], ...] = Field(min_length=1)

    @field_validator("patterns", mode="before")
    @classmethod
    def _compile(cls, value: Any, info: ValidationInfo) -> Any:
        """Compile once, case-insensitively; a bad pattern names its rule and itself."""
        if not isinstance(value, list | tuple):
            return value
        reason = info.data.get("reason", "?")
        compiled: list[Any] = []
        for pattern in value:
            if not isinstance(pattern, str):
                raise ValueError(f"rule {reason!r}: pattern {pattern!r} is not a string")
            try:
                compiled.append(re.compile(pattern, re.IGNORECASE))
            except re.error as exc:
                raise ValueError(
                    f"rule {reason!r}: invalid regular expression {pattern!r}: {exc}"
                ) from None
        return tuple(compiled)


class EscalationRules(BaseModel):
    """The whole rules file: thresholds, then pattern rules in the order they are checked."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    sentiment_threshold: float = Field(ge=0, le=1)
    shouting: Shouting
    max_kb_searches: int = Field(ge=1)
    rules: tuple[PatternRule, ...]


def load_rules(path: Path | None = None) -> EscalationRules:
    """The rules from `path`, else from $ESCALATION_RULES_PATH, else the packaged file.

    Each file is read and compiled once per process (a changed ConfigMap means a new pod).
    """
    if path is None:
        path = Path(os.environ.get(RULES_PATH_ENV) or DEFAULT_RULES_PATH)
    return _load(path.resolve())


@lru_cache(maxsize=8)
def _load(path: Path) -> EscalationRules:
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise RulesError(f"escalation rules {path}: cannot read: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise RulesError(f"escalation rules {path}: not valid YAML: {exc}") from None
    try:
        return EscalationRules.model_validate(document)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error['loc']) or 'top level'}: {error['msg']}"
            for error in exc.errors()
        )
        raise RulesError(f"escalation rules {path}: {problems}") from None
