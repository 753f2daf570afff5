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
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from shared.agent.frustration import FrustrationRules
from shared.agent.reasons import ESCALATION_REASONS, EscalationReason, ReasonCode
from shared.kb.answerability import AnswerabilityRules

DEFAULT_RULES_PATH = Path(__file__).resolve().parent.parent / "context" / "escalation-rules.yaml"
RULES_PATH_ENV = "ESCALATION_RULES_PATH"


class RulesError(ValueError):
    """The rules file is missing, is not YAML, or does not describe valid rules."""


class Shouting(BaseModel):
    """When a message counts as ALL CAPS."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    min_letters: int = Field(ge=1)
    uppercase_ratio: float = Field(gt=0, le=1)


def _compile(value: Any, reason: str) -> Any:
    """Compile once, case-insensitively; a bad pattern names its rule and itself."""
    if not isinstance(value, list | tuple):
        return value
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


class PatternRule(BaseModel):
    """One reason code and what gives it, read one sentence at a time.

    ``patterns`` are requests in themselves ("charged me twice", "talk to a human");
    ``when_requested`` are words that are only a request in a sentence that also asks for
    something (one of the file's ``request_cues``): "Please refund it" is a request, "I got a
    refund last month" a mention. A sentence that matches one of ``mentions`` never counts for
    this rule ("billing period", "refund policy"). ``aliases`` are other names of the code, as
    other people's labelled tickets use them.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    reason: ReasonCode
    aliases: tuple[str, ...] = ()
    patterns: tuple[re.Pattern[str], ...] = ()
    when_requested: tuple[re.Pattern[str], ...] = ()
    mentions: tuple[re.Pattern[str], ...] = ()

    @field_validator("patterns", "when_requested", "mentions", mode="before")
    @classmethod
    def _compile(cls, value: Any, info: ValidationInfo) -> Any:
        return _compile(value, info.data.get("reason", "?"))

    @model_validator(mode="after")
    def _applies_somehow(self) -> PatternRule:
        if not self.patterns and not self.when_requested:
            raise ValueError(f"rule {self.reason!r}: no patterns and nothing when_requested")
        return self


class EscalationRules(BaseModel):
    """The whole rules file: thresholds, then pattern rules in the order they are checked."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    frustration: FrustrationRules
    shouting: Shouting
    max_kb_searches: int = Field(ge=1)
    answerability: AnswerabilityRules
    request_cues: tuple[re.Pattern[str], ...] = Field(min_length=1)
    rules: tuple[PatternRule, ...]
    #: other names of the reasons that are not pattern rules (profanity, kb_miss, …)
    aliases: dict[EscalationReason, tuple[str, ...]] = Field(default_factory=dict)

    @field_validator("request_cues", mode="before")
    @classmethod
    def _compile_cues(cls, value: Any) -> Any:
        return _compile(value, "request_cues")

    @model_validator(mode="after")
    def _aliases_are_unambiguous(self) -> EscalationRules:
        seen: dict[str, str] = {}
        for reason, aliases in self._alias_lists():
            for alias in aliases:
                if alias in ESCALATION_REASONS or seen.setdefault(alias, reason) != reason:
                    raise ValueError(f"alias {alias!r} names more than one reason code")
        return self

    def _alias_lists(self) -> list[tuple[str, tuple[str, ...]]]:
        return [(r.reason, r.aliases) for r in self.rules] + list(self.aliases.items())

    def canonical_reason(self, name: str | None) -> str | None:
        """The reason code ``name`` stands for: itself, or the code it is an alias of."""
        for reason, aliases in self._alias_lists():
            if name in aliases:
                return reason
        return name


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
