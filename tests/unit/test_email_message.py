"""Incoming mail: parsed to sender, thread headers and only the new words; robots skipped."""

from __future__ import annotations

from email.message import EmailMessage

import pytest

from shared.channels.email_message import MAX_BODY_CHARS, IncomingEmail, parse, skip_reason

OWN = {"support@example.com"}


def _mail(body: str = "How do I reset my password?", **headers: str) -> bytes:
    message = EmailMessage()
    message["From"] = headers.pop("From", "Ada Lovelace <Ada@Example.com>")
    message["To"] = "support@example.com"
    message["Subject"] = headers.pop("Subject", "Reset password")
    message["Message-ID"] = "<m1@example.com>"
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body)
    return message.as_bytes()


def _raw(content_type: str, body: bytes, *headers: str) -> bytes:
    head = [
        "From: ada@example.com",
        "To: support@example.com",
        "Subject: Hello",
        "MIME-Version: 1.0",
        f"Content-Type: {content_type}",
        "Content-Transfer-Encoding: 8bit",
        *headers,
    ]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


def test_a_plain_mail_gives_sender_display_name_subject_thread_headers_and_body() -> None:
    raw = _mail(In_Reply_To="<m0@example.com>", References="<a@x> <m0@example.com>")
    mail = parse(raw)
    assert mail.sender == "ada@example.com"
    assert mail.sender_name == "Ada Lovelace"
    assert mail.subject == "Reset password"
    assert mail.message_id == "<m1@example.com>"
    assert mail.in_reply_to == "<m0@example.com>"
    assert mail.references == ("<a@x>", "<m0@example.com>")
    assert mail.body == "How do I reset my password?"


def test_multipart_alternative_prefers_the_plain_part() -> None:
    message = EmailMessage()
    message["From"] = "ada@example.com"
    message.set_content("plain words")
    message.add_alternative("<p>html words</p>", subtype="html")
    assert parse(message.as_bytes()).body == "plain words"


def test_html_only_mail_becomes_text_without_scripts_styles_or_quotes() -> None:
    html = (
        "<html><head><style>p{color:red}</style></head><body>"
        "<p>Hello <b>team</b>,</p><div>line one<br>line two</div>"
        "<script>alert(1)</script><p>Caf&eacute;</p>"
        "<blockquote>old quoted mail</blockquote></body></html>"
    )
    message = EmailMessage()
    message["From"] = "ada@example.com"
    message.set_content(html, subtype="html")
    assert parse(message.as_bytes()).body == "Hello team,\n\nline one\nline two\n\nCafé"


def test_a_declared_latin_1_body_is_decoded() -> None:
    raw = _raw('text/plain; charset="iso-8859-1"', "Grüße aus Köln".encode("latin-1"))
    assert parse(raw).body == "Grüße aus Köln"


def test_an_iso_2022_jp_body_is_decoded() -> None:
    raw = _raw('text/plain; charset="iso-2022-jp"', "パスワード".encode("iso-2022-jp"))
    assert parse(raw).body == "パスワード"


@pytest.mark.parametrize(
    ("content_type", "body", "expected"),
    [
        ("text/plain", "naïve café".encode(), "naïve café"),
        ("text/plain", "smart “quotes”".encode("windows-1252"), "smart “quotes”"),
        ('text/plain; charset="utf-8"', "wrong é".encode("latin-1"), "wrong é"),
        ('text/plain; charset="x-no-such"', b"unknown charset", "unknown charset"),
        ("text/plain", b"undefined \x81 byte", "undefined  byte"),
    ],
    ids=["undeclared-utf8", "undeclared-cp1252", "wrong-declared", "unknown-declared", "any"],
)
def test_undeclared_unknown_or_wrong_charsets_decode_without_raising(
    content_type: str, body: bytes, expected: str
) -> None:
    assert parse(_raw(content_type, body)).body == expected


def test_a_quoted_reply_is_cut_to_the_new_text() -> None:
    body = (
        "Thanks, and how do I turn on 2FA?\n\n"
        "On Tue, 1 Dec 2026 at 10:00, Support <support@example.com> wrote:\n"
        "> Go to Settings > Password.\n> Best, Support\n"
    )
    assert parse(_mail(body)).body == "Thanks, and how do I turn on 2FA?"


