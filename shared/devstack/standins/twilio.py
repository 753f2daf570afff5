"""A local stand-in of the Twilio Messages API calls the WhatsApp channel makes, with Twilio's paths.

``POST /2010-04-01/Accounts/{AccountSid}/Messages.json`` (create), ``GET …/Messages.json``
(list, newest first, filtered on To and From) and ``GET …/Messages/{Sid}.json`` (fetch), each
with HTTP basic auth (Account SID and Auth Token) and Twilio's error body
``{code, message, more_info, status}``. Create applies Twilio's rules for WhatsApp: To, From
and Body (or ContentSid) required, a valid ``whatsapp:+E164`` To (21211), a sender of this
account (63007), at most 1,600 characters (21617), a free-form message only within 24 hours
of the customer's last message (63016). Each accepted message then reports queued → sent →
delivered → read to its StatusCallback, signed as Twilio signs (``X-Twilio-Signature``).

Not Twilio's API: ``POST /_standin/inbound`` makes a customer write: it records the window and
sends the signed incoming-message webhook to the configured webhook URL, as Twilio would.
Run as a process: ``python -m shared.devstack.standins.twilio`` (see ``main``).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
import re
import secrets
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from email.utils import formatdate
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from twilio.request_validator import RequestValidator

from shared import logs

API = "/2010-04-01/Accounts/{account_sid}"
MAX_BODY = 1600
WINDOW_SECONDS = 24 * 3600.0
_WHATSAPP_NUMBER = re.compile(r"^whatsapp:\+[1-9]\d{6,14}$")
_ERRORS = {
    20003: (401, "Authenticate"),
    20404: (404, "The requested resource {path} was not found"),
    20429: (429, "Too Many Requests"),
    21211: (400, "Invalid 'To' Phone Number: {to}"),
    21602: (400, "Message body is required."),
    21603: (400, "A 'From' phone number is required."),
    21604: (400, "A 'To' phone number is required."),
    21617: (400, "The concatenated message body exceeds the 1600 character limit."),
    63007: (400, "Twilio could not find a Channel with the specified From address"),
    63016: (
        400,
        "Failed to send freeform message because you are outside the allowed window. "
        "If you are using WhatsApp, please use a Message Template.",
    ),
}


def twilio_error(code: int, **details: str) -> JSONResponse:
    status, message = _ERRORS[code]
    body = {
        "code": code,
        "message": message.format(**({"to": "", "path": ""} | details)),
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }
    return JSONResponse(body, status_code=status)


def sign(auth_token: str, url: str, params: dict[str, str]) -> str:
    """``X-Twilio-Signature`` as Twilio computes it: HMAC-SHA1 of the URL and sorted params."""
    return str(RequestValidator(auth_token).compute_signature(url, params))


def new_sid(prefix: str = "SM") -> str:
    return prefix + secrets.token_hex(16)


@dataclass
class Message:
    """One message as the Messages resource shows it."""

    sid: str
    account_sid: str
    to: str
    from_: str
    body: str
    status: str
    status_callback: str | None
    content_sid: str | None = None
    created: float = field(default_factory=time.time)
    error_code: int | None = None

    def resource(self) -> dict[str, Any]:
        date = formatdate(self.created, usegmt=True)
        return {
            "account_sid": self.account_sid,
            "api_version": "2010-04-01",
            "body": self.body,
            "date_created": date,
            "date_sent": date if self.status not in ("accepted", "queued") else None,
            "date_updated": date,
            "direction": "outbound-api",
            "error_code": self.error_code,
            "error_message": None,
            "from": self.from_,
            "messaging_service_sid": None,
            "num_media": "0",
            "num_segments": "1",
            "price": None,
            "price_unit": "USD",
            "sid": self.sid,
            "status": self.status,
            "subresource_uris": {"media": f"{self.uri[:-5]}/Media.json"},
            "to": self.to,
            "uri": self.uri,
        }

    @property
    def uri(self) -> str:
        return f"/2010-04-01/Accounts/{self.account_sid}/Messages/{self.sid}.json"


@dataclass
class TwilioStandIn:
    """One Twilio account with its WhatsApp senders."""

    account_sid: str
    auth_token: str
    senders: tuple[str, ...]
    webhook_url: str = ""  # where an incoming message is posted (the sender's webhook)
    callback_delay: float = 0.02  # seconds between one status callback and the next
    read_receipts: bool = True
    messages: list[Message] = field(default_factory=list)
    last_inbound: dict[str, float] = field(default_factory=dict)  # customer → time
    callbacks: list[dict[str, Any]] = field(default_factory=list)  # (url, params, status)
    _failures: list[int] = field(default_factory=list)
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    def fail_next(self, *codes: int) -> None:
        """The next creates answer these Twilio error codes, one each (e.g. 20429)."""
        self._failures.extend(codes)

    def customer_wrote(self, customer: str, at: float | None = None) -> None:
        """Open (or, with an old ``at``, let lapse) the 24-hour window of ``whatsapp:+…``."""
        self.last_inbound[customer] = time.time() if at is None else at

    def sent(self) -> list[Message]:
        """What was accepted for sending, oldest first."""
        return list(self.messages)

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route(f"{API}/Messages.json", self.create, methods=["POST"]),
                Route(f"{API}/Messages.json", self.list_messages, methods=["GET"]),
                Route(f"{API}/Messages/{{sid}}.json", self.fetch, methods=["GET"]),
                Route("/_standin/inbound", self.inbound, methods=["POST"]),
            ],
            lifespan=self._lifespan,
        )

    @contextlib.asynccontextmanager
    async def _lifespan(self, app: Starlette) -> AsyncIterator[None]:
        yield
        for task in list(self._tasks):
            task.cancel()

    def _authorized(self, request: Request) -> bool:
        scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
        try:
            user, _, password = base64.b64decode(encoded).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return False
        return (
            scheme.lower() == "basic"
            and secrets.compare_digest(user, self.account_sid)
            and secrets.compare_digest(password, self.auth_token)
            and request.path_params["account_sid"] == self.account_sid
        )

    async def create(self, request: Request) -> JSONResponse:
        if not self._authorized(request):
            return twilio_error(20003)
        form = await request.form()
        refused = self._refusal(form)
        if refused is not None:
            return refused
        message = Message(
            sid=new_sid(),
            account_sid=self.account_sid,
            to=str(form["To"]),
            from_=str(form["From"]),
            body=str(form.get("Body", "")),
            status="queued",
            status_callback=str(form["StatusCallback"]) if form.get("StatusCallback") else None,
            content_sid=str(form["ContentSid"]) if form.get("ContentSid") else None,
        )
        self.messages.append(message)
        task = asyncio.create_task(self._report(message))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return JSONResponse(message.resource(), status_code=201)

    def _refusal(self, form: FormData) -> JSONResponse | None:
        """Twilio's checks, in Twilio's order, then the injected failures."""
        to, from_ = str(form.get("To", "")), str(form.get("From", ""))
        body, content = str(form.get("Body", "")), form.get("ContentSid")
        if not to:
            return twilio_error(21604)
        if not from_:
            return twilio_error(21603)
        if not body and not content:
            return twilio_error(21602)
        if not _WHATSAPP_NUMBER.match(to):
            return twilio_error(21211, to=to)
        if from_ not in self.senders:
            return twilio_error(63007)
        if len(body) > MAX_BODY:
            return twilio_error(21617)
        if self._failures:
            return twilio_error(self._failures.pop(0))
        if not content and time.time() - self.last_inbound.get(to, 0.0) > WINDOW_SECONDS:
            return twilio_error(63016)
        return None

    async def list_messages(self, request: Request) -> JSONResponse:
        if not self._authorized(request):
            return twilio_error(20003)
        query = request.query_params
        size = min(int(query.get("PageSize", "50")), 1000)
        found = [
            m.resource()
            for m in reversed(self.messages)
            if query.get("To") in (None, m.to) and query.get("From") in (None, m.from_)
        ][:size]
        uri = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        page = {"page": 0, "page_size": size, "start": 0, "end": max(0, len(found) - 1)}
        nav = {"first_page_uri": uri, "next_page_uri": None, "previous_page_uri": None}
        return JSONResponse({"messages": found, "uri": uri, **page, **nav})

    async def fetch(self, request: Request) -> JSONResponse:
        if not self._authorized(request):
            return twilio_error(20003)
        sid = request.path_params["sid"]
        for message in self.messages:
            if message.sid == sid:
                return JSONResponse(message.resource())
        return twilio_error(20404, path=request.url.path)

    async def _report(self, message: Message) -> None:
        """The status callbacks of a message, one after the other, as Twilio posts them."""
        statuses = ["queued", "sent", "delivered"] + (["read"] if self.read_receipts else [])
        async with httpx.AsyncClient(timeout=10) as client:
            for status in statuses:
                await asyncio.sleep(self.callback_delay)
                message.status = status
                if message.status_callback:
                    await self._post_signed(client, message.status_callback, _status(message))

    async def _post_signed(
        self, client: httpx.AsyncClient, url: str, params: dict[str, str]
    ) -> int | None:
        headers = {"x-twilio-signature": sign(self.auth_token, url, params)}
        try:
            response = await client.post(url, data=params, headers=headers)
        except httpx.HTTPError:
            code = None  # Twilio does not retry a status callback; nor does the stand-in
        else:
            code = response.status_code
        self.callbacks.append({"url": url, "params": params, "status": code})
        return code

    async def inbound(self, request: Request) -> JSONResponse:
        """A customer writes: ``{"from": "+1…", "body": "…", "profile_name": "…", "media": […]}``.

        With ``"message_sid"`` the webhook of an earlier message is posted again, as Twilio
        retries one that timed out.
        """
        want = await request.json()
        customer = "whatsapp:" + str(want["from"]).removeprefix("whatsapp:")
        params = incoming_params(
            self.account_sid,
            customer,
            self.senders[0],
            str(want.get("body", "")),
            want.get("profile_name"),
            want.get("media") or [],
        )
        if want.get("message_sid"):
            sid = str(want["message_sid"])
            params |= {"MessageSid": sid, "SmsMessageSid": sid, "SmsSid": sid}
        self.customer_wrote(customer)
        async with httpx.AsyncClient(timeout=30) as client:
            started = time.perf_counter()
            code = await self._post_signed(client, self.webhook_url, params)
            took_ms = (time.perf_counter() - started) * 1000
        return JSONResponse(
            {"sid": params["MessageSid"], "webhook_status": code, "webhook_ms": took_ms}
        )


def _status(message: Message) -> dict[str, str]:
    params = {
        "AccountSid": message.account_sid,
        "ApiVersion": "2010-04-01",
        "ChannelPrefix": "whatsapp",
        "From": message.from_,
        "MessageSid": message.sid,
        "MessageStatus": message.status,
        "SmsSid": message.sid,
        "SmsStatus": message.status,
        "To": message.to,
    }
    if message.error_code is not None:
        params["ErrorCode"] = str(message.error_code)
    return params


def incoming_params(
    account_sid: str,
    customer: str,
    sender: str,
    body: str,
    profile_name: str | None = None,
    media: list[dict[str, str]] | None = None,
) -> dict[str, str]:
    """The form Twilio posts to a WhatsApp sender's webhook when a customer writes."""
    sid = new_sid("MM" if media else "SM")
    params = {
        "AccountSid": account_sid,
        "ApiVersion": "2010-04-01",
        "Body": body,
        "From": customer,
        "MessageSid": sid,
        "MessageType": "image" if media else "text",
        "NumMedia": str(len(media or [])),
        "NumSegments": "1",
        "ProfileName": profile_name or "",
        "SmsMessageSid": sid,
        "SmsSid": sid,
        "SmsStatus": "received",
        "To": sender,
        "WaId": customer.removeprefix("whatsapp:+"),
    }
    for n, item in enumerate(media or []):
        params[f"MediaContentType{n}"] = item["content_type"]
        params[f"MediaUrl{n}"] = item["url"]
    return params


def main() -> None:
    """The stand-in as a process: TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_WHATSAPP_FROM,
    TWILIO_STANDIN_WEBHOOK_URL (where incoming messages go), HOST and PORT."""
    standin = TwilioStandIn(
        account_sid=os.environ["TWILIO_ACCOUNT_SID"],
        auth_token=os.environ["TWILIO_AUTH_TOKEN"],
        senders=(os.environ["TWILIO_WHATSAPP_FROM"],),
        webhook_url=os.environ.get("TWILIO_STANDIN_WEBHOOK_URL", ""),
    )
    host, port = os.environ.get("HOST", "127.0.0.1"), int(os.environ["PORT"])
    logs.configure("twilio-standin")
    uvicorn.run(standin.app(), host=host, port=port, log_level="warning", log_config=None)


if __name__ == "__main__":
    main()
