"""Google, as the dev stack's email channel meets it: one process serving the Gmail stand-in,
OAuth's token endpoint, the push signer's certificates, and Pub/Sub's push to our webhook.

Run as ``python -m shared.devstack.standins.google`` with the mailbox and push settings in
the environment (the dev stack does this). Besides Google's own paths it serves a few of its
own under ``/_standin/`` for ``fte try`` and tests: drop a mail in the inbox, read the sent
mail, see and replay the pushes, inject faults.

Pushes are delivered as Pub/Sub delivers them: a JSON envelope with base64 ``message.data``,
an RS256 OIDC token in ``Authorization``, and redelivery with backoff until a 2xx.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import os
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from shared import logs
from shared.devstack.standins.gmail import GmailStandIn, StoredMessage
from shared.devstack.standins.push_signer import PushSigner

log = logging.getLogger("google-standin")
PUSH_BACKOFF = (0.2, 0.5, 1.0, 2.0, 5.0)  # then every 5 s, as Pub/Sub backs off to its maximum
PUSH_ATTEMPTS = 60
PUSH_TIMEOUT = 30.0


@dataclass
class Push:
    body: dict[str, Any]
    authorization: str
    statuses: list[int] = field(default_factory=list)


@dataclass
class GoogleStandIn:
    mailbox: GmailStandIn
    push_endpoint: str
    push_audience: str
    push_service_account: str
    subscription: str = "projects/local/subscriptions/gmail-push"
    signer: PushSigner = field(default_factory=PushSigner)
    pushes: list[Push] = field(default_factory=list)
    _described: dict[str, dict[str, Any]] = field(default_factory=dict)
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.mailbox.listeners.append(self._changed)

    def app(self) -> Starlette:
        own = [
            Route("/_standin/mail", self.drop_mail, methods=["POST"]),
            Route("/_standin/sent", self.sent, methods=["GET"]),
            Route("/_standin/pushes", self.list_pushes, methods=["GET"]),
            Route("/_standin/faults", self.faults, methods=["POST"]),
        ]
        return Starlette(routes=[*self.mailbox.app().routes, *self.signer.app().routes, *own])

    # Pub/Sub push

    def _changed(self, history_id: int) -> None:
        data = {"emailAddress": self.mailbox.address, "historyId": history_id}
        message = {
            "data": base64.b64encode(json.dumps(data).encode()).decode("ascii"),
            "messageId": secrets.token_hex(8),
            "publishTime": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        }
        token = self.signer.mint(audience=self.push_audience, email=self.push_service_account)
        push = Push({"message": message, "subscription": self.subscription}, f"Bearer {token}")
        self.pushes.append(push)
        task = asyncio.get_running_loop().create_task(self._deliver(push))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _deliver(self, push: Push) -> None:
        async with httpx.AsyncClient(timeout=PUSH_TIMEOUT) as client:
            for attempt in range(PUSH_ATTEMPTS):
                try:
                    response = await client.post(
                        self.push_endpoint,
                        json=push.body,
                        headers={"authorization": push.authorization},
                    )
                    push.statuses.append(response.status_code)
                    if 200 <= response.status_code < 300:
                        return
                except httpx.HTTPError as exc:
                    push.statuses.append(0)
                    log.info("push not delivered (%s); retrying", type(exc).__name__)
                await asyncio.sleep(PUSH_BACKOFF[min(attempt, len(PUSH_BACKOFF) - 1)])
        log.warning(
            "push %s dropped after %d attempts", push.body["message"]["messageId"], PUSH_ATTEMPTS
        )

    # The stand-in's own paths

    async def drop_mail(self, request: Request) -> JSONResponse:
        """``{"from", "subject", "body", "thread_id"?, "name"?}`` → a mail in the inbox."""
        spec = await request.json()
        if not isinstance(spec, dict) or not spec.get("from") or not spec.get("body"):
            return JSONResponse({"detail": "give at least from and body"}, status_code=400)
        thread_id = spec.get("thread_id") or None
        earlier = [m for m in self.mailbox.messages.values() if m.thread_id == thread_id]
        if thread_id and not earlier:
            return JSONResponse({"detail": f"no thread {thread_id}"}, status_code=404)
        raw = _customer_mail(spec, self.mailbox.address, earlier[-1] if earlier else None)
        message_id = self.mailbox.deliver(raw, thread_id)
        stored = self.mailbox.messages[message_id]
        header = str(message_from_bytes(raw, policy=policy.default)["Message-ID"])
        body = {"id": message_id, "thread_id": stored.thread_id, "message_id": header}
        return JSONResponse(body, status_code=201)

    async def sent(self, request: Request) -> JSONResponse:
        for stored in self.mailbox.sent():
            if stored.id not in self._described:
                self._described[stored.id] = described(stored)
        return JSONResponse([self._described[m.id] for m in self.mailbox.sent()])

    async def list_pushes(self, request: Request) -> JSONResponse:
        return JSONResponse(
            [
                {"body": p.body, "authorization": p.authorization, "statuses": p.statuses}
                for p in self.pushes
            ]
        )

    async def faults(self, request: Request) -> JSONResponse:
        """``{"fail_sends": [429, 503], "stall_sends": 1, "stall_seconds": 30}``"""
        spec = await request.json()
        self.mailbox.fail_sends = [int(s) for s in spec.get("fail_sends", [])]
        self.mailbox.stall_sends = int(spec.get("stall_sends", 0))
        self.mailbox.stall_seconds = float(spec.get("stall_seconds", self.mailbox.stall_seconds))
        return JSONResponse({"ok": True})


def _customer_mail(spec: dict[str, Any], to: str, previous: StoredMessage | None) -> bytes:
    """A customer's mail as their client writes it; in a thread, an answer to its last mail."""
    message = EmailMessage()
    name = spec.get("name")
    message["From"] = f"{name} <{spec['from']}>" if name else spec["from"]
    message["To"] = to
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = make_msgid(domain=spec["from"].rpartition("@")[2] or "localhost")
    subject = spec.get("subject") or ""
    if previous is not None:
        last = message_from_bytes(previous.raw, policy=policy.default)
        subject = subject or f"Re: {str(last['Subject'] or '').removeprefix('Re: ')}"
        last_id = str(last["Message-ID"] or "")
        message["In-Reply-To"] = last_id
        message["References"] = f"{last['References'] or ''} {last_id}".strip()
    message["Subject"] = subject
    message.set_content(spec["body"])
    return message.as_bytes()


