"""A bounded load: POST each JSON line of a file once, ``--concurrency`` at a time, from this process.

    python bench/load.py --url URL --bodies events.jsonl --concurrency 32 --headers '{"Authorization": "..."}'

Prints one JSON line: requests, ok (2xx), statuses, seconds, rate (ok per second), p50_ms, p95_ms. The
request count is the file's line count, so the run always ends; each request has a 30 s timeout.
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


async def _worker(
    client: httpx.AsyncClient, url: str, bodies: list[bytes], statuses: Counter[int], latencies: list[float]
) -> None:
    while bodies:
        body = bodies.pop()
        started = time.perf_counter()
        try:
            response = await client.post(url, content=body)
            statuses[response.status_code] += 1
        except httpx.TransportError:
            statuses[0] += 1
        latencies.append(time.perf_counter() - started)


async def run(url: str, bodies: list[bytes], concurrency: int, headers: dict[str, str]) -> dict[str, object]:
    statuses: Counter[int] = Counter()
    latencies: list[float] = []
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    headers = {"Content-Type": "application/json", **headers}
    queue = list(reversed(bodies))  # workers pop from the end: the file's order
    async with httpx.AsyncClient(headers=headers, limits=limits, timeout=30.0) as client:
        started = time.perf_counter()
        await asyncio.gather(*(_worker(client, url, queue, statuses, latencies) for _ in range(concurrency)))
        seconds = time.perf_counter() - started
    ok = sum(count for status, count in statuses.items() if 200 <= status < 300)
    latencies.sort()
    return {
        "requests": len(bodies),
        "ok": ok,
        "statuses": {str(status): count for status, count in sorted(statuses.items())},
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
    args = parser.parse_args()
    bodies = [line.encode() for line in args.bodies.read_text().splitlines() if line.strip()]
    summary = asyncio.run(run(args.url, bodies, args.concurrency, json.loads(args.headers)))
    print(json.dumps(summary), flush=True)


if __name__ == "__main__":
    main()
