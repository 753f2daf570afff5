"""Reading the support mailbox: each new inbox message filed once, on the right ticket, from
the stored history id, whatever Pub/Sub and Gmail do (replays, stale ids, concurrent pushes)."""

from __future__ import annotations

import asyncio
from email.message import EmailMessage

import asyncpg

from shared.channels.gmail_api import gmail
from shared.channels.gmail_push import Notification
from shared.config import get_settings
from shared.db import gmail_mailboxes
from shared.intake.email import Synced, sync_mailbox
from tests.accepted import accept
from tests.google import SUPPORT, Google, customer_mail


async def _sync(google: Google) -> Synced:
    return await sync_mailbox(
        Notification(SUPPORT, google.mailbox.history_id), gmail(), get_settings()
    )


async def _start_reading_now(google: Google, db: asyncpg.Connection) -> None:
    """As the first watch does: reading starts at the mailbox's history id of that moment."""
    await db.execute(
        "INSERT INTO gmail_mailboxes (address, history_id) VALUES ($1, $2)",
        SUPPORT,
        google.mailbox.history_id,
    )


async def _tickets(db: asyncpg.Connection) -> list[asyncpg.Record]:
    return await db.fetch(
        """SELECT t.ticket_number, t.channel, t.subject, m.content
           FROM tickets t JOIN messages m ON m.ticket_id = t.id AND m.direction = 'inbound'
           ORDER BY m.created_at"""
    )


async def test_a_new_mail_is_filed_once_on_a_new_email_ticket_and_the_history_id_advances(
    google: Google, db: asyncpg.Connection
) -> None:
    await _start_reading_now(google, db)
    gmail_id = google.deliver(customer_mail("How do I reset my password?"))

    synced = await _sync(google)

    assert (synced.filed, synced.skipped, synced.fell_back) == (1, {}, False)
    [ticket] = await _tickets(db)
    assert (ticket["channel"], ticket["subject"]) == ("email", "Reset password")
    assert ticket["content"] == "How do I reset my password?"
    row = await db.fetchrow("SELECT * FROM email_messages WHERE gmail_id = $1", gmail_id)
    assert row["direction"] == "inbound" and row["address"] == "ada@example.com"
    assert row["rfc_message_id"].endswith("@example.com>")
    event = await db.fetchrow("SELECT attributes, data FROM outbox")
    assert '"channel": "email"' in event["attributes"]
    mailbox = await gmail_mailboxes.get(db, SUPPORT)
    assert mailbox.history_id == google.mailbox.history_id


async def test_a_replayed_push_files_nothing_twice(google: Google, db: asyncpg.Connection) -> None:
    await _start_reading_now(google, db)
    google.deliver(customer_mail())

    first, again = await _sync(google), await _sync(google)

    assert (first.filed, again.filed) == (1, 0)
    assert len(await _tickets(db)) == 1


async def test_concurrent_pushes_for_the_same_change_file_the_mail_once(
    google: Google, db: asyncpg.Connection
) -> None:
    await _start_reading_now(google, db)
    google.deliver(customer_mail())

    results = await asyncio.gather(*(_sync(google) for _ in range(3)))

    assert sum(r.filed for r in results) == 1
    assert len(await _tickets(db)) == 1


async def test_a_history_id_gmail_no_longer_keeps_falls_back_to_the_newest_inbox_mail(
    google: Google, db: asyncpg.Connection
) -> None:
    await _start_reading_now(google, db)
    google.deliver(customer_mail("First question?", subject="One"))
    await _sync(google)
    google.deliver(customer_mail("Second question?", subject="Two"))
    google.mailbox.forget_history()  # the push was lost and a week went by: the id is gone

    synced = await _sync(google)

    assert synced.fell_back and synced.filed == 1 and synced.already_seen == 1
    assert [t["content"] for t in await _tickets(db)] == ["First question?", "Second question?"]
    assert (await gmail_mailboxes.get(db, SUPPORT)).history_id == google.mailbox.history_id


async def test_a_push_before_any_watch_reads_the_newest_inbox_mail(
    google: Google, db: asyncpg.Connection
) -> None:
    google.deliver(customer_mail())

    synced = await _sync(google)

    assert synced.fell_back and synced.filed == 1


