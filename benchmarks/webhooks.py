"""Webhook answer latency at fixed offered rates, each intake beside the bare function.

The intakes run on a stack of their own (with the outbox relay and gmail-watch, no agent
runner), so what the agent would do with thousands of posted messages does not take the CPU
from the very answers being timed. Each intake is called directly on its port, as Knative's
activator or queue-proxy would; the web form is also timed through the dev gateway.
"""

from __future__ import annotations

import base64
import json
import secrets
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx

from benchmarks.load import Answered, offer
from shared.channels.gmail_push import WEBHOOK_PATH as GMAIL_PATH
from shared.devstack.ports import free_port, wait_for_port
from shared.devstack.processes import Child, spawn
from shared.devstack.stack import REPO, Stack
from shared.devstack.standins.launch import WEBHOOK_PATH as WHATSAPP_PATH
from shared.devstack.standins.launch import read_twilio_account

INTAKE_STACK = ("intake-web-form", "intake-gmail", "intake-whatsapp", "outbox-relay", "gmail-watch")
FORM_PATH = "/api/v1/support/form"
Step = Callable[[str], None]


@contextmanager
def bare_function(log_dir: Path) -> Iterator[tuple[str, Child]]:
    """The baseline: a functions-framework function that only answers, on its own port."""
    port = free_port()
    child = spawn(
        "bare",
        [
            sys.executable,
            "-m",
            "functions_framework",
            "--target=bare",
            "--source=benchmarks/bare_function.py",
            "--signature-type=http",
            "--asgi",
        ],
        env={"PORT": str(port), "HOST": "127.0.0.1"},
        log_dir=log_dir,
        cwd=REPO,
        port=port,
    )
    try:
        wait_for_port(port, 60, child.alive)
        yield f"http://127.0.0.1:{port}/", child
    finally:
        child.stop()


def genuine_push(stack: Stack, timeout: float = 30) -> dict[str, str]:
    """A push the Google stand-in signed and intake-gmail took: its body and Authorization."""
    with httpx.Client(timeout=10) as client:
        mail = {"from": "bench@bench.example", "subject": "Bench", "body": "Hello"}
        client.post(f"{stack.google_url}/_standin/mail", json=mail).raise_for_status()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pushes = client.get(f"{stack.google_url}/_standin/pushes").json()
            taken = [p for p in pushes if 200 in p["statuses"]]
            if taken:
                body = base64.b64encode(json.dumps(taken[-1]["body"]).encode()).decode()
                return {"PUSH_BODY": body, "PUSH_AUTHORIZATION": taken[-1]["authorization"]}
            time.sleep(0.05)
    raise RuntimeError(f"intake-gmail took no push within {timeout}s")


def targets(stack: Stack) -> dict[str, tuple[str, str, dict[str, str]]]:
    """name → (k6 kind, URL, what the request needs) for each intake that exists."""
    account = read_twilio_account(stack.data_dir)
    twilio = {
        "TWILIO_ACCOUNT_SID": account.account_sid,
        "TWILIO_AUTH_TOKEN": account.auth_token,
        "TWILIO_TO": account.sender,
        "SIGNED_URL": stack.gateway_url + WHATSAPP_PATH,  # PUBLIC_BASE_URL + the path
    }
    return {
        "web form": ("web-form", stack.urls["intake-web-form"] + FORM_PATH, {}),
        "web form via dev gateway": ("web-form", stack.gateway_url + FORM_PATH, {}),
        "email push (Gmail)": ("gmail-push", stack.urls["intake-gmail"] + GMAIL_PATH, {}),
        "WhatsApp webhook (Twilio)": (
            "whatsapp",
            stack.urls["intake-whatsapp"] + WHATSAPP_PATH,
            twilio,
        ),
    }


def measure(
    stack: Stack, bare_url: str, rates: Sequence[int], seconds: float, step: Step
) -> dict[str, list[Answered]]:
    """For each rate, the bare function then every intake at that rate (baseline beside it)."""
    found = targets(stack)
    push = genuine_push(stack)
    results: dict[str, list[Answered]] = {"bare function (baseline)": []}
    for name, (kind, url, _) in found.items():
        # Warm imports, and grow each connection pool to what the first rate needs: opening
        # Postgres connections mid-run is a once-per-process cost, not the steady answer.
        offer(kind, url, rates[0], 2, _needs(kind, found[name][2], push))
        results[name] = []
    for rate in rates:
        step(f"bare function at {rate}/s")
        results["bare function (baseline)"].append(offer("bare", bare_url, rate, seconds, {}))
        for name, (kind, url, needs) in found.items():
            if name.endswith("gateway") and rate != 100:
                continue  # the gateway's cost is shown at the target rate only
            step(f"{name} at {rate}/s")
            results[name].append(offer(kind, url, rate, seconds, _needs(kind, needs, push)))
    return results


def _needs(kind: str, needs: dict[str, str], push: dict[str, str]) -> dict[str, str]:
    return {"TAG": secrets.token_hex(4), **needs, **(push if kind == "gmail-push" else {})}
