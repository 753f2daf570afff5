"""Starting the stand-ins as parts of the embedded stack, and finding them again from ``fte try``.

Each start makes fresh credentials, hands them to the stand-in and to the functions (as a
cluster's Secret would), and writes them to ``<data dir>/standins/<service>.json``, where the
``fte try`` commands of the developer running the stack read them.
"""

from __future__ import annotations

import json
import secrets
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

from shared.devstack.ports import free_port, wait_for_port
from shared.devstack.processes import Child, spawn

WEBHOOK_PATH = "/api/v1/webhooks/whatsapp"


@dataclass(frozen=True)
class TwilioAccount:
    """The stand-in's account: what the functions get as TWILIO_* and ``fte try`` signs with."""

    account_sid: str
    auth_token: str
    sender: str
    api_base_url: str
    webhook_url: str

    def function_env(self) -> dict[str, str]:
        return {
            "TWILIO_ACCOUNT_SID": self.account_sid,
            "TWILIO_AUTH_TOKEN": self.auth_token,
            "TWILIO_WHATSAPP_FROM": self.sender,
            "TWILIO_API_BASE_URL": self.api_base_url,
        }


def twilio_account_path(data_dir: Path) -> Path:
    return data_dir / "standins" / "twilio.json"


def start_twilio(
    data_dir: Path, log_dir: Path, cwd: Path, sender: str, gateway_url: str
) -> tuple[Child, TwilioAccount]:
    """The Twilio stand-in as a child process; its webhooks go to the stack's gateway."""
    port = free_port()
    account = TwilioAccount(
        account_sid="AC" + secrets.token_hex(16),
        auth_token=secrets.token_hex(16),
        sender=sender,
        api_base_url=f"http://127.0.0.1:{port}",
        webhook_url=gateway_url + WEBHOOK_PATH,
    )
    env = account.function_env() | {
        "TWILIO_STANDIN_WEBHOOK_URL": account.webhook_url,
        "HOST": "127.0.0.1",
        "PORT": str(port),
    }
    argv = [sys.executable, "-m", "shared.devstack.standins.twilio"]
    child = spawn("twilio", argv, env=env, log_dir=log_dir, cwd=cwd, port=port)
    try:
        wait_for_port(port, 30, child.alive)
    except (RuntimeError, TimeoutError) as exc:
        child.stop()
        raise RuntimeError(f"the Twilio stand-in did not start: {exc}\n{child.log_tail()}") from exc
    path = twilio_account_path(data_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(asdict(account), indent=2))
    path.chmod(0o600)
    return child, account


def read_twilio_account(data_dir: Path) -> TwilioAccount:
    """The account of the stack running on ``data_dir``; FileNotFoundError when none started."""
    return TwilioAccount(**json.loads(twilio_account_path(data_dir).read_text()))
