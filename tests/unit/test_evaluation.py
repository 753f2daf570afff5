"""Scoring an evaluation: reason agreement through aliases, answer hit@1 and search hit@3,
the suite's sets, and the labelled data itself."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shared.agent.rules import DEFAULT_RULES_PATH, RulesError, load_rules
from shared.evaluation.scores import Result, mismatches, score
from shared.evaluation.suite import DEFAULT_SUITE, load_suite
from shared.evaluation.tickets import EvalTicket, load_tickets
from shared.kb.ingest import markdown_files, read_passages


def ticket(**fields: str) -> EvalTicket:
    return EvalTicket.model_validate(
        {"id": "X-1", "channel": "web_form", "content": "hi", **fields}
    )


def result(t: EvalTicket, reason: str | None = None, found: tuple[str, ...] = ()) -> Result:
    top = None if reason or not found else found[0]
    return Result(t, reason is not None, reason, ("create_ticket",), len(found), top, 1.0, found)


def test_reasons_agree_through_the_aliases_of_the_rules_file() -> None:
    canonical = load_rules(DEFAULT_RULES_PATH).canonical_reason
    assert canonical("explicit_human_request") == "human_requested"
    assert canonical("legal_language") == "legal"
    assert canonical("frustrated_customer") == "negative_sentiment"
    assert canonical("kb_miss") == "kb_miss"
    labelled = ticket(expected_action="escalate", escalation_reason="explicit_human_request")
    results = [result(labelled, "human_requested")]
    assert score(results, canonical)["reason_agreement"] == 1.0
    assert score(results)["reason_agreement"] == 0.0  # without the aliases, names differ
    assert mismatches(results, canonical) == []


def test_an_alias_may_name_only_one_reason(tmp_path: Path) -> None:
    text = DEFAULT_RULES_PATH.read_text(encoding="utf-8").replace(
        "shouting: [all_caps]", "shouting: [all_caps, legal_language]"
    )
    path = tmp_path / "rules.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RulesError, match="legal_language"):
        load_rules(path)


def test_answer_hit_at_1_and_search_hit_at_3() -> None:
    wanted = ticket(expected_action="resolve", expected_section="Pausing")
    first = result(wanted, found=("Docs › Pausing", "Docs › Deleting"))
    third = result(wanted, found=("Docs › Deleting", "Docs › Billing", "Docs › Pausing (part 2)"))
    fourth = result(wanted, found=("A", "B", "C", "Docs › Pausing"))
    escalated = result(wanted, "kb_miss", found=("Docs › Pausing",))
    figures = score([first, third, fourth, escalated])
    assert figures["answer_hit_at_1"] == 0.25
    assert figures["search_hit_at_3"] == 0.75
    assert any("expected section 'Pausing'" in line for line in mismatches([third]))


def test_the_default_suite_has_own_dev_and_held_out_sets_for_three_companies() -> None:
    sets = load_suite()
    splits = {s.split for s in sets}
    assert splits == {"own", "dev", "held_out"}
    companies = {s.name for s in sets if s.split == "held_out"}
    assert len(companies) >= 3
    assert companies == {s.name for s in sets if s.split == "dev"}
    for eval_set in sets:
        assert eval_set.tickets.is_file() and markdown_files(eval_set.kb)
    new = [t for s in sets if s.split != "own" for t in load_tickets(s.tickets).tickets]
    assert len(new) >= 200
    assert len({t.id for t in new}) == len(new)


def test_dev_and_held_out_share_no_ticket_text() -> None:
    sets = load_suite()
    text = {s.split: {t.content for t in load_tickets(s.tickets).tickets} for s in sets}
    assert not text["dev"] & text["held_out"]


@pytest.mark.parametrize("eval_set", load_suite(), ids=lambda s: s.label)
def test_every_expected_section_is_a_section_of_its_docs(eval_set: object) -> None:
    from shared.evaluation.suite import EvalSet

    assert isinstance(eval_set, EvalSet)
    sections = {p.section for f in markdown_files(eval_set.kb) for p in read_passages(f)}
    rows = json.loads(eval_set.tickets.read_text(encoding="utf-8"))
    to_answer = [r for r in rows if r.get("expected_action") == "resolve"]
    if eval_set.split != "own":
        assert all(r.get("expected_section") for r in to_answer)
    missing = {r["expected_section"] for r in to_answer if r.get("expected_section")} - sections
    assert not missing


def test_a_broken_suite_file_is_an_error_that_names_it(tmp_path: Path) -> None:
    path = tmp_path / "suite.yaml"
    path.write_text("sets:\n  - {name: x, split: sideways, tickets: a.json, kb: docs}\n")
    with pytest.raises(ValueError, match=str(path)):
        load_suite(path)
    assert DEFAULT_SUITE.is_file()


def test_fte_eval_keeps_its_defaults_when_only_json_is_given(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from shared import cli
    from shared.evaluation import run

    chosen: list[tuple[list[str], bool]] = []
    monkeypatch.setattr(
        run,
        "run_eval",
        lambda sets, as_json: chosen.append(([s.label for s in sets], as_json)) or 0,
    )
    assert cli.main(["eval", "--json"]) == 0
    assert chosen == [([s.label for s in load_suite()], True)]
    assert cli.main(["eval", "--tickets", "t.json"]) == 2  # --kb is needed with it
