"""Recommended-solutions quality on the held-out symptoms set (bench/heldout.py), test fold only.

    python bench/kb_heldout.py --articles /work/shared/datasets/officedocs-support/articles [--fold test]

Builds the held-out copy of the articles (symptoms sections removed) in a temporary folder, imports it
into a fresh knowledge base (which encodes the articles), then scores, in the same run and on the same
queries: plain BM25 over title and description, the in-memory BM25F the product used before (the
reference the file index reproduces), the file index alone (the product's lexical half, postings read to
the product's depth), the semantic ranker alone (every vector, brute force), and the product's search
(the fused one, the whole service call). Prints one table overall and by
product area, and a BENCH line comparing the product with BM25F alone and with the semantic ranker alone.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import heldout
import numpy as np
from harness import Result
from retrieval_eval import Metrics, Query, baseline_ranker, evaluate, fields_ranker

from m365bridge.cloud.context import CloudContext
from m365bridge.cloud.knowledge import searcher, semantic
from m365bridge.cloud.knowledge.importer import ImportOptions, import_folder
from m365bridge.cloud.knowledge.repository import ArticleRepository
from m365bridge.cloud.knowledge.service import MAX_QUERY_WORDS, POSTINGS_DEPTH, recommend
from m365bridge.cloud.settings import CloudSettings
from m365bridge.shared.db import transaction
from m365bridge.shared.ranking import query_terms

Search = Callable[[str], Sequence[str]]


def rankers(context: CloudContext) -> dict[str, Search]:
    """The five rankers, each a function from text to ranked ids, on the context's knowledge base."""
    with transaction(context.sessions) as session:
        plain = baseline_ranker(session)
        fields = fields_ranker(session)
        rows = [(row.id, row.vector) for row in ArticleRepository(session).iter_for_index()]
    ids = [article_id for article_id, _ in rows]
    missing = semantic.to_blob(np.zeros(semantic.DIMENSIONS))
    vectors = semantic.from_blobs([vector or missing for _, vector in rows])

    def semantic_only(text: str) -> list[str]:
        cosines = vectors @ semantic.encode([text])[0]
        return [ids[int(i)] for i in np.argsort(-cosines)[:10]]

    def lexical(text: str) -> list[str]:
        with transaction(context.sessions) as session:
            index, _ = searcher.current(context, session)
        terms = dict(list(query_terms(text, synonyms={}).items())[:MAX_QUERY_WORDS])
        scores = index.lexical(terms, depth=POSTINGS_DEPTH)
        docs = np.flatnonzero(scores)
        best = sorted(docs, key=lambda doc: (-scores[doc], index.article_id(int(doc))))[:10]
        return [index.article_id(int(doc)) for doc in best]

    def product(text: str) -> list[str]:
        with transaction(context.sessions) as session:
            return [s.id for s in recommend(context, session, text, top=10)]

    return {
        "BM25 title+description": lambda text: [hit.id for hit in plain.search(text, top=10)],
        "BM25F fields, in memory (before)": lambda text: [hit.id for hit in fields.search(text, top=10)],
        "file index (lexical half)": lexical,
        f"semantic only ({semantic.MODEL_NAME})": semantic_only,
        "product (fused)": product,
    }


def table(results: dict[str, dict[str, Metrics]], counts: dict[str, int]) -> str:
    areas = list(counts)
    lines = ["| ranker | " + " | ".join(f"{area} ({counts[area]})" for area in areas) + " |"]
    lines.append("|---|" + "---|" * len(areas))
    for name, by_area in results.items():
        cells = [f"{m.recall_at_5:.3f} / {m.mrr_at_10:.3f}" for m in (by_area[area] for area in areas)]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n(cells: recall@5 / MRR@10)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=Path, required=True, help="Folder of markdown articles.")
    parser.add_argument("--fold", choices=heldout.FOLDS, default="test", help="Which fold to score.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        queries = [q for q in heldout.build(args.articles, Path(folder) / "articles") if q.fold == args.fold]
        context = CloudContext.build(CloudSettings(data_dir=Path(folder) / "cloud"))
        try:
            started = time.perf_counter()
            with transaction(context.sessions, write=True) as session:
                import_folder(session, Path(folder) / "articles", ImportOptions())
            with transaction(context.sessions) as session:
                searcher.rebuild(context, session)
            print(f"import (with encoding) and index build: {time.perf_counter() - started:.1f} s")
            searches = rankers(context)
            groups: dict[str, list[Query]] = {"all": []}
            for q in queries:
                query = Query(q.text, frozenset([q.article_id]))
                groups["all"].append(query)
                groups.setdefault(q.area, []).append(query)
            results = {
                name: {area: evaluate(search, group) for area, group in groups.items()}
                for name, search in searches.items()
            }
        finally:
            context.close()
    print(f"held-out {args.fold} fold: {len(queries)} queries")
    print(table(results, {area: len(group) for area, group in groups.items()}))
    ours = results["product (fused)"]["all"]
    lexical = results["file index (lexical half)"]["all"]
    semantic_only = next(value for name, value in results.items() if name.startswith("semantic"))["all"]
    plain = results["BM25 title+description"]["all"]
    Result(
        what=f"KB quality, held-out {args.fold} fold",
        figure=f"mrr@10={ours.mrr_at_10:.3f} recall@5={ours.recall_at_5:.3f} p95={ours.p95_ms:.1f}ms",
        baseline=(
            f"lexical mrr@10={lexical.mrr_at_10:.3f}; semantic mrr@10={semantic_only.mrr_at_10:.3f}; "
            f"BM25 t+d mrr@10={plain.mrr_at_10:.3f}"
        ),
        ratio=round(ours.mrr_at_10 / lexical.mrr_at_10, 3) if lexical.mrr_at_10 else None,
        target="recall@5>=0.85, mrr@10>=0.75, above both halves",
        passed=ours.recall_at_5 >= 0.85
        and ours.mrr_at_10 >= 0.75
        and ours.mrr_at_10 > max(lexical.mrr_at_10, semantic_only.mrr_at_10),
    ).emit()
    print(ours.line())


if __name__ == "__main__":
    main()
