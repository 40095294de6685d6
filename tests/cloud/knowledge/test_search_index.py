"""The knowledge base's full-text index: kept in step with every article write, shared by processes,
honouring tenant visibility, and safe against query syntax typed into the search box."""

from __future__ import annotations

from pathlib import Path

import pytest

from m365bridge.cloud.context import CloudContext
from m365bridge.cloud.knowledge.importer import ImportOptions, import_folder
from m365bridge.cloud.knowledge.models import Article
from m365bridge.cloud.knowledge.repository import ArticleRepository
from m365bridge.cloud.knowledge.service import recommend, searched_words
from m365bridge.shared.db import transaction

PUBLIC = ImportOptions(prefix="kb/", articles_url=None, site_url=None, attribution=None)


def write(root: Path, name: str, title: str, body: str) -> None:
    root.mkdir(parents=True, exist_ok=True)
    (root / f"{name}.md").write_text(f"---\ntitle: {title}\ndescription: {title}.\n---\n{body}\n")


def import_(context: CloudContext, root: Path, options: ImportOptions = PUBLIC) -> None:
    with transaction(context.sessions, write=True) as session:
        import_folder(session, root, options)


def found(context: CloudContext, text: str, tenant_id: str | None = None) -> list[str]:
    with transaction(context.sessions) as session:
        return [hit.id for hit in recommend(context, session, text, tenant_id=tenant_id)]


@pytest.fixture
def two_articles(cloud_context, tmp_path):
    write(tmp_path / "kb", "outbox", "Mail is stuck in the Outbox", "Restart Outlook in safe mode.")
    write(tmp_path / "kb", "mfa", "Set up MFA on a new phone", "Move the authenticator app.")
    import_(cloud_context, tmp_path / "kb")
    return cloud_context


def test_a_new_article_is_found_by_another_process_without_a_rebuild(two_articles, cloud_settings, tmp_path):
    other = CloudContext.build(cloud_settings)  # a second server process on the same database
    try:
        assert found(other, "authenticator phone")[:1] == ["kb/mfa"]
        write(tmp_path / "more", "teams", "Teams meeting recording is missing", "Check OneDrive quota.")
        import_(two_articles, tmp_path / "more")
        assert found(other, "teams recording missing")[:1] == ["kb/teams"]
    finally:
        other.close()


def test_a_changed_article_is_found_by_its_new_words_and_not_its_old_ones(two_articles, tmp_path):
    assert "kb/outbox" in found(two_articles, "safe mode restart")
    write(tmp_path / "kb", "outbox", "Mail is stuck in the Outbox", "Clear the offline cache folder.")
    import_(two_articles, tmp_path / "kb")
    assert "kb/outbox" in found(two_articles, "offline cache folder")
    assert found(two_articles, "safe mode restart") == []


def test_a_deleted_article_is_no_longer_found(two_articles):
    with transaction(two_articles.sessions, write=True) as session:
        article = session.get(Article, "kb/mfa")
        assert article is not None
        session.delete(article)
    assert found(two_articles, "authenticator phone") == []
    assert found(two_articles, "outbox")[:1] == ["kb/outbox"]


def test_a_tenants_private_article_is_found_only_by_that_tenant(two_articles, tmp_path):
    write(tmp_path / "private", "vpn", "Contoso VPN password reset", "Call the Contoso desk.")
    private = ImportOptions(prefix="contoso/", public=False, tenant_id="t-1", articles_url=None)
    import_(two_articles, tmp_path / "private", private)
    assert found(two_articles, "contoso vpn password", tenant_id="t-1")[:1] == ["contoso/vpn"]
    assert found(two_articles, "contoso vpn password", tenant_id="t-2") == []
    assert found(two_articles, "contoso vpn password") == []


HOSTILE = [
    '"',
    '"unbalanced quote',
    "outbox'",
    "NEAR(outbox mail, 2)",
    "outbox NEAR mail",
    "out*",
    "*",
    "-outbox",
    "NOT outbox",
    "outbox AND OR NOT",
    "title: outbox",
    "{title description}: outbox",
    "^outbox",
    "outbox + mail",
    "(outbox",
    "rank MATCH 'x'",
    "'; DROP TABLE kb_article; --",
    "\u00e9\u0301\u200b\u0000 outbox",
    "outbox & mail | !phone <-> :*",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_query_syntax_in_the_text_is_searched_as_words(two_articles, text):
    hits = found(two_articles, text)
    if "outbox" in text.lower():
        assert hits[:1] == ["kb/outbox"]


def test_hostile_and_huge_queries_never_fail_the_api(two_articles, cloud_client):
    for text in [*HOSTILE, "outbox " * 571, "x" * 4000]:
        response = cloud_client.post("/support/v1/solutions/search", json={"text": text[:4000]})
        assert response.status_code == 200, (text[:40], response.text)
    too_long = cloud_client.post("/support/v1/solutions/search", json={"text": "outbox " * 1500})
    assert too_long.status_code == 422


def test_a_ten_thousand_character_text_is_searched(two_articles):
    text = "phone authenticator " + "lorem ipsum dolor sit amet " * 400
    assert len(text) > 10_000
    assert found(two_articles, text)[:1] == ["kb/mfa"]


def test_common_words_are_left_out_rarest_first_within_the_budget(cloud_context, tmp_path):
    for number in range(5):
        write(
            tmp_path / "kb", f"printer{number}", f"Printer {number} offline", "Restart the spooler service."
        )
    write(tmp_path / "kb", "quota", "Mailbox quota exceeded", "Archive old mail from the spooler folder.")
    import_(cloud_context, tmp_path / "kb")  # the first import takes the term counts
    with transaction(cloud_context.sessions) as session:
        repository = ArticleRepository(session)
        words = ["spooler", "quota", "printer"]  # in 6, 1 and 5 articles
        if session.get_bind().dialect.name != "sqlite":  # PostgreSQL keeps no term counts: every word
            assert searched_words(repository, words, budget=0) == words
            return
        assert searched_words(repository, words, budget=0) == ["quota"]  # the rarest always
        assert searched_words(repository, words, budget=6) == ["quota", "printer"]
        assert searched_words(repository, words, budget=12) == ["quota", "printer", "spooler"]
        assert searched_words(repository, ["unheard", "spooler"], budget=0) == ["unheard"]
