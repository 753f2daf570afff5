"""A local stand-in of the few Gmail API calls the email channel makes, with Gmail's paths.

``POST /token`` (Google's OAuth token endpoint, refresh-token grant) and, under
``/gmail/v1/users/{userId}/``: ``history``, ``messages`` (list, by label and by
``rfc822msgid:``), ``messages/{id}``, ``messages/send`` and ``watch``. Bodies and errors have Gmail's shapes, so ``google-api-python-client``, built from
its bundled discovery document with ``client_options={"api_endpoint": <this server>}``, and
``google.oauth2.credentials.Credentials(token_uri=<this server>/token)`` talk to it unchanged.

As in Gmail, a sent message also lands in the mailbox (label ``SENT``) and in its history,
a history id older than the kept history (or not yet issued) is a 404, and while a watch is
on, every inbox change is announced (``listeners``: the local Pub/Sub push).

Faults, for tests: ``fail_sends`` (statuses the next sends answer with, sending nothing) and
``stall_sends`` (the next sends are made, then answered only after ``stall_seconds``: a
connection that dies after Gmail accepted the mail).
"""

from __future__ import annotations

import asyncio
import base64
import re
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import Message
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

_STATUS = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED"}
_STATUS |= {404: "NOT_FOUND", 429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 503: "UNAVAILABLE"}
_REASON = {400: "invalidArgument", 401: "authError", 403: "forbidden", 404: "notFound"}
_REASON |= {429: "rateLimitExceeded", 500: "backendError", 503: "backendError"}
_MSGID_QUERY = re.compile(r"^rfc822msgid:<?(?P<id>[^<>\s]+)>?$")
_NOT_FOUND = "Requested entity was not found."
WATCH_LIFETIME_MS = 7 * 24 * 3600 * 1000


def _error(code: int, message: str) -> JSONResponse:
    errors = [{"message": message, "domain": "global", "reason": _REASON[code]}]
    body = {"error": {"code": code, "message": message, "errors": errors, "status": _STATUS[code]}}
    return JSONResponse(body, status_code=code)


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii")


def _part(message: Message, part_id: str) -> dict[str, Any]:
    """One MIME part in the shape of Gmail's ``format=full`` payload."""
    headers = [{"name": k, "value": str(v)} for k, v in message.items()]
    part: dict[str, Any] = {
        "partId": part_id,
        "mimeType": message.get_content_type(),
        "filename": message.get_filename() or "",
        "headers": headers,
    }
    if message.is_multipart():
        children = message.get_payload()
        assert isinstance(children, list)
        prefix = f"{part_id}." if part_id else ""
        part["body"] = {"size": 0}
        part["parts"] = [_part(child, f"{prefix}{n}") for n, child in enumerate(children)]
    else:
        data = message.get_payload(decode=True)
        data = data if isinstance(data, bytes) else b""
        part["body"] = {"size": len(data), "data": _b64url(data)} if data else {"size": 0}
    return part


@dataclass
class StoredMessage:
    id: str
    thread_id: str
    raw: bytes
    label_ids: list[str]
    history_id: int
    internal_date: int = field(default_factory=lambda: int(time.time() * 1000))

    def resource(self, fmt: str) -> dict[str, Any]:
        body: dict[str, Any] = {"id": self.id, "threadId": self.thread_id}
        body["labelIds"] = list(self.label_ids)
        if fmt == "minimal":
            return body
        parsed = message_from_bytes(self.raw, policy=policy.compat32)
        body |= {"snippet": "", "sizeEstimate": len(self.raw), "historyId": str(self.history_id)}
        body["internalDate"] = str(self.internal_date)
        if fmt == "raw":
            body["raw"] = _b64url(self.raw)
        else:
            body["payload"] = _part(parsed, "")
        return body


@dataclass(frozen=True)
class MessageIdQuery:
    """``q`` of ``messages.list``: nothing, or ``rfc822msgid:<id>``."""

    message_id: str | None

    @classmethod
    def of(cls, q: str | None) -> MessageIdQuery | None:
        if not q:
            return cls(None)
        match = _MSGID_QUERY.match(q.strip())
        return cls(match["id"]) if match else None

    def matches(self, stored: StoredMessage) -> bool:
        if self.message_id is None:
            return True
        header = message_from_bytes(stored.raw, policy=policy.compat32).get("Message-ID", "")
        return str(header).strip().strip("<>") == self.message_id


