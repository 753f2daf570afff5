"""Access tokens for a ticket's status page: the customer holds the token, we keep only its hash."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets


def new_token() -> str:
    return secrets.token_urlsafe(24)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_matches(token: str | None, token_hash: str | None) -> bool:
    if not token or not token_hash:
        return False
    return hmac.compare_digest(hash_token(token), token_hash)


def derived_token(key: str, subject: str) -> str:
    """A token only the holder of ``key`` can make for ``subject``, so a sender can put a
    ticket's status link in a reply without the raw token ever being stored (email)."""
    digest = hmac.new(key.encode(), subject.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:24]).decode("ascii")
