"""What the answerability check adds to a knowledge-base search, against the query embedding.

Every search reads what the customer's yes/no questions ask about (``asked_about``) and checks
each passage found for it (``unmentioned``). This times both, per message, for the own sample
tickets against three passages of the product docs (the longest ones: the worst case), and as
the baseline measured in the same run, the embedding of the same message that every search
already computes.

    python -m benchmarks.answerability [--rounds 5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from shared.agent.rules import load_rules
from shared.kb import embeddings
from shared.kb.answerability import asked_about, unmentioned
from shared.kb.ingest import markdown_files, read_passages

CONTEXT = Path(__file__).resolve().parents[1] / "shared" / "context"


def _ms(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "p50_ms": round(statistics.median(ordered) * 1000, 3),
        "p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))] * 1000, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    rules = load_rules().answerability
    tickets = json.loads((CONTEXT / "sample-tickets.json").read_text(encoding="utf-8"))
    texts = [f"{t.get('subject') or ''}\n{t['content']}" for t in tickets]
    passages = [p for path in markdown_files(CONTEXT) for p in read_passages(path)]
    longest = sorted(passages, key=lambda p: len(p.content), reverse=True)[:3]
    found = [f"{p.title}\n{p.content}" for p in longest]
    embeddings.warm_up()
    checks: list[float] = []
    embeds: list[float] = []
    for _ in range(args.rounds):
        for text in texts:
            started = time.perf_counter()
            asked = asked_about(text, rules)
            for passage in found:
                unmentioned(asked, passage)
            checks.append(time.perf_counter() - started)
            started = time.perf_counter()
            embeddings.embed_query(text)
            embeds.append(time.perf_counter() - started)
    print(
        json.dumps(
            {
                "messages": len(checks),
                "answerability": _ms(checks),
                "baseline_query_embedding": _ms(embeds),
            }
        )
    )


if __name__ == "__main__":
    main()
