"""Twilio's webhook signature: ``X-Twilio-Signature`` over the URL Twilio requested and the form.

Twilio signs the public URL it was configured with (scheme, host, path and query), which our
function never sees as such: behind the gateway (and any proxy) the request arrives with
another host and port. So the URL is rebuilt from the configured ``PUBLIC_BASE_URL`` and the
path and query as received, never from headers a client could set.
"""

from __future__ import annotations

from starlette.datastructures import FormData
from starlette.requests import Request
from twilio.request_validator import RequestValidator

from shared.http_api import BadRequest

SIGNATURE_HEADER = "x-twilio-signature"


def public_url(request: Request, public_base_url: str) -> str:
    """The URL as Twilio sees it: the public base URL, then the path and query as received."""
    if not public_base_url:
        raise RuntimeError("set PUBLIC_BASE_URL: Twilio's signatures cover the public URL")
    path = bytes(request.scope.get("raw_path") or request.url.path.encode()).decode("latin-1")
    query = bytes(request.scope.get("query_string", b"")).decode("latin-1")
    return public_base_url.rstrip("/") + path + (f"?{query}" if query else "")


def verify(url: str, form: FormData, signature: str | None, auth_token: str) -> None:
    """Raise 403 unless ``signature`` is Twilio's for this URL and these parameters."""
    if not signature:
        raise BadRequest(403, "missing X-Twilio-Signature")
    if not auth_token:
        raise RuntimeError("set TWILIO_AUTH_TOKEN to check Twilio's signatures")
    if not RequestValidator(auth_token).validate(url, form, signature):
        raise BadRequest(403, "X-Twilio-Signature does not match this request")
