"""Google for tests of the email channel: the stand-in served on the test's loop, the library
configured to use it, and mail and pushes made as customers and Pub/Sub make them."""

from __future__ import annotations

import base64
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any

import pytest

from shared.channels.gmail_api import gmail
from shared.config import get_settings
from shared.devstack.standins.gmail import GmailStandIn
from shared.devstack.standins.google import GoogleStandIn, described
from tests.serving import serve

SUPPORT = "support@northwind.example"
PUSHER = "gmail-push@test-project.iam.gserviceaccount.com"
AUDIENCE = "https://support.northwind.example/api/v1/webhooks/gmail"
CLIENT_ID, CLIENT_SECRET, REFRESH_TOKEN = "client-1.apps.example", "s3cret", "1//refresh"


def customer_mail(
    body: str = "How do I reset my password?",
    *,
    sender: str = "Ada Lovelace <ada@example.com>",
    subject: str = "Reset password",
    headers: dict[str, str] | None = None,
    answering: EmailMessage | None = None,
) -> EmailMessage:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, SUPPORT, subject
    message["Message-ID"] = make_msgid(domain="example.com")
    if answering is not None:
        message["In-Reply-To"] = answering["Message-ID"]
        message["References"] = answering["Message-ID"]
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(body)
    return message


@dataclass
class Google:
    standin: GoogleStandIn
    url: str

    @property
    def mailbox(self) -> GmailStandIn:
        return self.standin.mailbox

    def deliver(self, mail: EmailMessage | bytes, thread_id: str | None = None) -> str:
        raw = mail if isinstance(mail, bytes) else mail.as_bytes()
        return self.mailbox.deliver(raw, thread_id)

    def push(
        self,
        history_id: int | None = None,
        *,
        audience: str = AUDIENCE,
        email: str = PUSHER,
        lifetime: int = 3600,
        issued_at: int | None = None,
        address: str = SUPPORT,
    ) -> tuple[dict[str, str], bytes]:
        """A Pub/Sub push (headers, body) saying the mailbox changed up to ``history_id``."""
        data = {"emailAddress": address, "historyId": history_id or self.mailbox.history_id}
        body = {
            "message": {
                "data": base64.b64encode(json.dumps(data).encode()).decode(),
                "messageId": "1",
                "publishTime": "2026-12-01T00:00:00Z",
            },
            "subscription": "projects/test-project/subscriptions/gmail-push",
        }
        token = self.standin.signer.mint(
            audience=audience, email=email, lifetime=lifetime, issued_at=issued_at
        )
        headers = {"authorization": f"Bearer {token}", "content-type": "application/json"}
        return headers, json.dumps(body).encode()

    def sent(self) -> list[dict[str, Any]]:
        return [described(m) for m in self.mailbox.sent()]


@contextlib.asynccontextmanager
async def google_for_tests(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Google]:
    """The stand-in on a local port and the settings that point the library at it.

    It does not push by itself here: tests push by hand, with ``Google.push``.
    """
    mailbox = GmailStandIn(SUPPORT, CLIENT_ID, CLIENT_SECRET, REFRESH_TOKEN)
    standin = GoogleStandIn(mailbox, "http://127.0.0.1:9/unused", AUDIENCE, PUSHER)
    mailbox.listeners.clear()
    async with serve(standin.app()) as url:
        env = {
            "GMAIL_ADDRESS": SUPPORT,
            "GMAIL_CLIENT_ID": CLIENT_ID,
            "GMAIL_CLIENT_SECRET": CLIENT_SECRET,
            "GMAIL_REFRESH_TOKEN": REFRESH_TOKEN,
            "GMAIL_API_ENDPOINT": url,
            "GOOGLE_TOKEN_URI": f"{url}/token",
            "GOOGLE_CERTS_URL": f"{url}/oauth2/v1/certs",
            "GMAIL_PUSH_AUDIENCE": AUDIENCE,
            "GMAIL_PUSH_SERVICE_ACCOUNT": PUSHER,
            "GMAIL_PUBSUB_TOPIC": "projects/test-project/topics/gmail",
            "GMAIL_REQUEST_TIMEOUT_SECONDS": "2",
            "STATUS_LINK_KEY": "test-status-link-key",
            "PUBLIC_BASE_URL": "https://support.northwind.example",
        }
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        get_settings.cache_clear()
        gmail.cache_clear()
        try:
            yield Google(standin, url)
        finally:
            gmail.cache_clear()
            get_settings.cache_clear()