async def test_robots_bounces_lists_and_our_own_mail_are_recorded_but_never_answered(
    google: Google, db: asyncpg.Connection
) -> None:
    await _start_reading_now(google, db)
    mails = {
        "auto_reply": customer_mail(
            "I am out of office.", headers={"Auto-Submitted": "auto-replied"}
        ),
        "bulk": customer_mail("Sale!", headers={"Precedence": "bulk"}),
        "x-autoreply": customer_mail("Away.", headers={"X-Autoreply": "yes"}),
        "bounce": customer_mail("Delivery failed", sender="MAILER-DAEMON@mx.example.com"),
        "list": customer_mail("Digest", headers={"List-Id": "<news.example.com>"}),
        "own": customer_mail("Our own words", sender=f"Support <{SUPPORT}>"),
    }
    for mail in mails.values():
        google.deliver(mail)

    synced = await _sync(google)

    assert synced.filed == 0
    assert synced.skipped == {"auto_reply": 3, "bounce": 1, "list": 1, "own_mail": 1}
    assert await _tickets(db) == []
    assert await db.fetchval("SELECT count(*) FROM outbox") == 0
    assert await db.fetchval("SELECT count(*) FROM email_messages WHERE skipped IS NOT NULL") == 6


def _html_only(html: str) -> EmailMessage:
    mail = customer_mail()
    mail.clear_content()
    mail.set_content(html, subtype="html")
    return mail


def _latin1(text: str) -> bytes:
    return (
        "From: Zoe <zoe@example.com>\r\nTo: support@northwind.example\r\n"
        "Subject: =?iso-8859-1?q?R=E9sum=E9?=\r\nMessage-ID: <latin@example.com>\r\n"
        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=iso-8859-1\r\n"
        "Content-Transfer-Encoding: 8bit\r\n\r\n"
    ).encode("ascii") + text.encode("iso-8859-1")


async def test_multipart_html_only_non_utf8_and_very_long_mail_are_read_as_their_new_text(
    google: Google, db: asyncpg.Connection
) -> None:
    await _start_reading_now(google, db)
    multipart = customer_mail("Plain words.")
    multipart.add_alternative("<p>HTML words.</p>", subtype="html")
    quoted = customer_mail(
        "Still broken.\n\nOn Mon, 30 Nov 2026 at 10:00, Support <support@northwind.example> "
        "wrote:\n> Try again please.\n"
    )
    for mail in (
        multipart,
        _html_only("<div><p>Where is <b>billing</b>?</p><script>x()</script></div>"),
        _latin1("Où est ma facture ?"),
        customer_mail("word " * 4000),
        quoted,
    ):
        google.deliver(mail)

    synced = await _sync(google)

    assert synced.filed == 5
    contents = [t["content"] for t in await _tickets(db)]
    assert contents[:3] == ["Plain words.", "Where is billing?", "Où est ma facture ?"]
    assert len(contents[3]) == 5000
    assert contents[4] == "Still broken."
    subjects = {t["subject"] for t in await _tickets(db)}
    assert "Résumé" in subjects


async def test_a_reply_in_the_thread_continues_the_ticket(
    google: Google, db: asyncpg.Connection
) -> None:
    await _start_reading_now(google, db)
    first = customer_mail("How do I reset my password?")
    gmail_id = google.deliver(first)
    await _sync(google)
    thread_id = google.mailbox.messages[gmail_id].thread_id

    google.deliver(
        customer_mail("And 2FA?", subject="Re: Reset password", answering=first), thread_id
    )
    await _sync(google)

    tickets = await _tickets(db)
    assert [t["content"] for t in tickets] == ["How do I reset my password?", "And 2FA?"]
    assert len({t["ticket_number"] for t in tickets}) == 1


async def test_a_web_form_customer_writing_from_the_same_address_is_the_same_customer(
    google: Google, db: asyncpg.Connection
) -> None:
    web = await accept("Web question", channel="web_form", email="ada@example.com", phone=None)
    await _start_reading_now(google, db)
    google.deliver(customer_mail("Email question", sender="ADA <Ada@Example.com>"))

    await _sync(google)

    customers = await db.fetch("SELECT DISTINCT customer_id FROM tickets")
    assert [c["customer_id"] for c in customers] == [web.ticket.customer_id]
