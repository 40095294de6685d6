"""Knowledge-base size: import, index build, search latency, memory and cloud start-up per KB size.

    python bench/kb_scale.py --articles /work/shared/datasets/officedocs-support/articles [--copies 1,10]

A KB of ``n`` copies is the shared articles imported ``n`` times under new ids (``copyK/...``): fine for
timing, and the vectors of a copy are not encoded again (same text, same digest). The full-text index is
written by the import itself (triggers, in the same transactions), so "import" includes building it;
"index build" is the time to rebuild the whole FTS5 index from the stored articles (what migration 0004
does on an existing KB). For each size, in a fresh process on that KB: the first search (cold: the
model and the database pages are read), then the dev-set queries (the whole service call, query
encoding included) for p50/p95, and the process's peak RSS; then a cloud server is started on the KB
until ``/readyz`` answers. ``--copies 100`` (about 245,000 articles) is opt-in: its import takes about
half an hour on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from harness import BENCH_DIR, Result, free_port, server_process
from retrieval_eval import load_queries

from m365bridge.cloud.context import CloudContext
from m365bridge.cloud.knowledge.importer import ImportOptions, import_folder
from m365bridge.cloud.knowledge.service import recommend
from m365bridge.cloud.settings import CloudSettings
from m365bridge.shared.db import transaction

DEVSET = BENCH_DIR / "devset.jsonl"
DATABASE_FILE = "cloud.db"
# Runs migration 0004's rebuild on the copied database, in a child process of its own.
REBUILD = """
import sys
from alembic.migration import MigrationContext
from alembic.operations import Operations
from sqlalchemy import create_engine
from importlib import import_module
revision = import_module("m365bridge.cloud.migrations.versions.0004_kb_search_index")
engine = create_engine("sqlite:///" + sys.argv[1])
with engine.begin() as connection:
    with Operations.context(MigrationContext.configure(connection)):
        revision.rebuild_sqlite()
"""
P95_TARGET_MS = {10: 50.0, 100: 150.0}  # by copies: 25,000 and 250,000 articles
RSS_TARGET_MB = 1536.0


def import_copies(articles: Path, data_dir: Path, copies: int) -> tuple[int, float]:
    """Import ``copies`` copies of ``articles``; the article count and the seconds it took."""
    context = CloudContext.build(CloudSettings(data_dir=data_dir))
    total, started = 0, time.perf_counter()
    try:
        for copy in range(copies):
            with transaction(context.sessions, write=True) as session:
                report = import_folder(session, articles, ImportOptions(prefix=f"copy{copy}/"))
            total += report.created
    finally:
        context.close()
    return total, time.perf_counter() - started


def measure(data_dir: Path) -> dict[str, float]:
    """In this (fresh) process: the first search, search p50/p95, peak RSS."""
    queries = load_queries(DEVSET)
    context = CloudContext.build(CloudSettings(data_dir=data_dir))
    try:
        with transaction(context.sessions) as session:
            started = time.perf_counter()
            recommend(context, session, "mailbox is full and cannot receive mail")
            first = time.perf_counter() - started
            timings = []
            for query in queries:
                started = time.perf_counter()
                recommend(context, session, query.text)
                timings.append((time.perf_counter() - started) * 1000)
    finally:
        context.close()
    cuts = statistics.quantiles(timings, n=20)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"first_s": first, "p50_ms": statistics.median(timings), "p95_ms": cuts[-1], "rss_mb": peak_mb}


def index_build(data_dir: Path) -> float:
    """Seconds to rebuild the full-text index from the stored articles (a copy of the KB, so the
    measured one stays as imported)."""
    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder) / DATABASE_FILE
        shutil.copyfile(data_dir / DATABASE_FILE, copy)
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", REBUILD, str(copy)], check=True, capture_output=True, text=True)
        return time.perf_counter() - started


def cloud_startup(data_dir: Path) -> float:
    port = free_port()
    # The console script is a Python file: server_process runs it with this interpreter.
    script = str(Path(sys.executable).with_name("m365bridge"))
    command = [script, "cloud", "serve", "--data-dir", str(data_dir), "--port", str(port)]
    started = time.perf_counter()
    with server_process([*command, "--no-tls"], f"http://127.0.0.1:{port}/readyz", timeout=120):
        return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=Path, help="Folder of markdown articles.")
    parser.add_argument("--copies", default="1,10", help="Comma-separated KB sizes, in copies of the set.")
    parser.add_argument(
        "--keep", type=Path, help="Keep each size's KB in this folder and reuse one imported before."
    )
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)  # the child process's mode
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure)))
        return
    if args.articles is None:
        parser.error("--articles is required")
    rows = [
        "| articles | import (with index) | index rebuild | first search | search p50 | search p95 "
        "| peak RSS | cloud start-up |"
    ]
    rows.append("|---|---|---|---|---|---|---|---|")
    for copies in [int(part) for part in args.copies.split(",") if part.strip()]:
        with tempfile.TemporaryDirectory() as folder:
            data_dir = args.keep / f"copies-{copies}" if args.keep else Path(folder)
            done = data_dir / "imported.json"  # count and seconds of the import that made the kept KB
            if done.exists():
                count, imported = json.loads(done.read_text())
            else:
                count, imported = import_copies(args.articles, data_dir, copies)
                if args.keep:
                    done.write_text(json.dumps([count, imported]))
            child = subprocess.run(
                [sys.executable, __file__, "--measure", str(data_dir)],
                capture_output=True,
                text=True,
                check=True,
            )
            figures = json.loads(child.stdout.strip().splitlines()[-1])
            startup = cloud_startup(data_dir)
            rebuild = index_build(data_dir)
        rows.append(
            f"| {count:,} | {imported:.1f} s | {rebuild:.1f} s | {figures['first_s']:.2f} s "
            f"| {figures['p50_ms']:.1f} ms | {figures['p95_ms']:.1f} ms | {figures['rss_mb']:,.0f} MB "
            f"| {startup:.1f} s |"
        )
        print(rows[-1], flush=True)
        if copies in P95_TARGET_MS:
            target = P95_TARGET_MS[copies]
            Result(
                what=f"KB search at {count:,} articles",
                figure=f"p95={figures['p95_ms']:.1f}ms rss={figures['rss_mb']:.0f}MB",
                baseline=f"import {imported:.0f}s, index rebuild {rebuild:.1f}s",
                ratio=None,
                target=f"p95<={target:.0f}ms, rss<={RSS_TARGET_MB:.0f}MB",
                passed=figures["p95_ms"] <= target and figures["rss_mb"] <= RSS_TARGET_MB,
            ).emit()
    print("\n".join(rows))


if __name__ == "__main__":
    main()
