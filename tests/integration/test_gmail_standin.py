"""The Gmail stand-in, driven only as the channel will drive Gmail: google-api-python-client
with its bundled discovery document, google-auth credentials, and a push token google-auth
verifies against the local signer's certificates."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator, Callable
from email.message import EmailMessage
from typing import Any, TypeVar

import google_auth_httplib2
import httplib2
import pytest
from google.auth.exceptions import RefreshError
from google.oauth2.credentials import Credentials
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError

from shared.channels.gmail_push import verify_push
from shared.devstack.standins.gmail import GmailStandIn
from shared.devstack.standins.push_signer import CERTS_PATH, PushSigner
from tests.serving import serve

SUPPORT = "support@example.com"
CLIENT_ID, CLIENT_SECRET, REFRESH_TOKEN = "client-1.apps.example", "s3cret", "1//refresh"
T = TypeVar("T")


@pytest.fixture
def mailbox() -> GmailStandIn:
    return GmailStandIn(SUPPORT, CLIENT_ID, CLIENT_SECRET, REFRESH_TOKEN)


@pytest.fixture
async def gmail_url(mailbox: GmailStandIn) -> AsyncIterator[str]:
    async with serve(mailbox.app()) as url:
        yield url


def _gmail(url: str, credentials: Credentials, refresh: bool = True) -> Any:
    """A Gmail client exactly as the channel builds one, pointed at the stand-in."""
    retry_on = google_auth_httplib2.transport.DEFAULT_REFRESH_STATUS_CODES if refresh else ()
    http = google_auth_httplib2.AuthorizedHttp(
        credentials, http=httplib2.Http(timeout=10), refresh_status_codes=retry_on
    )
    endpoint = {"api_endpoint": f"{url}/"}
    return build("gmail", "v1", http=http, static_discovery=True, client_options=endpoint)


def _credentials(url: str, refresh_token: str = REFRESH_TOKEN) -> Credentials:
    return Credentials(
        token=None,
        refresh_token=refresh_token,
        token_uri=f"{url}/token",
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        scopes=["https://www.googleapis.com/auth/gmail.modify"],
    )


async def _blocking(call: Callable[[], T]) -> T:
    """The client blocks; the stand-in serves on this loop, so the client runs in a thread."""
    return await asyncio.wait_for(asyncio.to_thread(call), timeout=30)


def _mail(subject: str, sender: str = "ada@example.com", to: str = SUPPORT) -> bytes:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, to, subject
    message["Message-ID"] = "<m1@example.com>"
    message.set_content("How do I reset my password?\n")
    message.add_alternative("<p>How do I reset my password?</p>", subtype="html")
    return message.as_bytes()


async def test_a_delivered_mail_is_found_from_the_start_history_id_and_read_back_byte_for_byte(
    mailbox: GmailStandIn, gmail_url: str
) -> None:
    gmail = _gmail(gmail_url, _credentials(gmail_url))
    start = await _blocking(
        lambda: (
            gmail.users()
            .watch(userId="me", body={"topicName": "projects/p/topics/gmail"})
            .execute()
        )
    )
    raw = _mail("Reset password")
    message_id = mailbox.deliver(raw)

    found = await _blocking(
        lambda: (
            gmail.users()
            .history()
            .list(userId="me", startHistoryId=start["historyId"], historyTypes=["messageAdded"])
            .execute()
        )
    )
    added = [a["message"] for r in found["history"] for a in r["messagesAdded"]]
    assert [m["id"] for m in added] == [message_id]
    assert int(found["historyId"]) > int(start["historyId"])

    got = await _blocking(
        lambda: gmail.users().messages().get(userId="me", id=message_id, format="raw").execute()
    )
    assert base64.urlsafe_b64decode(got["raw"]) == raw
    assert got["threadId"] == added[0]["threadId"]
    assert "INBOX" in got["labelIds"]

    full = await _blocking(
        lambda: gmail.users().messages().get(userId="me", id=message_id).execute()
    )
    headers = {h["name"]: h["value"] for h in full["payload"]["headers"]}
    assert headers["Subject"] == "Reset password"
    assert [p["mimeType"] for p in full["payload"]["parts"]] == ["text/plain", "text/html"]
    text = base64.urlsafe_b64decode(full["payload"]["parts"][0]["body"]["data"])
    assert text == b"How do I reset my password?\n"


async def test_a_stale_history_id_is_gmails_404(mailbox: GmailStandIn, gmail_url: str) -> None:
    gmail = _gmail(gmail_url, _credentials(gmail_url))
    stale = mailbox.history_id
    mailbox.deliver(_mail("First"))
    mailbox.forget_history()
    with pytest.raises(HttpError) as error:
        await _blocking(
            lambda: gmail.users().history().list(userId="me", startHistoryId=stale).execute()
        )
    assert error.value.resp.status == 404
    assert error.value.error_details[0]["reason"] == "notFound"


async def test_a_sent_reply_lands_in_the_sent_list_in_the_customers_thread(
    mailbox: GmailStandIn, gmail_url: str
) -> None:
    gmail = _gmail(gmail_url, _credentials(gmail_url))
    incoming = mailbox.deliver(_mail("Reset password"))
    thread_id = mailbox.messages[incoming].thread_id
    reply = _mail("Re: Reset password", sender=SUPPORT, to="ada@example.com")
    body = {"raw": base64.urlsafe_b64encode(reply).decode(), "threadId": thread_id}

    sent = await _blocking(lambda: gmail.users().messages().send(userId="me", body=body).execute())

    assert sent["threadId"] == thread_id
    assert [(m.id, m.thread_id, m.raw) for m in mailbox.sent()] == [(sent["id"], thread_id, reply)]


async def test_a_message_without_a_recipient_is_not_sent(
    mailbox: GmailStandIn, gmail_url: str
) -> None:
    gmail = _gmail(gmail_url, _credentials(gmail_url))
    message = EmailMessage()
    message["From"], message["Subject"] = SUPPORT, "Re: nothing"
    body = {"raw": base64.urlsafe_b64encode(message.as_bytes()).decode()}
    with pytest.raises(HttpError) as error:
        await _blocking(lambda: gmail.users().messages().send(userId="me", body=body).execute())
    assert error.value.resp.status == 400
    assert mailbox.sent() == []


async def test_a_wrong_access_token_is_401(mailbox: GmailStandIn, gmail_url: str) -> None:
    gmail = _gmail(gmail_url, Credentials(token="ya29.wrong"), refresh=False)
    with pytest.raises(HttpError) as error:
        await _blocking(
            lambda: gmail.users().history().list(userId="me", startHistoryId=1000).execute()
        )
    assert error.value.resp.status == 401


async def test_a_wrong_refresh_token_gets_no_access_token(gmail_url: str) -> None:
    gmail = _gmail(gmail_url, _credentials(gmail_url, refresh_token="1//stolen"))
    with pytest.raises(RefreshError, match="invalid_grant"):
        await _blocking(
            lambda: gmail.users().history().list(userId="me", startHistoryId=1000).execute()
        )


async def test_a_push_token_from_the_local_signer_passes_google_auths_verification() -> None:
    signer = PushSigner()
    audience = "http://127.0.0.1/api/v1/webhooks/gmail"
    pusher = "gmail-push@fte.iam.gserviceaccount.com"
    async with serve(signer.app()) as url:
        token = signer.mint(audience=audience, email=pusher)
        claims = await verify_push(
            f"Bearer {token}",
            audience=audience,
            service_account=pusher,
            certs_url=f"{url}{CERTS_PATH}",
        )
        assert claims["iss"] == "https://accounts.google.com"
