"""A local stand-in for the OIDC tokens Google's Pub/Sub push puts on each push request.

Pub/Sub signs an RS256 JWT (``iss`` https://accounts.google.com, ``aud`` the push endpoint,
``email`` the push service account) with a Google key whose certificate is published at
https://www.googleapis.com/oauth2/v1/certs as ``{kid: x509 PEM}``. This signer holds its own
RSA key and serves its certificate in that same format, so google-auth's real verification
(``id_token.verify_token(..., certs_url=...)``) runs unchanged against it.
"""

from __future__ import annotations

import base64
import datetime
import json
import time
import uuid
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

GOOGLE_ISSUER = "https://accounts.google.com"
CERTS_PATH = "/oauth2/v1/certs"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _self_signed_certificate(key: rsa.RSAPrivateKey) -> str:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "local push signer")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    return certificate.public_bytes(serialization.Encoding.PEM).decode("ascii")


@dataclass
class PushSigner:
    """Mints push tokens as Pub/Sub does and serves the certificate that verifies them."""

    key: rsa.RSAPrivateKey = field(
        default_factory=lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048)
    )
    kid: str = field(default_factory=lambda: uuid.uuid4().hex)

    def __post_init__(self) -> None:
        self._certificate = _self_signed_certificate(self.key)

    def certs(self) -> dict[str, str]:
        """The body Google serves at /oauth2/v1/certs: key id → x509 certificate (PEM)."""
        return {self.kid: self._certificate}

    def mint(
        self,
        *,
        audience: str,
        email: str,
        email_verified: bool = True,
        lifetime: int = 3600,
        issued_at: int | None = None,
        issuer: str = GOOGLE_ISSUER,
    ) -> str:
        """An RS256 token with the claims a Pub/Sub push token carries."""
        iat = int(time.time()) if issued_at is None else issued_at
        header = {"alg": "RS256", "kid": self.kid, "typ": "JWT"}
        claims = {
            "iss": issuer,
            "aud": audience,
            "azp": uuid.uuid4().hex,
            "sub": uuid.uuid4().hex,
            "email": email,
            "email_verified": email_verified,
            "iat": iat,
            "exp": iat + lifetime,
        }
        signed = ".".join(
            _b64url(json.dumps(part, separators=(",", ":")).encode()) for part in (header, claims)
        )
        signature = self.key.sign(signed.encode("ascii"), padding.PKCS1v15(), hashes.SHA256())
        return f"{signed}.{_b64url(signature)}"

    def app(self) -> Starlette:
        return Starlette(routes=[Route(CERTS_PATH, self._serve_certs, methods=["GET"])])

    async def _serve_certs(self, request: Request) -> JSONResponse:
        return JSONResponse(self.certs(), headers={"Cache-Control": "public, max-age=3600"})
