import asyncio

import asyncpg

from shared.db import customers


async def test_a_new_email_creates_a_customer_and_the_same_email_finds_it(
    db: asyncpg.Connection,
) -> None:
    first = await customers.resolve_customer(db, email="ada@example.com", phone=None, name="Ada")
    again = await customers.resolve_customer(db, email="ada@example.com", phone=None)
    assert first == again
    assert await db.fetchval("SELECT count(*) FROM customers") == 1


async def test_a_submission_with_both_links_both_so_whatsapp_finds_the_same_customer(
    db: asyncpg.Connection,
) -> None:
    web = await customers.resolve_customer(
        db, email="ada@example.com", phone="+14155552671", name="Ada"
    )
    whatsapp = await customers.resolve_customer(db, email=None, phone="+14155552671")
    assert web == whatsapp
    assert await customers.identifiers_of(db, web) == {
        "email": "ada@example.com",
        "phone": "+14155552671",
    }


async def test_a_known_phone_gains_the_new_email(db: asyncpg.Connection) -> None:
    by_phone = await customers.resolve_customer(db, email=None, phone="+14155552671")
    both = await customers.resolve_customer(db, email="ada@example.com", phone="+14155552671")
    assert both == by_phone
    assert (await customers.identifiers_of(db, by_phone))["email"] == "ada@example.com"


async def test_fifty_concurrent_first_contacts_of_one_person_make_one_customer(
    app_env: str,
    db: asyncpg.Connection,
) -> None:
    pool = await asyncpg.create_pool(app_env, min_size=10, max_size=20)

    async def contact(i: int) -> object:
        async with pool.acquire() as conn:
            return await customers.resolve_customer(
                conn, email="grace@example.com", phone="+14155552671" if i % 2 else None
            )

    ids = await asyncio.gather(*(contact(i) for i in range(50)))
    await pool.close()
    assert len(set(ids)) == 1
    assert await db.fetchval("SELECT count(*) FROM customers") == 1
    assert await db.fetchval("SELECT count(*) FROM customer_identifiers") == 2


async def test_fifty_concurrent_new_customers_get_fifty_customers_and_unique_ticket_numbers(
    app_env: str,
    db: asyncpg.Connection,
) -> None:
    pool = await asyncpg.create_pool(app_env, min_size=10, max_size=20)

    async def submit(i: int) -> str:
        async with pool.acquire() as conn:
            customer = await customers.resolve_customer(
                conn, email=f"user{i}@example.com", phone=None
            )
            return str(
                await conn.fetchval(
                    "INSERT INTO tickets (channel, customer_id) VALUES ('web_form', $1) RETURNING ticket_number",
                    customer,
                )
            )

    numbers = await asyncio.gather(*(submit(i) for i in range(50)))
    await pool.close()
    assert len(set(numbers)) == 50
    assert sorted(numbers) == [f"TKT-{n:04d}" for n in range(1, 51)]
    assert await db.fetchval("SELECT count(*) FROM customers") == 50
