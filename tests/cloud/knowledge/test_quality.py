from pathlib import Path

import pytest
from bench.retrieval_eval import baseline_ranker, evaluate, load_queries

from m365bridge.cloud.knowledge.importer import ImportOptions, import_folder
from m365bridge.cloud.knowledge.service import recommend
from m365bridge.shared.db import transaction
from tests.conftest import DATASETS

OFFICEDOCS = DATASETS / "officedocs-support" / "articles"
DEVSET = Path(__file__).resolve().parents[3] / "bench" / "devset.jsonl"


@pytest.mark.slow
def test_devset_quality_beats_plain_bm25_baseline(cloud_context):
    if not OFFICEDOCS.is_dir():
        pytest.skip(f"dataset absent: {OFFICEDOCS}")
    queries = load_queries(DEVSET)
    assert len(queries) >= 120
    with transaction(cloud_context.sessions) as session:
        import_folder(session, OFFICEDOCS, ImportOptions())
    with transaction(cloud_context.sessions) as session:
        baseline = baseline_ranker(session)
        plain = evaluate(lambda text: [h.id for h in baseline.search(text, top=10)], queries)
        ours = evaluate(lambda text: [s.id for s in recommend(cloud_context, session, text)], queries)
    assert ours.recall_at_5 > plain.recall_at_5
    assert ours.mrr_at_10 > plain.mrr_at_10 + 0.03


def test_every_devset_query_points_at_an_existing_article():
    if not OFFICEDOCS.is_dir():
        pytest.skip(f"dataset absent: {OFFICEDOCS}")
    for query in load_queries(DEVSET):
        for article_id in query.relevant:
            assert (OFFICEDOCS / f"{article_id}.md").is_file(), article_id
