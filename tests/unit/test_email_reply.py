"""The reply as an email: threaded, plain text and HTML, and no header a customer can forge."""

from __future__ import annotations

from email import message_from_bytes, policy
from uuid import UUID

import pytest

from shared.channels.email_reply import (
    MAX_REFERENCES,
    as_bytes,
    as_html,
    build_reply,
    references_for,
    reply_message_id,
    reply_subject,
)

REPLY_ID = UUID("b4da9aa4-5dc3-513c-b272-2efc1df9509b")


def _reply(subject: str = "Reset password", text: str = "Hi Ada,\n\nDo this.") -> bytes:
    return as_bytes(
        build_reply(
            support_address="support@northwind.example",
            support_name="Northwind Cloud Support",
            to="ada@example.com",
            subject=subject,
            in_reply_to="<m2@example.com>",
            references="<m1@example.com>",
            message_id=reply_message_id(REPLY_ID, "support@northwind.example"),
            text=text,
        )
    )


def test_a_reply_answers_the_customers_message_in_its_thread() -> None:
    mail = message_from_bytes(_reply(), policy=policy.default)

    assert mail["Subject"] == "Re: Reset password"
    assert mail["In-Reply-To"] == "<m2@example.com>"
    assert mail["References"] == "<m1@example.com> <m2@example.com>"
    assert mail["Message-ID"] == f"<reply-{REPLY_ID}@northwind.example>"
    assert mail["From"] == "Northwind Cloud Support <support@northwind.example>"
    assert mail["Auto-Submitted"] == "auto-replied"
    assert [p.get_content_type() for p in mail.iter_parts()] == ["text/plain", "text/html"]


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("Reset password", "Re: Reset password"),
        ("Re: Reset password", "Re: Reset password"),
        ("RE:Reset", "RE:Reset"),
        ("AW: Passwort", "AW: Passwort"),
        ("", "Re: Your request"),
    ],
)
def test_the_subject_is_prefixed_once(subject: str, expected: str) -> None:
    assert reply_subject(subject) == expected


def test_cr_lf_in_a_customers_subject_never_becomes_a_header() -> None:
    raw = _reply(subject="Help\r\nBcc: everyone@example.com\r\n\r\nInjected body")

    mail = message_from_bytes(raw, policy=policy.default)
    assert mail["Bcc"] is None
    assert mail["Subject"] == "Re: Help Bcc: everyone@example.com Injected body"
    assert raw.count(b"\r\nSubject:") == 1


def test_the_html_part_escapes_the_text_and_links_urls() -> None:
    html = as_html("Use <b>this</b> & that.\nSee https://docs.northwind.example/a?b=1\n\nBye")

    assert "&lt;b&gt;this&lt;/b&gt; &amp; that.<br>" in html
    assert '<a href="https://docs.northwind.example/a?b=1">' in html
    assert html.count("<p>") == 2


def test_a_long_reference_chain_keeps_the_newest() -> None:
    chain = " ".join(f"<m{n}@example.com>" for n in range(50))

    refs = references_for(chain, "<new@example.com>").split()

    assert len(refs) == MAX_REFERENCES and refs[-1] == "<new@example.com>"
    assert refs[-2] == "<m49@example.com>"
