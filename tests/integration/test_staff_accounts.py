"""``fte staff add``: an account with a password given only by the person adding it."""

from __future__ import annotations

import asyncio
import io
import json
from pathlib import Path

import asyncpg
import pytest

from shared.cli import main
from shared.staff.passwords import verify


async def _add(monkeypatch: pytest.MonkeyPatch, password: str, *args: str) -> int:
    """The command as a person runs it: its own event loop (here in a thread), stdin piped."""
    monkeypatch.setattr("sys.stdin", io.StringIO(password + "\n"))
    return await asyncio.to_thread(main, ["staff", "add", *args, "--password-stdin"])


async def test_an_account_gets_an_argon2_hash_of_the_password_it_was_given(
    app_env: str,
    db: asyncpg.Connection,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = await _add(
        monkeypatch,
        "a long enough secret",
        "Ana@Northwind.example",
        "--name",
        "Ana",
        "--role",
        "admin",
    )

    assert code == 0 and "Added Ana <ana@northwind.example> (admin)" in capsys.readouterr().out
    row = await db.fetchrow("SELECT role, password_hash FROM staff")
    assert row["role"] == "admin" and row["password_hash"].startswith("$argon2id$")
    assert verify(row["password_hash"], "a long enough secret")
    assert not verify(row["password_hash"], "another secret!!")


async def test_a_short_password_and_a_second_account_for_an_address_are_refused(
    app_env: str,
    db: asyncpg.Connection,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert await _add(monkeypatch, "short", "ana@northwind.example") == 1
    assert "at least 12 characters" in capsys.readouterr().err
    assert await _add(monkeypatch, "a long enough secret", "ana@northwind.example") == 0
    assert await _add(monkeypatch, "a long enough secret", "ana@northwind.example") == 1
    assert "has an account already" in capsys.readouterr().err
    assert await db.fetchval("SELECT count(*) FROM staff") == 1


async def test_with_no_database_url_the_running_dev_stacks_database_is_used(
    app_env: str,
    db: asyncpg.Connection,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    (tmp_path / "stack.json").write_text(json.dumps({"database_url": app_env}))
    monkeypatch.delenv("DATABASE_URL")

    code = await _add(
        monkeypatch, "a long enough secret", "ana@northwind.example", "--data-dir", str(tmp_path)
    )

    assert code == 0
    assert await db.fetchval("SELECT email FROM staff") == "ana@northwind.example"
