"""Loading the escalation rules: the packaged file, a file from configuration, bad files."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from shared.agent.guardrails import assess
from shared.agent.rules import DEFAULT_RULES_PATH, RULES_PATH_ENV, RulesError, load_rules

ROOT = Path(__file__).resolve().parents[2]
CONFIG_MAP = ROOT / "knative" / "base" / "escalation-rules.yaml"

MINIMAL = """\
frustration:
  threshold: 0.3
  tone_weight: 0.6
  neutral_words: error failed
  caps_weight: 0.2
  caps_min_words: 2
  punctuation_weight: 0.2
  cues:
    - {signal: demand, weight: 0.3, patterns: ['\\bi expect\\b']}
shouting: {min_letters: 12, uppercase_ratio: 0.7}
max_kb_searches: 2
answerability:
  cues: ['\\bdo you offer\\b']
  question_words: '\\bwhich\\b'
  boundaries: '[,?]'
  ignored: a an
  placeholders: way
request_cues: ['\\bplease\\b']
rules:
  - reason: legal
    patterns: ['\\bpineapple\\b']
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rules.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_packaged_rules_load_in_policy_order(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(RULES_PATH_ENV, raising=False)
    rules = load_rules()
    assert [rule.reason for rule in rules.rules] == [
        "pricing_inquiry",
        "refund_request",
        "legal",
        "human_requested",
    ]
    assert rules.frustration.threshold == 0.5
    assert (rules.shouting.min_letters, rules.shouting.uppercase_ratio) == (12, 0.7)
    assert rules.max_kb_searches == 2


def test_patterns_are_compiled_once_and_case_insensitive() -> None:
    rules = load_rules(DEFAULT_RULES_PATH)
    assert load_rules(DEFAULT_RULES_PATH) is rules
    for rule in rules.rules:
        for pattern in rule.patterns:
            assert isinstance(pattern, re.Pattern)
            assert pattern.flags & re.IGNORECASE


def test_rules_are_frozen() -> None:
    rules = load_rules(DEFAULT_RULES_PATH)
    with pytest.raises(ValueError):
        rules.max_kb_searches = 0


def test_rules_come_from_the_configured_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = "Can I get a refund? Also, we love pineapple on our team board."
    assert assess(text, load_rules(DEFAULT_RULES_PATH)).reason == "refund_request"
    monkeypatch.setenv(RULES_PATH_ENV, str(write(tmp_path, MINIMAL)))
    configured = load_rules()
    assert [rule.reason for rule in configured.rules] == ["legal"]
    assert assess(text, configured).reason == "legal"
    assert assess("Can I get a refund?", configured).reason is None


def test_thresholds_come_from_the_configured_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calm = "I expect the export to be a CSV file, is that right?"
    assert assess(calm, load_rules(DEFAULT_RULES_PATH)).reason is None
    strict = MINIMAL.replace("threshold: 0.3", "threshold: 0.25")
    strict = strict.replace("min_letters: 12", "min_letters: 3")
    monkeypatch.setenv(RULES_PATH_ENV, str(write(tmp_path, strict)))
    rules = load_rules()
    assert assess(calm, rules).reason == "negative_sentiment"
    assert assess("HELP ME", rules).reason == "shouting"


def test_a_bad_pattern_names_its_rule_and_pattern(tmp_path: Path) -> None:
    bad = MINIMAL + "  - reason: refund_request\n    patterns: ['money back', 'refund(']\n"
    with pytest.raises(RulesError, match=r"refund_request.*'refund\('"):
        load_rules(write(tmp_path, bad))


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("rules: [unclosed", "not valid YAML"),
        ("- just\n- a list\n", "top level"),
        (MINIMAL.replace("threshold: 0.3", "threshold: 1.5"), "frustration.threshold"),
        (MINIMAL.replace("reason: legal", "reason: weather"), "reason"),
        (MINIMAL.replace("['\\bpineapple\\b']", "[]"), "patterns"),
        (MINIMAL + "sentiment_threshold: 0.2\n", "sentiment_threshold"),
        (MINIMAL.replace("request_cues: [", "request_cues: [] #"), "request_cues"),
        (MINIMAL.replace("min_letters: 12, ", ""), "min_letters"),
    ],
)
def test_invalid_files_are_rejected_clearly(tmp_path: Path, text: str, problem: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(RulesError, match=re.escape(problem)) as caught:
        load_rules(path)
    assert str(path) in str(caught.value)


def test_a_missing_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(RulesError, match="cannot read"):
        load_rules(tmp_path / "nowhere.yaml")


def test_config_map_holds_the_same_rules_byte_for_byte() -> None:
    manifest = yaml.safe_load(CONFIG_MAP.read_text(encoding="utf-8"))
    assert manifest["kind"] == "ConfigMap"
    assert manifest["metadata"]["name"] == "fte-escalation-rules"
    mounted: str = manifest["data"]["escalation-rules.yaml"]
    assert mounted.encode("utf-8") == DEFAULT_RULES_PATH.read_bytes(), (
        "knative/base/escalation-rules.yaml differs from shared/context/escalation-rules.yaml: "
        "copy the file's text into data['escalation-rules.yaml'], indented by four spaces"
    )
