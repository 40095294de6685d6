"""Recommended-solutions quality and latency on a query set.

    python bench/kb_quality.py --articles /work/shared/datasets/officedocs-support/articles \
        --queries bench/devset.jsonl

Imports the articles into a fresh knowledge base in a temporary folder, then prints one line for the plain
BM25 baseline (title + description) and, last, ``recall@5=… mrr@10=… p95_ms=…`` for the product's search
(the whole recommended-solutions service call, database included).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from retrieval_eval import baseline_ranker, evaluate, load_queries

from m365bridge.cloud.context import CloudContext
from m365bridge.cloud.knowledge import searcher
from m365bridge.cloud.knowledge.importer import ImportOptions, import_folder
from m365bridge.cloud.knowledge.service import recommend
from m365bridge.cloud.settings import CloudSettings
from m365bridge.shared.db import transaction


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=Path, required=True, help="Folder of markdown articles.")
    parser.add_argument("--queries", type=Path, required=True, help="JSON lines: query, relevant ids.")
    args = parser.parse_args()
    queries = load_queries(args.queries)
    with tempfile.TemporaryDirectory() as folder:
        context = CloudContext.build(CloudSettings(data_dir=Path(folder)))
        try:
            started = time.perf_counter()
            with transaction(context.sessions) as session:
                report = import_folder(session, args.articles, ImportOptions())
            imported = time.perf_counter() - started
            print(f"import: {report.created} articles, {len(report.failed)} skipped, {imported:.1f} s")
            with transaction(context.sessions) as session:
                started = time.perf_counter()
                searcher.rebuild(context, session)
                print(f"index build: {time.perf_counter() - started:.2f} s")
                started = time.perf_counter()
                recommend(context, session, "mailbox is full and cannot receive mail")
                print(f"first search: {time.perf_counter() - started:.2f} s")
                baseline = baseline_ranker(session)
                plain = evaluate(lambda text: [hit.id for hit in baseline.search(text, top=10)], queries)
                print(f"baseline bm25(title+description) {plain.line()}")
                ours = evaluate(
                    lambda text: [s.id for s in recommend(context, session, text, top=10)], queries
                )
            print(ours.line())
        finally:
            context.close()


if __name__ == "__main__":
    main()
