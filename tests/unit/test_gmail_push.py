"""A Pub/Sub push is accepted only with a genuine token meant for us; its body is Gmail's."""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections.abc import AsyncIterator

import pytest
import uvicorn

from shared.channels.gmail_push import Notification, PushRefused, decode_notification, verify_push
from shared.devstack.ports import free_port
from shared.devstack.standins.push_signer import CERTS_PATH, PushSigner

AUDIENCE = "https://support.example.com/api/v1/webhooks/gmail"
PUSHER = "gmail-push@fte-project.iam.gserviceaccount.com"


@pytest.fixture(scope="module")
def signer() -> PushSigner:
    return PushSigner()


@pytest.fixture
async def certs_url(signer: PushSigner) -> AsyncIterator[str]:
    port = free_port()
    config = uvicorn.Config(signer.app(), host="127.0.0.1", port=port, log_level="error")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "the push signer did not start"
        await asyncio.sleep(0.01)
    yield f"http://127.0.0.1:{port}{CERTS_PATH}"
    server.should_exit = True
    await task


async def _verify(header: str | None, certs_url: str) -> object:
    return await verify_push(header, audience=AUDIENCE, service_account=PUSHER, certs_url=certs_url)


async def _refusal(header: str | None, certs_url: str) -> PushRefused:
    with pytest.raises(PushRefused) as refused:
        await _verify(header, certs_url)
    return refused.value


async def test_a_token_minted_like_pubsub_for_our_endpoint_and_account_is_accepted(
    signer: PushSigner, certs_url: str
) -> None:
    token = signer.mint(audience=AUDIENCE, email=PUSHER)
    claims = await verify_push(
        f"Bearer {token}", audience=AUDIENCE, service_account=PUSHER, certs_url=certs_url
    )
    assert claims["email"] == PUSHER
    assert claims["aud"] == AUDIENCE


@pytest.mark.parametrize("header", [None, "", "Basic dXNlcjpwYXNz", "Bearer ", "Bearer a.b"])
async def test_a_missing_or_malformed_token_is_401(header: str | None, certs_url: str) -> None:
    assert (await _refusal(header, certs_url)).status == 401


async def test_a_token_signed_by_another_key_is_401(signer: PushSigner, certs_url: str) -> None:
    impostor = PushSigner(kid=signer.kid)
    token = impostor.mint(audience=AUDIENCE, email=PUSHER)
    refused = await _refusal(f"Bearer {token}", certs_url)
    assert refused.status == 401
    assert "signature" in refused.reason


async def test_a_token_with_an_unknown_key_id_is_401(certs_url: str) -> None:
    token = PushSigner().mint(audience=AUDIENCE, email=PUSHER)
    assert (await _refusal(f"Bearer {token}", certs_url)).status == 401


async def test_an_expired_token_is_401(signer: PushSigner, certs_url: str) -> None:
    token = signer.mint(audience=AUDIENCE, email=PUSHER, issued_at=int(time.time()) - 7200)
    refused = await _refusal(f"Bearer {token}", certs_url)
    assert refused.status == 401
    assert "expired" in refused.reason


async def test_a_token_not_issued_by_google_is_401(signer: PushSigner, certs_url: str) -> None:
    token = signer.mint(audience=AUDIENCE, email=PUSHER, issuer="https://evil.example.com")
    assert (await _refusal(f"Bearer {token}", certs_url)).status == 401


async def test_a_genuine_token_for_another_audience_is_403(
    signer: PushSigner, certs_url: str
) -> None:
    token = signer.mint(audience="https://elsewhere.example.com/push", email=PUSHER)
    refused = await _refusal(f"Bearer {token}", certs_url)
    assert (refused.status, "audience" in refused.reason) == (403, True)


async def test_a_genuine_token_from_another_service_account_is_403(
    signer: PushSigner, certs_url: str
) -> None:
    token = signer.mint(audience=AUDIENCE, email="someone@other.iam.gserviceaccount.com")
    refused = await _refusal(f"Bearer {token}", certs_url)
    assert (refused.status, "service account" in refused.reason) == (403, True)


async def test_a_token_whose_email_is_unverified_is_403(signer: PushSigner, certs_url: str) -> None:
    token = signer.mint(audience=AUDIENCE, email=PUSHER, email_verified=False)
    assert (await _refusal(f"Bearer {token}", certs_url)).status == 403


def _envelope(data: object) -> bytes:
    encoded = base64.b64encode(json.dumps(data).encode()).decode()
    message = {"data": encoded, "messageId": "136969346945", "publishTime": "2026-12-01T00:00:00Z"}
    return json.dumps({"message": message, "subscription": "projects/p/subscriptions/s"}).encode()


def test_a_gmail_notification_gives_the_mailbox_and_its_history_id() -> None:
    body = _envelope({"emailAddress": "support@example.com", "historyId": 9876543210})
    assert decode_notification(body) == Notification("support@example.com", 9876543210)
    email_address, history_id = decode_notification(body)
    assert (email_address, history_id) == ("support@example.com", 9876543210)


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[]",
        b'{"message": {}}',
        b'{"message": {"data": "%%%not base64%%%"}}',
        json.dumps({"message": {"data": base64.b64encode(b"not json").decode()}}).encode(),
        _envelope({"historyId": 1}),
        _envelope({"emailAddress": "support@example.com"}),
        _envelope({"emailAddress": "support@example.com", "historyId": "soon"}),
        _envelope({"emailAddress": "", "historyId": 1}),
        _envelope({"emailAddress": "support@example.com", "historyId": 0}),
    ],
)
def test_anything_but_a_gmail_notification_is_refused_with_400(body: bytes) -> None:
    with pytest.raises(PushRefused) as refused:
        decode_notification(body)
    assert refused.value.status == 400
