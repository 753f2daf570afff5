import asyncpg

from shared.db.migrations import discover, migrate


async def test_migrating_twice_applies_nothing_the_second_time(db: asyncpg.Connection) -> None:
    # The template database was migrated already: everything is recorded as applied.
    assert await migrate(db) == []
    recorded = [
        r["version"] for r in await db.fetch("SELECT version FROM schema_migrations ORDER BY 1")
    ]
    assert recorded == [m.version for m in discover()]


async def test_the_plan_tables_exist(db: asyncpg.Connection) -> None:
    tables = {
        r["tablename"]
        for r in await db.fetch("SELECT tablename FROM pg_tables WHERE schemaname='public'")
    }
    assert {
        "customers",
        "customer_identifiers",
        "conversations",
        "messages",
        "tickets",
        "knowledge_base",
        "channel_configs",
        "agent_metrics",
        "processed_events",
        "dead_letters",
    } <= tables


async def test_knowledge_base_has_a_384_dim_vector_with_an_hnsw_index(
    db: asyncpg.Connection,
) -> None:
    dims = await db.fetchval(
        "SELECT atttypmod FROM pg_attribute WHERE attrelid = 'knowledge_base'::regclass AND attname = 'embedding'"
    )
    index = await db.fetchval(
        "SELECT indexdef FROM pg_indexes WHERE indexname = 'knowledge_base_embedding'"
    )
    assert dims == 384
    assert "USING hnsw" in index


async def test_ticket_numbers_come_from_the_sequence_in_order(db: asyncpg.Connection) -> None:
    numbers = [
        await db.fetchval("INSERT INTO tickets (channel) VALUES ('email') RETURNING ticket_number")
        for _ in range(3)
    ]
    assert numbers == ["TKT-0001", "TKT-0002", "TKT-0003"]


async def test_ticket_numbers_grow_past_four_digits(db: asyncpg.Connection) -> None:
    await db.execute("SELECT setval('ticket_number_seq', 9999)")
    assert (
        await db.fetchval("INSERT INTO tickets (channel) VALUES ('email') RETURNING ticket_number")
        == "TKT-10000"
    )


async def test_channel_configs_are_seeded(db: asyncpg.Connection) -> None:
    limits = dict(await db.fetch("SELECT channel, max_response_length FROM channel_configs"))
    assert limits == {"web_form": 2000, "email": 4000, "whatsapp": 1600}
