"""The short fault suite CI runs: every kind of fault once, nothing lost, nothing twice."""

from __future__ import annotations

import pytest

from tests.faults.run import FAULTS, main, plan_faults, run_faults

pytestmark = pytest.mark.e2e


def test_under_every_fault_each_accepted_message_gets_exactly_one_answer() -> None:
    result = run_faults(messages=80, seed=3)
    assert result["faults"] == {kind: 1 for kind in FAULTS}
    assert result["accepted"] > 0 and result["refused"] == 0
    assert result["lost"] == 0
    assert result["duplicated"] == 0
    assert result["accepted"] == result["replied"] + result["dead_lettered"]
    assert result["apologies_without_dead_letter"] == 0


def test_the_seed_chooses_the_faults_and_their_moments() -> None:
    import random

    assert plan_faults(random.Random(7), 1000) == plan_faults(random.Random(7), 1000)
    assert plan_faults(random.Random(7), 1000) != plan_faults(random.Random(8), 1000)
    assert sorted({kind for _, kind in plan_faults(random.Random(1), 10)}) == sorted(FAULTS)


def test_a_nonsense_message_count_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--messages", "0"])
    assert exited.value.code == 2
    assert "--messages must be at least 1" in capsys.readouterr().err
