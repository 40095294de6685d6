"""A bounded load: POST each JSON line of a file once, ``--concurrency`` at a time, from this process.

    python bench/load.py --url URL --bodies events.jsonl --concurrency 32 --headers '{"Authorization": "..."}'

Prints one JSON line: requests, ok (2xx), statuses (of each body's final answer), retries, seconds, rate
(ok per second), p50_ms, p95_ms (of each body, retries included). A 409 (an earlier event of the case is
still missing) or 404 (its case is not there yet) is retried after a short, growing delay, up to
``--retries`` times, as the support service's outbox does; so an event that overtook its predecessor is not
lost. Each request has a 30 s timeout, so the run always ends.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from collections import Counter
from pathlib import Path

import httpx

RETRIED = frozenset({404, 409})
RETRY_DELAY = 0.05  # seconds, doubled on each further retry


async def _post(client: httpx.AsyncClient, url: str, body: bytes, retries: int, counts: Counter[str]) -> int:
    """The final status of one body (0 for a transport error), retrying 409/404 a few times."""
    for attempt in range(retries + 1):
        try:
            status = (await client.post(url, content=body)).status_code
        except httpx.TransportError:
            return 0
        if status not in RETRIED or attempt == retries:
            return status
        counts["retries"] += 1
        await asyncio.sleep(RETRY_DELAY * 2**attempt)
    raise AssertionError("unreachable")


async def _worker(
    client: httpx.AsyncClient,
    url: str,
    bodies: list[bytes],
    statuses: Counter[int],
    latencies: list[float],
    retries: int,
    counts: Counter[str],
) -> None:
    while bodies:
        body = bodies.pop()
        started = time.perf_counter()
        statuses[await _post(client, url, body, retries, counts)] += 1
        latencies.append(time.perf_counter() - started)


async def run(
    url: str, bodies: list[bytes], concurrency: int, headers: dict[str, str], retries: int = 5
) -> dict[str, object]:
    counts: Counter[str] = Counter()
    statuses: Counter[int] = Counter()
    latencies: list[float] = []
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    headers = {"Content-Type": "application/json", **headers}
    queue = list(reversed(bodies))  # workers pop from the end: the file's order
    async with httpx.AsyncClient(headers=headers, limits=limits, timeout=30.0) as client:
        started = time.perf_counter()
        workers = [
            _worker(client, url, queue, statuses, latencies, retries, counts) for _ in range(concurrency)
        ]
        await asyncio.gather(*workers)
        seconds = time.perf_counter() - started
    ok = sum(count for status, count in statuses.items() if 200 <= status < 300)
    latencies.sort()
    return {
        "requests": len(bodies),
        "ok": ok,
        "statuses": {str(status): count for status, count in sorted(statuses.items())},
        "retries": counts["retries"],
        "seconds": round(seconds, 3),
        "rate": round(ok / seconds, 1) if seconds else 0.0,
        "p50_ms": round(statistics.median(latencies) * 1000, 2) if latencies else None,
        "p95_ms": round(latencies[int(len(latencies) * 0.95) - 1] * 1000, 2) if latencies else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--bodies", type=Path, required=True, help="JSON lines, one request body each.")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--headers", default="{}", help="JSON object of extra request headers.")
    parser.add_argument("--retries", type=int, default=5, help="Retries of a 409/404 answer (0: none).")
    args = parser.parse_args()
    bodies = [line.encode() for line in args.bodies.read_text().splitlines() if line.strip()]
    summary = asyncio.run(run(args.url, bodies, args.concurrency, json.loads(args.headers), args.retries))
    print(json.dumps(summary), flush=True)


if __name__ == "__main__":
    main()
