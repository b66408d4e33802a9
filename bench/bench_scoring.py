"""Score 100,000 PHQ-9 responses through the public scoring API.

Reports responses per second next to a plain-Python sum of the same weights, and the
ratio between them (how much validation, flags, bands and the result object cost).

    COPRODUCE_MODE=test .venv/bin/python bench/bench_scoring.py [N]
"""

from __future__ import annotations

import os
import platform
import random
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coproduce.settings")
os.environ.setdefault("COPRODUCE_MODE", "test")

import django

django.setup()

from coproduce.instruments.scoring import score  # noqa: E402

CODES = ("LA6568-5", "LA6569-3", "LA6570-1", "LA6571-9")


def make_responses(n: int, seed: int = 20240601) -> list[dict[str, object]]:
    """Half the answers given as option codes, half as integer weights (both accepted)."""
    rng = random.Random(seed)
    responses = []
    for _ in range(n):
        response: dict[str, object] = {}
        for item in range(1, 10):
            weight = rng.randint(0, 3)
            response[f"phq9-{item}"] = CODES[weight] if rng.random() < 0.5 else weight
        responses.append(response)
    return responses


def plain_sum(responses: list[dict[str, object]]) -> list[int]:
    weight = {code: n for n, code in enumerate(CODES)}
    return [
        sum(v if isinstance(v, int) else weight[v] for v in r.values())  # type: ignore[index]
        for r in responses
    ]


def timed(fn, *args):
    start = time.perf_counter()
    value = fn(*args)
    return value, time.perf_counter() - start


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    responses = make_responses(n)
    score("phq9", "1.0", responses[0])  # load the definition once, outside the timing
    results, api_seconds = timed(lambda rs: [score("phq9", "1.0", r) for r in rs], responses)
    sums, plain_seconds = timed(plain_sum, responses)
    assert [r.score for r in results] == sums, "the API and the plain sum disagree"
    api_rate, plain_rate = n / api_seconds, n / plain_seconds
    print(f"python {platform.python_version()} on {platform.machine()}, {n:,} PHQ-9 responses")
    print(f"scoring API : {api_seconds:8.3f} s  {api_rate:12,.0f} responses/s")
    print(f"plain sum   : {plain_seconds:8.3f} s  {plain_rate:12,.0f} responses/s")
    print(f"ratio       : the API is {plain_rate / api_rate:.1f}x slower than a bare sum")
    print(f"per response: {api_seconds / n * 1e6:.1f} µs (validate, score, band, flags)")


if __name__ == "__main__":
    main()
