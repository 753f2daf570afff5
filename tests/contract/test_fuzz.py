"""Every HTTP endpoint fuzzed: whatever arrives, a 2xx or a 4xx that names the problem, never a 5xx.

Property-based (hypothesis, derandomized so a run is repeatable): hostile Unicode (NUL, lone
surrogates, right-to-left and zero-width characters, emoji, 5,000-character texts), arbitrary
JSON, raw bytes under any content type, any method.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from cloudevents.conversion import to_binary
from cloudevents.http import CloudEvent
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from events import catalog
from shared.channels.whatsapp_status import STATUS_PATH
from shared.devstack.standins.twilio import incoming_params
from tests.functions_under_test import function_client
from tests.whatsapp_fixtures import ACCOUNT_SID, CUSTOMER, SENDER, WhatsApp, post_signed

FUZZ = settings(
    max_examples=60,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    phases=[Phase.explicit, Phase.generate],  # report the example found; shrinking takes minutes
)
HOSTILE = [
    "\u0000",
    "\ud800",
    "\u202e",
    "\u200b",
    "\u200d",
    "\ufeff",
    "\r\n",
    "🙂",
    "e\u0301",
    "%00",
]
any_char = st.characters(codec=None, exclude_categories=())
texts = st.one_of(
    st.text(any_char, max_size=40),
    st.lists(st.sampled_from(HOSTILE) | st.text(max_size=5), max_size=12).map("".join),
    st.integers(1, 6000).map(lambda n: "x" * n),
)
emails = st.one_of(
    st.sampled_from(["ada@example.com", "josé@bücher.example", "a\u0000@example.com"]),
    st.emails().map(str),
    texts,
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | texts,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(texts, inner, max_size=4),
    max_leaves=12,
)
forms = st.fixed_dictionaries(
    {"name": texts, "email": emails, "subject": texts, "message": texts},
    optional={
        "phone": texts,
        "category": st.sampled_from(["general", "billing", "nope"]) | texts,
        "priority": st.sampled_from(["low", "high"]) | json_values,
    },
)
content_types = st.sampled_from(
    [
        "application/json",
        "application/json; charset=latin-1",
        "text/plain",
        "",
        "multipart/form-data",
    ]
)


def _body(value: Any) -> bytes:
    return json.dumps(value).encode()  # ensure_ascii: lone surrogates travel as \\ud800


def _in_url(text: str) -> str:
    """As a client puts any text in a URL: its UTF-8 bytes (surrogates too), percent-encoded."""
    return quote(text.encode("utf-8", "surrogatepass"), safe="")


def _no_5xx(response: httpx.Response) -> None:
    assert response.status_code < 500, response.text[:300]
    if response.status_code >= 400 and response.headers.get("content-type") == "application/json":
        detail = response.json()["detail"]
        assert isinstance(detail, str) and detail
    elif response.status_code >= 400:  # functions-framework's own 404 for a path it cannot route
        assert response.text.strip()


@FUZZ
@given(form=forms)
async def test_the_form_endpoint_answers_any_form_with_2xx_or_a_named_4xx(
    app_env: str, form: dict[str, Any]
) -> None:
    async with function_client("intake-web-form") as client:
        response = await client.post(
            "/api/v1/support/form",
            content=_body(form),
            headers={"content-type": "application/json"},
        )
    _no_5xx(response)
    if response.status_code == 422:
        assert response.json()["errors"]


@FUZZ
@given(body=json_values)
async def test_the_form_endpoint_answers_any_json_with_a_4xx(app_env: str, body: Any) -> None:
    async with function_client("intake-web-form") as client:
        response = await client.post(
            "/api/v1/support/form",
            content=_body(body),
            headers={"content-type": "application/json"},
        )
    _no_5xx(response)


@FUZZ
@given(raw=st.binary(max_size=300), content_type=content_types)
async def test_the_form_endpoint_answers_any_bytes_with_a_4xx(
    app_env: str, raw: bytes, content_type: str
) -> None:
    async with function_client("intake-web-form") as client:
        response = await client.post(
            "/api/v1/support/form", content=raw, headers={"content-type": content_type}
        )
    _no_5xx(response)


@FUZZ
@given(number=texts, token=texts, body=json_values)
async def test_follow_ups_lookups_and_ratings_answer_any_number_and_token_with_a_4xx(
    app_env: str, number: str, token: str, body: Any
) -> None:
    path, query = f"/api/v1/tickets/{_in_url(number)}", f"?token={_in_url(token)}"
    async with function_client("intake-web-form") as intake:
        posted = await intake.post(
            f"{path}/messages{query}",
            content=_body(body),
            headers={"content-type": "application/json"},
        )
    async with function_client("ticket-status") as status:
        looked_up = await status.get(path + query)
        rated = await status.post(
            f"{path}/rating{query}",
            content=_body(body),
            headers={"content-type": "application/json"},
        )
    _no_5xx(posted)
    _no_5xx(looked_up)
    _no_5xx(rated)


@FUZZ
@given(method=st.sampled_from(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]))
async def test_every_http_function_answers_any_method_without_a_5xx(
    app_env: str, method: str
) -> None:
    for service, path in (
        ("intake-web-form", "/api/v1/support/form"),
        ("ticket-status", "/api/v1/tickets/TKT-0001"),
        ("ticket-status", "/api/v1/tickets/TKT-0001/rating"),
        ("ops", "/api/v1/health"),
        ("intake-whatsapp", "/api/v1/webhooks/whatsapp"),
    ):
        async with function_client(service) as client:
            response = await client.request(method, path)
        assert response.status_code < 500, (service, method, response.status_code)
        if response.status_code == 405:
            assert response.headers["allow"]


@pytest.mark.knowledge_base
@FUZZ
@given(data=json_values, content=texts)
async def test_the_cloudevent_functions_answer_any_data_with_2xx_or_400(
    app_env: str, data: Any, content: str
) -> None:
    for service, event_type in (
        ("agent-runner", catalog.MESSAGE_RECEIVED),
        ("send-web", catalog.REPLY_READY),
        ("send-whatsapp", catalog.REPLY_READY),
        ("dead-letter", catalog.MESSAGE_RECEIVED),
    ):
        payload = data if not isinstance(data, dict) else data | {"content": content}
        event = CloudEvent.create({"type": event_type, "source": "/fuzz"}, payload)
        headers, body = to_binary(event, data_marshaller=_body)
        async with function_client(service) as client:
            response = await client.post("/", headers=headers, content=body)
        assert response.status_code in (200, 400), (
            service,
            response.status_code,
            response.text[:200],
        )


@FUZZ
@given(
    fields=st.dictionaries(
        st.sampled_from(["From", "Body", "MessageSid", "NumMedia", "MediaUrl0", "ProfileName"])
        | texts,
        texts,
        max_size=8,
    )
)
async def test_intake_whatsapp_answers_any_signed_form_with_2xx_or_a_named_4xx(
    whatsapp: WhatsApp, fields: dict[str, str]
) -> None:
    """Signed, so the parsing is what is fuzzed; unstorable text must still not be a 5xx."""
    params = incoming_params(ACCOUNT_SID, CUSTOMER, SENDER, "Hello") | fields
    params = {_encodable(k): _encodable(v) for k, v in params.items()}
    response = await post_signed(whatsapp.webhook_url, params)
    _no_5xx(response)
    status = await post_signed(whatsapp.public_url + STATUS_PATH, params)
    _no_5xx(status)


def _encodable(text: str) -> str:
    """What an HTTP form can carry at all: a lone surrogate has no UTF-8 form to send."""
    return text.encode("utf-8", "replace").decode()