def test_quoted_lines_without_a_header_are_dropped() -> None:
    body = "> Did that work?\nYes it did.\n> Anything else?\nNo, thanks."
    assert parse(_mail(body)).body == "Yes it did.\nNo, thanks."


def test_a_trailing_signature_is_cut() -> None:
    body = "Where is my invoice?\n\n-- \nAda Lovelace\nAnalytical Engines Ltd"
    assert parse(_mail(body)).body == "Where is my invoice?"


def test_an_encoded_subject_with_cr_lf_becomes_one_line() -> None:
    raw = _raw("text/plain", b"hi").replace(
        b"Subject: Hello", b"Subject: =?utf-8?q?Reset=0D=0ABcc=3A_x=40evil=2Ecom?=\r\n  password"
    )
    mail = parse(raw)
    assert mail.subject == "Reset Bcc: x@evil.com password"
    assert "\n" not in mail.subject and "\r" not in mail.subject


def test_a_very_long_mail_is_cut_to_the_limit() -> None:
    mail = parse(_mail("word " * 5_000))
    assert len(mail.body) == MAX_BODY_CHARS


def test_control_characters_are_cleaned_from_the_body() -> None:
    assert parse(_mail("a\x00b\x07c")).body == "abc"


def test_an_ordinary_mail_is_answered() -> None:
    assert skip_reason(parse(_mail()), own_addresses=OWN) is None


def test_auto_submitted_no_is_still_answered() -> None:
    assert skip_reason(parse(_mail(Auto_Submitted="no")), own_addresses=OWN) is None


def test_the_companys_own_mail_is_never_answered() -> None:
    mail = parse(_mail(From="Support <Support@Example.com>"))
    assert skip_reason(mail, own_addresses={"SUPPORT@example.com"}) == "own_mail"


@pytest.mark.parametrize(
    "headers",
    [
        {"Auto_Submitted": "auto-replied; owner-email=ada@example.com"},
        {"Auto_Submitted": "auto-generated"},
        {"X_Autoreply": "yes"},
        {"X_Autorespond": "Out of office"},
        {"Precedence": "bulk"},
        {"Precedence": "junk"},
    ],
)
def test_auto_replies_are_never_answered(headers: dict[str, str]) -> None:
    assert skip_reason(parse(_mail(**headers)), own_addresses=OWN) == "auto_reply"


@pytest.mark.parametrize(
    "headers",
    [
        {"Precedence": "list"},
        {"List_Id": "<news.example.org>"},
        {"List_Unsubscribe": "<mailto:leave@example.org>"},
    ],
)
def test_mailing_list_mail_is_never_answered(headers: dict[str, str]) -> None:
    assert skip_reason(parse(_mail(**headers)), own_addresses=OWN) == "list"


@pytest.mark.parametrize(
    "raw",
    [
        _mail(From="Mail Delivery Subsystem <MAILER-DAEMON@mx.example.net>"),
        _mail(From="postmaster@example.net"),
        _mail(Return_Path="<>"),
        _raw('multipart/report; report-type=delivery-status; boundary="b"', b"--b--\r\n"),
    ],
    ids=["mailer-daemon", "postmaster", "null-return-path", "multipart-report"],
)
def test_bounces_are_never_answered(raw: bytes) -> None:
    assert skip_reason(parse(raw), own_addresses=OWN) == "bounce"


def test_a_mail_with_nothing_new_after_stripping_is_not_answered() -> None:
    body = "On Mon, 30 Nov 2026, Support <support@example.com> wrote:\n> earlier answer\n"
    assert skip_reason(parse(_mail(body)), own_addresses=OWN) == "empty"


def test_a_mail_without_a_valid_sender_is_not_answered() -> None:
    mail = parse(_raw("text/plain", b"hello").replace(b"ada@example.com", b"not an address"))
    assert mail.sender == ""
    assert skip_reason(mail, own_addresses=OWN) == "no_sender"


def test_a_parsed_mail_is_immutable() -> None:
    mail = parse(_mail())
    assert isinstance(mail, IncomingEmail)
    with pytest.raises(AttributeError):
        mail.body = "changed"  # type: ignore[misc]
    with pytest.raises(TypeError):
        mail.headers["precedence"] = "bulk"  # type: ignore[index]
