"""``fte try`` and ``fte gmail watch`` say plainly what is missing instead of a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from shared.cli import main


def test_fte_try_email_without_a_running_stack_says_how_to_start_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        ["try", "email", "--from", "a@example.com", "--body", "Hi", "--data-dir", str(tmp_path)]
    )

    assert code == 1
    assert "no running dev stack found" in capsys.readouterr().err


def test_fte_try_outbox_without_a_running_stack_fails_clearly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["try", "outbox", "--channel", "email", "--data-dir", str(tmp_path)]) == 1
    assert "nox -s dev" in capsys.readouterr().err


def test_fte_gmail_watch_names_the_missing_settings(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from shared.config import get_settings

    for name in ("DATABASE_URL", "KAFKA_BOOTSTRAP_SERVERS"):
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()

    assert main(["gmail", "watch"]) == 1
    assert "set DATABASE_URL, KAFKA_BOOTSTRAP_SERVERS" in capsys.readouterr().err
    get_settings.cache_clear()
