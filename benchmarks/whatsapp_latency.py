"""The WhatsApp path's latency: Twilio's webhook answered, and webhook → first reply part sent.

Starts the embedded stack (broker log on S3, as ``nox -s dev``), has the Twilio stand-in post
signed incoming-message webhooks one after the other (a new customer each time), and reads the
times from Postgres: the webhook's transaction (``whatsapp_inbound.received_at``) to the commit
of the first part's Twilio SID (``whatsapp_parts.updated_at``, after Twilio accepted it).

    python -m benchmarks.whatsapp_latency [--messages 30] [--memory-broker]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time

import asyncpg
import httpx

from benchmarks.intake_latency import UNLIMITED_AGENT, percentile
from shared.devstack.stack import Stack
from shared.devstack.standins.launch import read_twilio_account
from shared.devstack.temporary import temporary_stack

QUESTION = "How do I reset my password?"


async def first_part_ms(database_url: str, message_sid: str, timeout: float) -> float | None:
    """Webhook → first part accepted by Twilio, in ms; None when not within ``timeout``."""
    conn = await asyncpg.connect(database_url)
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ms = await conn.fetchval(
                """SELECT extract(epoch FROM p.updated_at - i.received_at) * 1000
                   FROM whatsapp_inbound i
                   JOIN messages m ON m.in_reply_to = i.message_id
                   JOIN whatsapp_parts p ON p.message_id = m.id AND p.part = 1
                   WHERE i.message_sid = $1 AND p.sid IS NOT NULL""",
                message_sid,
            )
            if ms is not None:
                return float(ms)
            await asyncio.sleep(0.01)
        return None
    finally:
        await conn.close()


def measure(stack: Stack, n: int, first: int = 0) -> tuple[list[float], list[float]]:
    account = read_twilio_account(stack.data_dir)
    webhook, first_part = [], []
    with httpx.Client(timeout=30) as client:
        for i in range(first, first + n):
            want = {"from": f"+1415555{i:04d}", "body": QUESTION, "profile_name": "Bench"}
            answer = client.post(f"{account.api_base_url}/_standin/inbound", json=want).json()
            if answer["webhook_status"] != 200:
                sys.exit(f"the webhook answered {answer['webhook_status']}")
            ms = asyncio.run(first_part_ms(stack.database_url, answer["sid"], 30))
            if ms is None:
                sys.exit("no reply part was sent within 30 s")
            webhook.append(answer["webhook_ms"])
            first_part.append(ms)
    return webhook, first_part


def line(name: str, values: list[float]) -> str:
    return (
        f"{name:<40} n={len(values):<4} p50={percentile(values, 50):7.1f} ms  "
        f"p95={percentile(values, 95):7.1f} ms  max={max(values):7.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=30)
    parser.add_argument("--memory-broker", action="store_true", help="broker log in memory")
    args = parser.parse_args()
    with temporary_stack(durable_broker=not args.memory_broker, env=UNLIMITED_AGENT) as stack:
        measure(stack, 5, first=9000)  # warm up pools, the model and the consumer groups
        webhook, first_part = measure(stack, args.messages)
    print("\nsequential WhatsApp messages, one at a time, loopback (ms)")
    print(line("Twilio's webhook answered (empty TwiML)", webhook))
    print(line("webhook → first reply part sent", first_part))


if __name__ == "__main__":
    main()
