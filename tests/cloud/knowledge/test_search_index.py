"""The file search index: BM25F exactly as the in-memory Ranker scores it, written once and shared, and
correct for articles written or deleted after it was built (found by their new words, never returned once
gone, and only ever to whom may see them)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import delete, update
from typer.testing import CliRunner

from m365bridge.cli import app
from m365bridge.cloud.context import CloudContext
from m365bridge.cloud.knowledge import index as kbindex
from m365bridge.cloud.knowledge import searcher
from m365bridge.cloud.knowledge.importer import ImportOptions, import_folder
from m365bridge.cloud.knowledge.models import Article
from m365bridge.cloud.knowledge.repository import ArticleRepository
from m365bridge.cloud.knowledge.service import recommend
from m365bridge.shared.db import transaction
from m365bridge.shared.orm import utcnow
from m365bridge.shared.ranking import BM25FParameters, Ranker, query_terms

OPTIONS = ImportOptions(prefix="kb/", articles_url=None, site_url=None, attribution=None)
TENANT_A = "11111111-1111-1111-1111-111111111111"
TENANT_B = "22222222-2222-2222-2222-222222222222"


def write(root: Path, name: str, title: str, description: str, body: str = "Some steps.") -> None:
    root.mkdir(parents=True, exist_ok=True)
    (root / f"{name}.md").write_text(f"---\ntitle: {title}\ndescription: {description}\n---\n{body}\n")


def import_(context: CloudContext, root: Path, options: ImportOptions = OPTIONS) -> None:
    with transaction(context.sessions, write=True) as session:
        import_folder(session, root, options)


def search(context: CloudContext, text: str, tenant_id: str | None = None) -> list[str]:
    with transaction(context.sessions) as session:
        return [hit.id for hit in recommend(context, session, text, tenant_id=tenant_id)]


def rebuild(context: CloudContext) -> str:
    with transaction(context.sessions) as session:
        return searcher.rebuild(context, session)


def some_articles(root: Path) -> None:
    write(
        root, "outbox", "Mail is stuck in the Outbox", "Messages are not sent.", "Restart Outlook.\n\nCheck."
    )
    write(root, "mfa", "Set up MFA on a new phone", "Move the authenticator app.", "Open the app settings.")
    write(root, "teams", "Teams meeting audio is choppy", "Calls drop in Teams meetings.", "Update drivers.")
    write(
        root, "quota", "Mailbox is full", "The mailbox quota is reached; mail bounces.", "Archive old mail."
    )


@pytest.mark.parametrize("entries_per_pass", [kbindex.ENTRIES_PER_PASS, 7])
def test_index_scores_are_the_in_memory_rankers_bm25f(cloud_context, tmp_path, monkeypatch, entries_per_pass):
    # A small pass size writes the postings in many term ranges, as a large KB's build does.
    monkeypatch.setattr(kbindex, "ENTRIES_PER_PASS", entries_per_pass)
    some_articles(tmp_path / "kb")
    import_(cloud_context, tmp_path / "kb")
    rebuild(cloud_context)
    with transaction(cloud_context.sessions) as session:
        rows = list(ArticleRepository(session).iter_for_index())
        index, _ = searcher.current(cloud_context, session)
    ranker = Ranker(
        [(row.id, kbindex.article_fields(row)) for row in rows], parameters=BM25FParameters(synonyms={})
    )
    for query in ["mail outbox not sent", "teams meeting audio", "mailbox full quota mail"]:
        terms = query_terms(query, synonyms={})
        expected = {rows[position].id: score for position, score in ranker.scores(query).items()}
        scores = index.lexical(terms, depth=10_000)
        found = {index.article_id(int(doc)): float(scores[doc]) for doc in np.flatnonzero(scores)}
        assert found.keys() == expected.keys()
        for article_id, score in expected.items():
            assert abs(found[article_id] - score) < 1e-4 * max(score, 1.0)


def test_the_index_is_written_once_and_opened_by_another_process(cloud_context, cloud_settings, tmp_path):
    some_articles(tmp_path / "kb")
    import_(cloud_context, tmp_path / "kb")
    generation = rebuild(cloud_context)
    root = Path(cloud_settings.data_dir) / kbindex.FOLDER
    assert kbindex.current_generation(root) == generation
    fresh = CloudContext.build(cloud_settings)
    try:
        assert search(fresh, "mail stuck in outbox")[0] == "kb/outbox"
        # It searched the generation on disk: nothing was rebuilt.
        assert kbindex.current_generation(root) == generation
        assert [path.name for path in root.glob("gen-*")] == [generation]
    finally:
        fresh.close()


def test_a_kb_never_indexed_is_indexed_at_its_first_search(cloud_context, cloud_settings, tmp_path):
    some_articles(tmp_path / "kb")
    import_(cloud_context, tmp_path / "kb")
    root = Path(cloud_settings.data_dir) / kbindex.FOLDER
    assert kbindex.current_generation(root) is None
    assert search(cloud_context, "authenticator app new phone")[0] == "kb/mfa"
    assert kbindex.current_generation(root) is not None


def test_a_changed_article_is_found_by_its_new_words_not_its_old(cloud_context, tmp_path):
    some_articles(tmp_path / "kb")
    import_(cloud_context, tmp_path / "kb")
    rebuild(cloud_context)
    assert search(cloud_context, "choppy audio")[0] == "kb/teams"
    write(tmp_path / "kb", "teams", "Teams shows a blank white window", "The Teams client opens blank.")
    import_(cloud_context, tmp_path / "kb")
    assert "kb/teams" not in search(cloud_context, "choppy audio")
    assert search(cloud_context, "blank white window")[0] == "kb/teams"
    # A rebuild folds the change into the index: same answers.
    rebuild(cloud_context)
    assert "kb/teams" not in search(cloud_context, "choppy audio")
    assert search(cloud_context, "blank white window")[0] == "kb/teams"


def test_a_new_article_is_found_before_the_next_build(cloud_context, tmp_path):
    some_articles(tmp_path / "kb")
    import_(cloud_context, tmp_path / "kb")
    rebuild(cloud_context)
    write(tmp_path / "kb", "printer", "Printer queue stalls", "Print jobs wait forever in the spooler.")
    import_(cloud_context, tmp_path / "kb")
    assert search(cloud_context, "print spooler jobs wait")[0] == "kb/printer"


def test_a_deleted_article_is_never_returned(cloud_context, tmp_path):
    some_articles(tmp_path / "kb")
    import_(cloud_context, tmp_path / "kb")
    rebuild(cloud_context)
    assert "kb/quota" in search(cloud_context, "mailbox full quota")
    with transaction(cloud_context.sessions, write=True) as session:
        session.execute(delete(Article).where(Article.id == "kb/quota"))
    assert "kb/quota" not in search(cloud_context, "mailbox full quota")


def test_private_articles_only_reach_their_tenant_from_the_index_and_after_a_change(cloud_context, tmp_path):
    some_articles(tmp_path / "kb")
    import_(cloud_context, tmp_path / "kb")
    write(tmp_path / "a", "vpn", "Contoso VPN drops hourly", "The Contoso VPN client disconnects.")
    import_(cloud_context, tmp_path / "a", ImportOptions(prefix="a/", tenant_id=TENANT_A, public=False))
    rebuild(cloud_context)
    assert search(cloud_context, "contoso vpn drops", TENANT_A)[0] == "a/vpn"
    assert "a/vpn" not in search(cloud_context, "contoso vpn drops", TENANT_B)
    assert "a/vpn" not in search(cloud_context, "contoso vpn drops")
    # Written after the build (the delta path): the same rules.
    write(tmp_path / "a", "vpn", "Contoso VPN drops daily", "The Contoso VPN client disconnects at noon.")
    import_(cloud_context, tmp_path / "a", ImportOptions(prefix="a/", tenant_id=TENANT_A, public=False))
    assert search(cloud_context, "contoso vpn noon", TENANT_A)[0] == "a/vpn"
    assert "a/vpn" not in search(cloud_context, "contoso vpn noon", TENANT_B)
    assert "a/vpn" not in search(cloud_context, "contoso vpn noon")


def test_an_article_made_private_after_the_build_leaves_public_results(cloud_context, tmp_path):
    some_articles(tmp_path / "kb")
    import_(cloud_context, tmp_path / "kb")
    rebuild(cloud_context)
    with transaction(cloud_context.sessions, write=True) as session:
        session.execute(
            update(Article)
            .where(Article.id == "kb/mfa")
            .values(public=False, tenant_id=TENANT_A, updated_at=utcnow())
        )
    assert "kb/mfa" not in search(cloud_context, "authenticator app new phone")
    assert "kb/mfa" not in search(cloud_context, "authenticator app new phone", TENANT_B)
    assert search(cloud_context, "authenticator app new phone", TENANT_A)[0] == "kb/mfa"


def test_a_rebuild_by_another_process_is_picked_up(cloud_context, cloud_settings, tmp_path, monkeypatch):
    monkeypatch.setattr(searcher, "RECHECK_SECONDS", 0.0)
    some_articles(tmp_path / "kb")
    import_(cloud_context, tmp_path / "kb")
    first = rebuild(cloud_context)
    search(cloud_context, "mail")
    other = CloudContext.build(cloud_settings)
    try:
        second = rebuild(other)
    finally:
        other.close()
    assert second != first
    with transaction(cloud_context.sessions) as session:
        index, _ = searcher.current(cloud_context, session)
    assert index.generation == second


def test_an_empty_kb_finds_nothing(cloud_context):
    assert search(cloud_context, "mailbox full") == []


def test_the_import_command_writes_the_index_and_reindex_replaces_it(tmp_path):
    some_articles(tmp_path / "kb")
    data_dir = tmp_path / "cloud"
    runner = CliRunner()
    imported = runner.invoke(
        app, ["cloud", "kb", "import", str(tmp_path / "kb"), "--data-dir", str(data_dir)]
    )
    assert imported.exit_code == 0, imported.output
    root = data_dir / kbindex.FOLDER
    first = kbindex.current_generation(root)
    assert first is not None
    assert len(kbindex.SearchIndex(root, first)) == 4
    reindexed = runner.invoke(app, ["cloud", "kb", "reindex", "--data-dir", str(data_dir)])
    assert reindexed.exit_code == 0, reindexed.output
    second = kbindex.current_generation(root)
    assert second not in (None, first)
    assert f"search index {second} written" in reindexed.output
    assert [path.name for path in root.glob("gen-*")] == [second]
