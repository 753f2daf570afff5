"""How long a person takes to get an answer out through the staff API: sign in → the answer
delivered on the customer's status page, on a ticket the agent handed over.

    python -m benchmarks.staff_latency [--rounds 20]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

import httpx

from benchmarks.intake_latency import UNLIMITED_AGENT, percentile
from shared.devstack.stack import REPO
from shared.devstack.temporary import temporary_stack

PASSWORD = "benchmark password, long enough"
ESCALATING = {"name": "Bench", "subject": "Refund", "message": "I want a refund for last month."}


def _escalated_ticket(client: httpx.Client, base: str, n: int) -> dict[str, str]:
    receipt: dict[str, str] = client.post(
        f"{base}/api/v1/support/form", json={**ESCALATING, "email": f"refund{n}@example.com"}
    ).json()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        ticket = client.get(receipt["status_url"]).json()
        if ticket["status"] == "escalated":
            return receipt
        time.sleep(0.02)
    sys.exit(f"{receipt['ticket_number']} was not escalated")


def _answer_round(base: str, receipt: dict[str, str]) -> float:
    """Milliseconds from the sign-in request to the answer shown delivered to the customer."""
    with httpx.Client(timeout=30) as staff, httpx.Client(timeout=30) as customer:
        started = time.perf_counter()
        session = staff.post(
            f"{base}/api/v1/staff/session",
            json={"email": "bench@northwind.example", "password": PASSWORD},
        ).json()
        headers = {"x-csrf-token": session["csrf_token"]}
        number = receipt["ticket_number"]
        staff.get(f"{base}/api/v1/staff/tickets")
        staff.get(f"{base}/api/v1/staff/tickets/{number}")
        answered = staff.post(
            f"{base}/api/v1/staff/tickets/{number}/replies",
            json={"body": "I've refunded last month."},
            headers=headers,
        )
        if answered.status_code != 202:
            sys.exit(f"answer refused: {answered.status_code} {answered.text}")
        while True:
            ticket = customer.get(receipt["status_url"]).json()
            if any(
                m["role"] == "staff" and m["delivery_status"] == "delivered"
                for m in ticket["messages"]
            ):
                return (time.perf_counter() - started) * 1000
            if time.perf_counter() - started > 30:
                sys.exit(f"the answer on {number} was not delivered within 30 s")
            time.sleep(0.005)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    with temporary_stack(env=UNLIMITED_AGENT, prefix="fte-bench-staff-") as stack:
        subprocess.run(
            [
                *(
                    sys.executable,
                    "-m",
                    "shared.cli",
                    "staff",
                    "add",
                    "bench@northwind.example",
                ),
                *("--name", "Bench", "--password-stdin", "--database-url", stack.database_url),
            ],
            input=PASSWORD + "\n",
            text=True,
            check=True,
            cwd=REPO,
            capture_output=True,
        )
        with httpx.Client(timeout=30) as client:
            receipts = [
                _escalated_ticket(client, stack.gateway_url, n) for n in range(args.rounds + 2)
            ]
        print(f"measuring {args.rounds} sign-in → answer delivered rounds…", file=sys.stderr)
        for receipt in receipts[:2]:  # warm up
            _answer_round(stack.gateway_url, receipt)
        times = [_answer_round(stack.gateway_url, r) for r in receipts[2:]]
    print(
        f"staff: sign in → answer delivered   n={len(times)}  p50={percentile(times, 50):.1f} ms  "
        f"p95={percentile(times, 95):.1f} ms  max={max(times):.1f} ms"
    )


if __name__ == "__main__":
    main()
