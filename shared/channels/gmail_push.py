"""The Gmail channel's front door: is this Pub/Sub push really Google's, and what does it say?

Pub/Sub push puts an OIDC token in ``Authorization: Bearer …``. google-auth's own verifier
checks its signature against the certificates at ``certs_url`` (Google's, or the local push
signer's) and its ``iat``/``exp``; the claims that say *whose* push it is (issuer, audience,
service account) are checked here, so a token that is genuine but meant for someone else is
told apart (403) from one that is not genuine at all (401).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
from collections.abc import Mapping
from typing import Any, NamedTuple

from google.auth.transport.requests import Request
from google.oauth2 import id_token

WEBHOOK_PATH = "/api/v1/webhooks/gmail"  # where Pub/Sub pushes (the subscription's endpoint)
GOOGLE_ISSUERS = frozenset({"accounts.google.com", "https://accounts.google.com"})
GOOGLE_CERTS_URL = "https://www.googleapis.com/oauth2/v1/certs"
CLOCK_SKEW_SECONDS = 10


class PushRefused(Exception):
    """A push to answer with ``status`` and ``reason`` and nothing else done."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(f"{status}: {reason}")
        self.status = status
        self.reason = reason


class Notification(NamedTuple):
    """What a Gmail push says: this mailbox changed, up to this history id."""

    email_address: str
    history_id: int


def _bearer(authorization_header: str | None) -> str:
    if not authorization_header:
        raise PushRefused(401, "no Authorization header")
    scheme, _, token = authorization_header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise PushRefused(401, "the Authorization header is not a bearer token")
    return token.strip()


def _verified_claims(token: str, certs_url: str) -> Mapping[str, Any]:
    """google-auth's check of signature and lifetime (blocking: it fetches the certificates).

    A certificate endpoint that cannot be reached raises ``TransportError``, deliberately not
    a refusal: the push is answered 5xx and Pub/Sub delivers it again.
    """
    try:
        return id_token.verify_token(
            token, Request(), certs_url=certs_url, clock_skew_in_seconds=CLOCK_SKEW_SECONDS
        )
    except ValueError as refused:
        raise PushRefused(401, f"the push token is not valid: {refused}") from refused


def check_claims(claims: Mapping[str, Any], *, audience: str, service_account: str) -> None:
    """The push is Google's; refuse it unless it is ours (our endpoint, our push account)."""
    if claims.get("iss") not in GOOGLE_ISSUERS:
        raise PushRefused(401, f"the push token was not issued by Google: {claims.get('iss')!r}")
    if claims.get("aud") != audience:
        raise PushRefused(403, "the push token is meant for another audience")
    if claims.get("email") != service_account:
        raise PushRefused(403, "the push token is not from the configured service account")
    if claims.get("email_verified") is not True:
        raise PushRefused(403, "the push service account's email is not verified")


async def verify_push(
    authorization_header: str | None, *, audience: str, service_account: str, certs_url: str
) -> Mapping[str, Any]:
    """The verified claims of a push's bearer token, or ``PushRefused`` (401/403)."""
    token = _bearer(authorization_header)
    claims = await asyncio.to_thread(_verified_claims, token, certs_url)
    check_claims(claims, audience=audience, service_account=service_account)
    return claims


def decode_notification(body: bytes | str) -> Notification:
    """Read a Pub/Sub push envelope whose ``message.data`` is Gmail's base64 JSON.

    Anything else is refused with 400: redelivering it would never make it readable.
    """
    try:
        envelope = json.loads(body)
        data = envelope["message"]["data"]
        payload = json.loads(base64.b64decode(data, altchars=b"-_", validate=True))
        email_address = payload["emailAddress"]
        history_id = int(payload["historyId"])
    except (ValueError, TypeError, KeyError, binascii.Error) as malformed:
        raise PushRefused(400, f"not a Gmail push notification: {malformed!r}") from malformed
    if not isinstance(email_address, str) or not email_address or history_id <= 0:
        raise PushRefused(400, "a Gmail push notification needs an emailAddress and a historyId")
    return Notification(email_address, history_id)
