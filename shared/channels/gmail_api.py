"""The few Gmail API calls the email channel makes, through google-api-python-client.

The client is built from its bundled (static) discovery document; ``GMAIL_API_ENDPOINT`` points
it at Gmail or at the local stand-in. It blocks (httplib2, which is not thread-safe), so each
call runs in a worker thread with that thread's own authorised connection, all sharing one set
of credentials. Gmail's answers are sorted into three kinds: retry later (429, 5xx, no answer),
refused for good (any other 4xx), and a history id Gmail no longer keeps (404 on history).
"""

from __future__ import annotations

import asyncio
import base64
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, TypeVar

import google_auth_httplib2
import httplib2
from google.auth.credentials import Credentials
from google.auth.exceptions import GoogleAuthError, TransportError
from google.oauth2 import credentials as user_credentials
from google.oauth2 import service_account
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError

from shared.config import Settings, get_settings

SCOPES = ["https://www.googleapis.com/auth/gmail.modify"]
HISTORY_PAGE = 100
T = TypeVar("T")


class GmailUnavailable(Exception):
    """Gmail did not do it now (rate limit, server error, timeout): try again later."""


class GmailRefused(Exception):
    """Gmail refused the request for good; ``status`` and Gmail's reason say why."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(f"Gmail refused the request ({status}): {reason}")
        self.status = status
        self.reason = reason


class HistoryGone(Exception):
    """The history id is older than the history Gmail keeps (or not issued yet)."""


class NotConfigured(RuntimeError):
    """No Gmail credentials in the environment."""


@dataclass(frozen=True)
class MessageRef:
    id: str
    thread_id: str


@dataclass(frozen=True)
class FetchedMessage:
    id: str
    thread_id: str
    label_ids: tuple[str, ...]
    raw: bytes


def credentials(settings: Settings) -> Credentials:
    """OAuth client + refresh token, or a service account acting as the support address."""
    if settings.gmail_service_account_file:
        return service_account.Credentials.from_service_account_file(  # type: ignore[no-untyped-call,no-any-return]
            settings.gmail_service_account_file, scopes=SCOPES, subject=settings.gmail_address
        )
    if not (
        settings.gmail_client_id and settings.gmail_client_secret and settings.gmail_refresh_token
    ):
        raise NotConfigured(
            "Gmail needs GMAIL_CLIENT_ID, GMAIL_CLIENT_SECRET and GMAIL_REFRESH_TOKEN "
            "(or GMAIL_SERVICE_ACCOUNT_FILE) in the environment"
        )
    return user_credentials.Credentials(  # type: ignore[no-untyped-call]
        token=None,
        refresh_token=settings.gmail_refresh_token,
        token_uri=settings.google_token_uri,
        client_id=settings.gmail_client_id,
        client_secret=settings.gmail_client_secret,
        scopes=SCOPES,
    )


class Gmail:
    """One mailbox, by the calls the channel needs. Every method is a coroutine."""

    def __init__(self, settings: Settings) -> None:
        self._credentials = credentials(settings)
        self._endpoint = settings.gmail_api_endpoint.rstrip("/") + "/"
        self._timeout = settings.gmail_request_timeout_seconds
        self._local = threading.local()

    def _users(self) -> Any:
        """This thread's client (``users()``), built on first use in the thread."""
        users = getattr(self._local, "users", None)
        if users is None:
            http = google_auth_httplib2.AuthorizedHttp(
                self._credentials, http=httplib2.Http(timeout=self._timeout)
            )
            service = build(
                "gmail",
                "v1",
                http=http,
                static_discovery=True,
                cache_discovery=False,
                client_options={"api_endpoint": self._endpoint},
            )
            users = self._local.users = service.users()
        return users

    async def _call(self, request: Callable[[Any], Any]) -> Any:
        def run() -> Any:
            return request(self._users()).execute(num_retries=0)

        try:
            return await asyncio.to_thread(run)
        except HttpError as error:
            raise _sorted(error) from error
        except (TransportError, TimeoutError, OSError, httplib2.HttpLib2Error) as error:
            raise GmailUnavailable(f"Gmail did not answer: {type(error).__name__}") from error
        except GoogleAuthError as error:  # a refresh token that was revoked, a wrong client
            raise GmailRefused(401, f"the credentials were refused: {error}") from error

    async def history_since(self, start: int, limit: int) -> tuple[list[MessageRef], int]:
        """Messages added to the inbox after history id ``start`` (at most ``limit``), and the
        history id read up to: the mailbox's latest when everything was read."""
        found: list[MessageRef] = []
        page_token: str | None = None
        while True:

            def page_request(users: Any, token: str | None = page_token) -> Any:
                return users.history().list(
                    userId="me",
                    startHistoryId=str(start),
                    historyTypes=["messageAdded"],
                    labelId="INBOX",
                    maxResults=HISTORY_PAGE,
                    pageToken=token,
                )

            try:
                page = await self._call(page_request)
            except GmailRefused as refused:
                if refused.status == 404:
                    raise HistoryGone(str(start)) from refused
                raise
            for record in page.get("history", []):
                for added in record.get("messagesAdded", []):
                    message = added["message"]
                    found.append(MessageRef(message["id"], message["threadId"]))
                if len(found) >= limit:
                    return found, int(record["id"])
            page_token = page.get("nextPageToken")
            if not page_token:
                return found, int(page["historyId"])

    async def recent_inbox(self, limit: int) -> list[MessageRef]:
        """The newest inbox messages, at most ``limit``: the sync when the history is gone."""
        page = await self._call(
            lambda users: users.messages().list(userId="me", labelIds=["INBOX"], maxResults=limit)
        )
        return [MessageRef(m["id"], m["threadId"]) for m in page.get("messages", [])]

    async def fetch(self, gmail_id: str) -> FetchedMessage:
        body = await self._call(
            lambda users: users.messages().get(userId="me", id=gmail_id, format="raw")
        )
        raw = base64.urlsafe_b64decode(body["raw"])
        return FetchedMessage(body["id"], body["threadId"], tuple(body.get("labelIds", [])), raw)

    async def send(self, raw: bytes, thread_id: str | None) -> MessageRef:
        body: dict[str, str] = {"raw": base64.urlsafe_b64encode(raw).decode("ascii")}
        if thread_id:
            body["threadId"] = thread_id
        sent = await self._call(lambda users: users.messages().send(userId="me", body=body))
        return MessageRef(sent["id"], sent["threadId"])

    async def find_by_message_id(self, rfc_message_id: str) -> MessageRef | None:
        """The mailbox's message with this ``Message-ID`` header, if any (Gmail's search)."""
        page = await self._call(
            lambda users: users.messages().list(
                userId="me", q=f"rfc822msgid:{rfc_message_id.strip('<>')}", maxResults=1
            )
        )
        messages = page.get("messages", [])
        return MessageRef(messages[0]["id"], messages[0]["threadId"]) if messages else None

    async def watch(self, topic: str) -> tuple[int, datetime]:
        """Ask Gmail to push inbox changes to ``topic``; the current history id and the expiry."""
        body = {"topicName": topic, "labelIds": ["INBOX"], "labelFilterBehavior": "INCLUDE"}
        answer = await self._call(lambda users: users.watch(userId="me", body=body))
        expires = datetime.fromtimestamp(int(answer["expiration"]) / 1000, UTC)
        return int(answer["historyId"]), expires


def _sorted(error: HttpError) -> Exception:
    status = error.status_code or 0
    reason = error._get_reason() or f"HTTP {status}"
    if status == 429 or status >= 500:
        return GmailUnavailable(f"Gmail answered {status}: {reason}")
    return GmailRefused(status, reason)


@lru_cache(maxsize=1)
def gmail() -> Gmail:
    """The process's Gmail client, for the configured support address."""
    return Gmail(get_settings())
