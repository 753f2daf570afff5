"""The edges against a running stack: hostile input, a huge body, a burst, and what the logs hold."""

from __future__ import annotations

import concurrent.futures
from collections.abc import Iterator

import httpx
import pytest

from tests.e2e.conftest import DevStack, delivered_answers, start_dev, wait_for

pytestmark = pytest.mark.e2e
MEMORY_BOUND = 32 * 1024 * 1024  # bytes a process may grow by while a 100 MB body is refused


@pytest.fixture(scope="module")
def throttled_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevStack]:
    """The stack with its shipped limits: every request here comes from one address."""
    stack = start_dev(tmp_path_factory.mktemp("edges") / "data")
    yield stack
    stack.stop()


def test_a_nul_a_100_mb_body_and_200_rapid_forms_cost_no_message_and_little_memory(
    throttled_stack: DevStack,
) -> None:
    with httpx.Client(base_url=throttled_stack.url, timeout=60) as api:
        nul = api.post(
            "/api/v1/support/form",
            json={
                "name": "Ada",
                "email": "ada@example.com",
                "subject": "Reset\u0000 password",
                "message": "How do I reset my \u0000 password?",
            },
        )
        assert nul.status_code == 202

        watched = [throttled_stack.process_named(n) for n in ("gateway", "intake_web_form")]
        before = [p.memory_info().rss for p in watched]

        def hundred_megabytes() -> Iterator[bytes]:
            for _ in range(100):
                yield b" " * (1024 * 1024)

        try:
            huge = api.post(
                "/api/v1/support/form",
                content=hundred_megabytes(),
                headers={"content-type": "application/json"},
            )
            assert huge.status_code == 413
        except httpx.HTTPError:
            pass  # the gateway answered 413 and closed the connection while we were sending
        grown = [p.memory_info().rss - b for p, b in zip(watched, before, strict=True)]
        assert all(g < MEMORY_BOUND for g in grown), grown

        def form(n: int) -> httpx.Response:
            with httpx.Client(base_url=throttled_stack.url, timeout=60) as client:
                return client.post(
                    "/api/v1/support/form",
                    json={
                        "name": f"Burst {n}",
                        "email": f"burst.{n}@example.com",
                        "subject": "Reset password",
                        "message": "How do I reset my password?",
                    },
                )

        with concurrent.futures.ThreadPoolExecutor(20) as pool:
            burst = list(pool.map(form, range(200)))
        statuses = [r.status_code for r in burst]
        assert set(statuses) == {202, 429}
        assert all(int(r.headers["retry-after"]) >= 1 for r in burst if r.status_code == 429)
        accepted = [nul.json()] + [r.json() for r in burst if r.status_code == 202]
        assert len(accepted) < 50  # the burst was throttled, not queued unbounded
        for receipt in accepted:
            wait_for(
                lambda r=receipt: delivered_answers(api, r),
                90,
                f"an answer on {receipt['ticket_number']}",
            )


def test_no_log_line_holds_an_address_a_phone_a_name_a_message_or_a_token(
    dev_stack: DevStack,
) -> None:
    identifiers = {
        "name": "Zebedee Quillfeather",
        "email": "zebedee.quillfeather@bücher.example",
        "phone": "+1 415 555 2671",
        "subject": "Purple elephant subject",
        "message": "My purple elephant cannot log in, how do I reset my password?",
    }
    with httpx.Client(base_url=dev_stack.url, timeout=30) as api:
        receipt = api.post("/api/v1/support/form", json=identifiers).json()
        wait_for(lambda: delivered_answers(api, receipt), 60, "the answer")
        follow_up = api.post(
            f"/api/v1/tickets/{receipt['ticket_number']}/messages",
            headers={"authorization": f"Bearer {receipt['access_token']}"},
            json={"message": "Another purple elephant question about two-factor login"},
        )
        assert follow_up.status_code == 202
        api.get(f"/api/v1/tickets/{receipt['ticket_number']}", params={"token": "a-wrong-token"})
        wait_for(lambda: len(delivered_answers(api, receipt) or []) == 2, 60, "the second answer")
    secrets = [
        *identifiers.values(),
        "zebedee",
        "Quillfeather",
        "+14155552671",
        "4155552671",
        "purple elephant",
        receipt["access_token"],
    ]
    found = []
    for log in dev_stack.logs:
        text = log.read_text(errors="replace").lower()
        found += [(log.name, s) for s in secrets if s.lower() in text]
    assert found == []
    read = "".join(p.read_text(errors="replace") for p in dev_stack.logs)
    assert "consuming ['fte.tickets.incoming']" in read  # these are the logs that ran it