@dataclass
class GmailStandIn:
    """One mailbox (``address``) and the OAuth client allowed to read it."""

    address: str
    client_id: str
    client_secret: str
    refresh_token: str
    history_id: int = 1000
    messages: dict[str, StoredMessage] = field(default_factory=dict)
    history: list[dict[str, Any]] = field(default_factory=list)
    oldest_history_id: int = 1000
    watches: list[dict[str, Any]] = field(default_factory=list)
    access_tokens: set[str] = field(default_factory=set)
    listeners: list[Callable[[int], None]] = field(default_factory=list)
    fail_sends: list[int] = field(default_factory=list)
    stall_sends: int = 0
    stall_seconds: float = 30.0
    _sent: list[StoredMessage] = field(default_factory=list)

    def deliver(self, raw_rfc822: bytes, thread_id: str | None = None) -> str:
        """Put a mail in the inbox as Gmail receives it; returns its message id."""
        return self._add(raw_rfc822, thread_id, ["INBOX", "UNREAD"]).id

    def sent(self) -> list[StoredMessage]:
        """Every message sent through ``messages.send``, oldest first."""
        return list(self._sent)

    def forget_history(self) -> None:
        """Drop the history kept so far, as Gmail does after about a week."""
        self.history.clear()
        self.oldest_history_id = self.history_id

    def _add(self, raw: bytes, thread_id: str | None, labels: list[str]) -> StoredMessage:
        self.history_id += 1
        message_id = secrets.token_hex(8)
        stored = StoredMessage(message_id, thread_id or message_id, raw, labels, self.history_id)
        self.messages[message_id] = stored
        ref = {"id": message_id, "threadId": stored.thread_id}
        added = {"message": ref | {"labelIds": list(labels)}}
        self.history.append(
            {"id": str(self.history_id), "messages": [ref], "messagesAdded": [added]}
        )
        if self.watches and "INBOX" in labels:
            for listener in self.listeners:
                listener(self.history_id)
        return stored

    def app(self) -> Starlette:
        base = "/gmail/v1/users/{user_id}"
        return Starlette(
            routes=[
                Route("/token", self.token, methods=["POST"]),
                Route(f"{base}/history", self._authorized(self.list_history), methods=["GET"]),
                Route(f"{base}/messages", self._authorized(self.list_messages), methods=["GET"]),
                Route(f"{base}/messages/send", self._authorized(self.send), methods=["POST"]),
                Route(f"{base}/messages/{{id}}", self._authorized(self.get), methods=["GET"]),
                Route(f"{base}/watch", self._authorized(self.watch), methods=["POST"]),
            ]
        )

    async def token(self, request: Request) -> JSONResponse:
        form = await request.form()
        if (
            form.get("client_id") != self.client_id
            or form.get("client_secret") != self.client_secret
        ):
            body = {"error": "invalid_client", "error_description": "Unauthorized"}
            return JSONResponse(body, status_code=401)
        if (
            form.get("grant_type") != "refresh_token"
            or form.get("refresh_token") != self.refresh_token
        ):
            body = {"error": "invalid_grant", "error_description": "Bad Request"}
            return JSONResponse(body, status_code=400)
        access_token = f"ya29.{secrets.token_urlsafe(24)}"
        self.access_tokens.add(access_token)
        return JSONResponse(
            {
                "access_token": access_token,
                "expires_in": 3599,
                "scope": "https://www.googleapis.com/auth/gmail.modify",
                "token_type": "Bearer",
            }
        )

    def _authorized(
        self, endpoint: Callable[[Request], Awaitable[JSONResponse]]
    ) -> Callable[[Request], Awaitable[JSONResponse]]:
        async def checked(request: Request) -> JSONResponse:
            scheme, _, token = request.headers.get("authorization", "").partition(" ")
            if scheme.lower() != "bearer" or token not in self.access_tokens:
                return _error(401, "Request had invalid authentication credentials.")
            if request.path_params["user_id"] not in ("me", self.address):
                return _error(403, f"Delegation denied for {self.address}")
            return await endpoint(request)

        return checked

    async def list_history(self, request: Request) -> JSONResponse:
        query = request.query_params
        try:
            start = int(query["startHistoryId"])
            limit = min(int(query.get("maxResults", "100")), 500)
            offset = int(query.get("pageToken", "0"))
        except (KeyError, ValueError):
            return _error(400, "Invalid startHistoryId, maxResults or pageToken")
        if start < self.oldest_history_id or start > self.history_id:
            return _error(404, _NOT_FOUND)
        types = query.getlist("historyTypes")
        label = query.get("labelId")
        records = [
            r
            for r in self.history
            if int(r["id"]) > start
            and (not types or "messageAdded" in types)
            and (label is None or label in r["messagesAdded"][0]["message"]["labelIds"])
        ]
        body: dict[str, Any] = {"historyId": str(self.history_id)}
        if page := records[offset : offset + limit]:
            body["history"] = page
        if offset + limit < len(records):
            body["nextPageToken"] = str(offset + limit)
        return JSONResponse(body)

    async def list_messages(self, request: Request) -> JSONResponse:
        """Newest first, filtered by every ``labelIds`` given and by an ``rfc822msgid:`` query
        (the only search the channel makes; any other query is refused, to catch misuse)."""
        query = request.query_params
        try:
            limit = min(int(query.get("maxResults", "100")), 500)
        except ValueError:
            return _error(400, "Invalid maxResults")
        wanted = MessageIdQuery.of(query.get("q"))
        if wanted is None:
            return _error(400, f"Unsupported query: {query.get('q')}")
        labels = query.getlist("labelIds")
        found = [
            m
            for m in reversed(list(self.messages.values()))
            if all(label in m.label_ids for label in labels) and wanted.matches(m)
        ][:limit]
        body: dict[str, Any] = {"resultSizeEstimate": len(found)}
        if found:
            body["messages"] = [{"id": m.id, "threadId": m.thread_id} for m in found]
        return JSONResponse(body)

    async def get(self, request: Request) -> JSONResponse:
        fmt = request.query_params.get("format", "full")
        if fmt not in ("raw", "full", "minimal"):
            return _error(400, f"Invalid format: {fmt}")
        stored = self.messages.get(request.path_params["id"])
        if stored is None:
            return _error(404, _NOT_FOUND)
        return JSONResponse(stored.resource(fmt))

    async def send(self, request: Request) -> JSONResponse:
        body = await request.json()
        try:
            raw = base64.urlsafe_b64decode(body["raw"])
        except (KeyError, TypeError, ValueError):
            return _error(
                400,
                "'raw' RFC822 payload message string or uploading message via /upload/* URL required",
            )
        parsed = message_from_bytes(raw, policy=policy.default)
        for header in ("To", "From", "Subject"):
            if not parsed.get(header):
                return _error(400, f"Invalid {header} header")
        thread_id = body.get("threadId")
        if thread_id is not None and not any(
            m.thread_id == thread_id for m in self.messages.values()
        ):
            return _error(404, _NOT_FOUND)
        if self.fail_sends:
            status = self.fail_sends.pop(0)
            return _error(status, "Backend Error" if status >= 500 else "Rate Limit Exceeded")
        stored = self._add(raw, thread_id, ["SENT"])
        self._sent.append(stored)
        if self.stall_sends > 0:
            self.stall_sends -= 1
            await asyncio.sleep(self.stall_seconds)
        return JSONResponse(stored.resource("minimal"))

    async def watch(self, request: Request) -> JSONResponse:
        body = await request.json()
        if not body.get("topicName"):
            return _error(400, "Invalid topicName")
        expiration = int(time.time() * 1000) + WATCH_LIFETIME_MS
        self.watches.append(body | {"expiration": expiration})
        return JSONResponse({"historyId": str(self.history_id), "expiration": str(expiration)})
