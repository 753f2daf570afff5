"""The customers' side of the fault suite: a seeded mix of forms and follow-ups, each request
retried with its Idempotency-Key (as a careful client does) until it is accepted."""

from __future__ import annotations

import asyncio
import random
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx

QUESTIONS = (
    ("Reset password", "How do I reset my password?"),
    ("Two-factor", "How do I turn on two-factor authentication for my account?"),
    ("Export", "How can I export my project data to CSV?"),
    ("Invite", "How do I invite a teammate to my workspace?"),
    ("Refund", "I was charged twice this month and I want a refund."),
    ("Plans", "How much does the Business plan cost per seat?"),
    ("Human", "Please let me talk to a real person about my account."),
)
FOLLOW_UPS = ("Thanks! One more thing: does this work on mobile too?", "Any update on this?")
RETRYABLE = {409, 425, 429}


@dataclass
class Load:
    """What the customers were told: every 2xx receipt, and what never got one."""

    messages: int
    rng: random.Random
    base_url: str
    concurrency: int = 8
    rate: float = 20.0  # requests started per second: the load lasts as long as the faults
    request_deadline_s: float = 120.0
    accepted: list[dict[str, Any]] = field(default_factory=list)
    refused: list[int] = field(default_factory=list)  # a 4xx a valid request must never get
    gave_up: int = 0

    @property
    def progress(self) -> int:
        return len(self.accepted) + len(self.refused) + self.gave_up

    async def run(self) -> None:
        customers = max(10, self.messages // 4)
        plan = [self._request(n, customers) for n in range(self.messages)]
        gate = asyncio.Semaphore(self.concurrency)
        start = asyncio.get_running_loop().time()
        async with httpx.AsyncClient(base_url=self.base_url, timeout=30) as client:

            async def one(n: int) -> None:
                await asyncio.sleep(
                    max(0.0, start + n / self.rate - asyncio.get_running_loop().time())
                )
                async with gate:
                    await self._send(client, plan[n])

            await asyncio.gather(*(one(n) for n in range(self.messages)))

    def _request(self, n: int, customers: int) -> dict[str, Any]:
        who = self.rng.randrange(customers)
        email = f"josé.{who}@bücher.example" if who % 5 == 0 else f"customer.{who}@example.com"
        subject, message = self.rng.choice(QUESTIONS)
        return {
            "follow_up": self.rng.random() < 0.2,
            "form": {
                "name": f"Customer {who}",
                "email": email,
                "subject": subject,
                "message": message,
            },
            "text": self.rng.choice(FOLLOW_UPS),
            "target": self.rng.random(),  # which earlier ticket a follow-up goes to
            "key": str(uuid.UUID(int=self.rng.getrandbits(128))),
        }

    async def _send(self, client: httpx.AsyncClient, request: dict[str, Any]) -> None:
        on_ticket = None
        if request["follow_up"] and self.accepted:
            on_ticket = self.accepted[int(request["target"] * len(self.accepted))]
        if on_ticket is None:
            url, body = "/api/v1/support/form", request["form"]
        else:
            url = f"/api/v1/tickets/{on_ticket['ticket_number']}/messages"
            url += f"?token={on_ticket['access_token']}"
            body = {"message": request["text"]}
        deadline = asyncio.get_running_loop().time() + self.request_deadline_s
        delay = 0.25
        while True:
            status = await _post(client, url, body, request["key"])
            if status is not None and isinstance(status, dict):
                self.accepted.append(status)
                return
            if status is not None and 400 <= status < 500 and status not in RETRYABLE:
                self.refused.append(status)
                return
            if asyncio.get_running_loop().time() + delay > deadline:
                self.gave_up += 1
                return
            await asyncio.sleep(delay)
            delay = min(delay * 2, 4.0)


async def _post(
    client: httpx.AsyncClient, url: str, body: dict[str, Any], key: str
) -> dict[str, Any] | int | None:
    """The receipt on 2xx, else the status; None when the request did not get an answer."""
    try:
        response = await client.post(url, json=body, headers={"idempotency-key": key})
    except httpx.HTTPError:
        return None
    if 200 <= response.status_code < 300:
        return dict(response.json())
    return response.status_code
