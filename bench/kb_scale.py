"""Knowledge-base size: import, index build, search latency, memory and cloud start-up per KB size.

    python bench/kb_scale.py --articles /work/shared/datasets/officedocs-support/articles [--copies 1,10]

A KB of ``n`` copies is the shared articles imported ``n`` times under new ids (``copyK/...``): fine for
timing, and the vectors of a copy are not encoded again (same text, same digest). With ``--sql-copies``
only the first copy goes through the importer and the others are copied by one SQL statement each (the
import column then times that). "index build" is ``m365bridge cloud kb reindex`` in a process of its own:
the search index's files written from the stored articles (what an import ends with). For each size, in
a fresh process on that KB: the first search (cold: the model and the index's pages are read), then the
dev-set queries (the whole service call, query encoding included) for p50/p95, and the process's peak
RSS; then a cloud server is started on the KB until ``/readyz`` answers. ``--copies 100`` (about 245,000
articles) is opt-in.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from harness import BENCH_DIR, Result, free_port, server_process
from retrieval_eval import load_queries
from sqlalchemy import text

from m365bridge.cloud.context import CloudContext
from m365bridge.cloud.knowledge.importer import ImportOptions, import_folder
from m365bridge.cloud.knowledge.index import FOLDER as INDEX_FOLDER
from m365bridge.cloud.knowledge.service import recommend
from m365bridge.cloud.settings import CloudSettings
from m365bridge.shared.db import transaction

DEVSET = BENCH_DIR / "devset.jsonl"
# Copy K of the first copy's articles, every column but the id as it is.
COPY_SQL = """INSERT INTO kb_article (id, tenant_id, public, title, description, body, body_text, headings,
services, source_url, attribution, content_hash, embedding_digest, created_at, updated_at)
SELECT 'copy{copy}/' || substr(id, 7), tenant_id, public, title, description, body, body_text, headings,
services, source_url, attribution, content_hash, embedding_digest, created_at, updated_at
FROM kb_article WHERE id LIKE 'copy0/%'"""
P95_TARGET_MS = {10: 50.0, 100: 150.0}  # by copies: 25,000 and 250,000 articles
RSS_TARGET_MB = 1536.0


def import_copies(articles: Path, data_dir: Path, copies: int, *, by_sql: bool) -> tuple[int, float]:
    """Import ``copies`` copies of ``articles`` (all but the first copied by SQL when ``by_sql``); the
    article count and the seconds it took."""
    context = CloudContext.build(CloudSettings(data_dir=data_dir))
    started = time.perf_counter()
    try:
        for copy in range(copies):
            with transaction(context.sessions, write=True) as session:
                if copy and by_sql:
                    session.execute(text(COPY_SQL.format(copy=copy)))
                else:
                    import_folder(session, articles, ImportOptions(prefix=f"copy{copy}/"))
        with transaction(context.sessions) as session:
            total = int(session.scalar(text("SELECT count(*) FROM kb_article")) or 0)
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


def index_build(data_dir: Path) -> tuple[float, float]:
    """Seconds to write the search index from the stored articles, in a process of its own, and that
    process's peak RSS in MB."""
    script = str(Path(sys.executable).with_name("m365bridge"))
    started = time.perf_counter()
    child = subprocess.Popen([script, "cloud", "kb", "reindex", "--data-dir", str(data_dir)])
    _, status, usage = os.wait4(child.pid, 0)
    if status:
        raise SystemExit(f"reindex failed with status {status}")
    return time.perf_counter() - started, usage.ru_maxrss / 1024


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
    parser.add_argument(
        "--sql-copies", action="store_true", help="Copy the articles of copies after the first by SQL."
    )
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)  # the child process's mode
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure)))
        return
    if args.articles is None:
        parser.error("--articles is required")
    rows = [
        "| articles | import | index build | build peak RSS | index files | first search | search p50 "
        "| search p95 | search peak RSS | cloud start-up |"
    ]
    rows.append("|---|---|---|---|---|---|---|---|---|---|")
    for copies in [int(part) for part in args.copies.split(",") if part.strip()]:
        with tempfile.TemporaryDirectory() as folder:
            data_dir = args.keep / f"copies-{copies}" if args.keep else Path(folder)
            done = data_dir / "imported.json"  # count and seconds of the import that made the kept KB
            if done.exists():
                count, imported = json.loads(done.read_text())
            else:
                count, imported = import_copies(args.articles, data_dir, copies, by_sql=args.sql_copies)
                if args.keep:
                    done.write_text(json.dumps([count, imported]))
            build, build_rss = index_build(data_dir)
            files = sum(path.stat().st_size for path in (data_dir / INDEX_FOLDER).rglob("*.npy")) / 2**20
            child = subprocess.run(
                [sys.executable, __file__, "--measure", str(data_dir)],
                capture_output=True,
                text=True,
                check=True,
            )
            figures = json.loads(child.stdout.strip().splitlines()[-1])
            startup = cloud_startup(data_dir)
        rows.append(
            f"| {count:,} | {imported:.1f} s | {build:.1f} s | {build_rss:,.0f} MB | {files:,.0f} MB "
            f"| {figures['first_s']:.2f} s "
            f"| {figures['p50_ms']:.1f} ms | {figures['p95_ms']:.1f} ms | {figures['rss_mb']:,.0f} MB "
            f"| {startup:.1f} s |"
        )
        print(rows[-1], flush=True)
        if copies in P95_TARGET_MS:
            target = P95_TARGET_MS[copies]
            Result(
                what=f"KB search at {count:,} articles",
                figure=f"p95={figures['p95_ms']:.1f}ms rss={figures['rss_mb']:.0f}MB",
                baseline=f"import {imported:.0f}s, index build {build:.1f}s",
                ratio=None,
                target=f"p95<={target:.0f}ms, rss<={RSS_TARGET_MB:.0f}MB",
                passed=figures["p95_ms"] <= target and figures["rss_mb"] <= RSS_TARGET_MB,
            ).emit()
    print("\n".join(rows))


if __name__ == "__main__":
    main()
