"""What the email path adds: a mail in the inbox → its answer sent in the thread, beside the web
form's post → visible reply measured on the same stack in the same run.

The email path is the Gmail stand-in's signed Pub/Sub push to intake-gmail, history and message
reads over the Gmail API, the agent, and send-email's ``messages.send``.

    python -m benchmarks.email_latency [--mails 30]
"""

from __future__ import annotations

import argparse
import sys
import time

import httpx

from benchmarks.intake_latency import UNLIMITED_AGENT, percentile, time_to_reply
from shared.devstack.temporary import temporary_stack


def time_to_email_answer(
    client: httpx.Client, google: str, n: int, timeout: float = 30
) -> list[float]:
    times = []
    for i in range(n):
        mail = {"from": f"bench{i}@example.com", "subject": "Reset password"}
        mail["body"] = "How do I reset my password?"
        started = time.perf_counter()
        dropped = client.post(f"{google}/_standin/mail", json=mail).json()
        deadline = started + timeout
        while time.perf_counter() < deadline:
            sent = client.get(f"{google}/_standin/sent").json()
            if any(m["in_reply_to"] == dropped["message_id"] for m in sent):
                times.append((time.perf_counter() - started) * 1000)
                break
            time.sleep(0.005)
        else:
            sys.exit(f"no answer to mail {dropped['id']} within {timeout}s")
    return times


def line(name: str, values_ms: list[float]) -> str:
    return (
        f"{name:<40} n={len(values_ms):<4} p50={percentile(values_ms, 50):7.1f} ms  "
        f"p95={percentile(values_ms, 95):7.1f} ms  max={max(values_ms):7.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mails", type=int, default=30)
    args = parser.parse_args()

    with (
        temporary_stack(env=UNLIMITED_AGENT, prefix="fte-bench-email-") as stack,
        httpx.Client(timeout=30) as client,
    ):
        print("warming up both paths…", file=sys.stderr)
        time_to_reply(client, stack.gateway_url, 5)
        time_to_email_answer(client, stack.google_url, 5)
        print(f"measuring {args.mails} of each, one at a time…", file=sys.stderr)
        web = time_to_reply(client, stack.gateway_url, args.mails)
        email = time_to_email_answer(client, stack.google_url, args.mails)

    print(line("web form: post → reply visible", web))
    print(line("email: mail in inbox → answer sent", email))
    added50 = percentile(email, 50) - percentile(web, 50)
    added95 = percentile(email, 95) - percentile(web, 95)
    print(f"{'added by the email path':<40} p50={added50:+7.1f} ms  p95={added95:+7.1f} ms")


if __name__ == "__main__":
    main()