def described(stored: StoredMessage) -> dict[str, Any]:
    """A sent mail as ``fte try outbox`` shows it."""
    mail = message_from_bytes(stored.raw, policy=policy.default)
    assert isinstance(mail, EmailMessage)
    text = mail.get_body(("plain",))
    html = mail.get_body(("html",))
    return {
        "id": stored.id,
        "to": str(mail["To"] or ""),
        "from": str(mail["From"] or ""),
        "thread_id": stored.thread_id,
        "message_id": str(mail["Message-ID"] or ""),
        "in_reply_to": str(mail["In-Reply-To"] or ""),
        "references": str(mail["References"] or ""),
        "subject": str(mail["Subject"] or ""),
        "text": _lf(text.get_content()) if isinstance(text, EmailMessage) else "",
        "html": _lf(html.get_content()) if isinstance(html, EmailMessage) else "",
        "content_type": mail.get_content_type(),
    }


def _lf(text: str) -> str:
    return text.replace("\r\n", "\n")


def from_environment() -> GoogleStandIn:
    env = os.environ
    mailbox = GmailStandIn(
        env["GMAIL_ADDRESS"],
        env["GMAIL_CLIENT_ID"],
        env["GMAIL_CLIENT_SECRET"],
        env["GMAIL_REFRESH_TOKEN"],
    )
    return GoogleStandIn(
        mailbox,
        push_endpoint=env["PUSH_ENDPOINT"],
        push_audience=env["GMAIL_PUSH_AUDIENCE"],
        push_service_account=env["GMAIL_PUSH_SERVICE_ACCOUNT"],
    )


def main() -> None:
    logs.configure("google-standin")
    google = from_environment()
    uvicorn.run(
        google.app(),
        host=os.environ.get("HOST", "127.0.0.1"),
        port=int(os.environ["PORT"]),
        log_level="warning",
        log_config=None,  # logs.configure's JSON lines
    )


if __name__ == "__main__":
    main()
