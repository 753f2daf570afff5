"""Customers and their identifiers: one person, whichever channel they write on."""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass
from uuid import UUID

from shared.db.pool import Connection


async def resolve_customer(
    conn: Connection, *, email: str | None, phone: str | None, name: str | None = None
) -> UUID:
    """Return the customer these (already normalised) identifiers belong to, creating them if new.

    Identifiers are locked in a fixed order for the transaction, so concurrent first contacts
    from the same person end with one customer. A submission carrying both links both: the
    email's customer wins, and a phone still free is attached to it.
    """
    identifiers = [(kind, value) for kind, value in (("email", email), ("phone", phone)) if value]
    if not identifiers:
        raise ValueError("a customer needs an email or a phone number")
    # Inside the caller's transaction as it is (a savepoint would cost two more round trips).
    async with nullcontext() if conn.is_in_transaction() else conn.transaction():
        for kind, value in sorted(identifiers):
            await conn.execute(
                "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", f"{kind}:{value}"
            )
        known = {
            r["kind"]: r["customer_id"]
            for r in await conn.fetch(
                """SELECT kind, customer_id FROM customer_identifiers
                   WHERE (kind, value) IN (SELECT * FROM unnest($1::text[], $2::text[]))""",
                [k for k, _ in identifiers],
                [v for _, v in identifiers],
            )
        }
        customer_id: UUID | None = known.get("email") or known.get("phone")
        if customer_id is None:
            customer_id = await conn.fetchval(
                "INSERT INTO customers (name) VALUES ($1) RETURNING id", name
            )
        elif name:
            await conn.execute(
                "UPDATE customers SET name = coalesce(name, $2), updated_at = now() WHERE id = $1",
                customer_id,
                name,
            )
        new = [(kind, value) for kind, value in identifiers if kind not in known]
        if new:
            await conn.execute(
                """INSERT INTO customer_identifiers (customer_id, kind, value)
                   SELECT $1, kind, value FROM unnest($2::text[], $3::text[]) AS n(kind, value)
                   ON CONFLICT (kind, value) DO NOTHING""",
                customer_id,
                [kind for kind, _ in new],
                [value for _, value in new],
            )
        assert customer_id is not None
        return customer_id


@dataclass(frozen=True)
class Profile:
    name: str | None
    email: str | None
    phone: str | None


async def profile(conn: Connection, customer_id: UUID) -> Profile:
    """The customer's name and current identifiers, as a reply or a follow-up addresses them."""
    name = await conn.fetchval("SELECT name FROM customers WHERE id = $1", customer_id)
    ids = await identifiers_of(conn, customer_id)
    return Profile(name=name, email=ids.get("email"), phone=ids.get("phone"))


async def identifiers_of(conn: Connection, customer_id: UUID) -> dict[str, str]:
    rows = await conn.fetch(
        "SELECT kind, value FROM customer_identifiers WHERE customer_id = $1 ORDER BY id",
        customer_id,
    )
    return {r["kind"]: r["value"] for r in rows}
