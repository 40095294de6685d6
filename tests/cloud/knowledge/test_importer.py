import time
from pathlib import Path

import pytest

from m365bridge.cloud.knowledge.importer import STARTER_FOLDER, STARTER_OPTIONS, ImportOptions, import_folder
from m365bridge.cloud.knowledge.repository import ArticleRepository
from m365bridge.shared.db import transaction
from tests.conftest import DATASETS

OFFICEDOCS = DATASETS / "officedocs-support" / "articles"

ARTICLE = """---
title: Mail is stuck
description: Messages stay in the Outbox.
ms.custom:
  - sap:Mail flow
  - CSSTroubleshoot
appliesto:
  - Exchange Online
---
# Messages are stuck in the Outbox

:::image type="content" source="media/outbox.png" alt-text="Screenshot of
the outbox.":::

[!INCLUDE [Disclaimer](../includes/note.md)]
[!INCLUDE [Missing](../includes/missing.md)]

See [the other article](other.md#fix) or [the mail flow docs](/exchange/mail-flow) or ![pic](media/a.png).
"""


def write(root: Path, relative: str, text: str) -> Path:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    root = tmp_path / "articles"
    write(root, "Exchange/stuck.md", ARTICLE)
    write(root, "Exchange/other.md", "---\ntitle: Other\n---\nBody of the other article.\n")
    write(root, "includes/note.md", "---\nms.topic: include\n---\nIncluded disclaimer text.\n")
    return root


def run_import(cloud_context, root, options=None):
    with transaction(cloud_context.sessions) as session:
        return import_folder(session, root, options or ImportOptions())


def stored(cloud_context, article_id):
    with transaction(cloud_context.sessions) as session:
        return ArticleRepository(session).get(article_id)


def test_front_matter_gives_title_description_services_and_attribution(cloud_context, corpus):
    report = run_import(cloud_context, corpus)
    assert (report.created, report.failed) == (2, [])
    article = stored(cloud_context, "Exchange/stuck")
    assert (article.title, article.description) == ("Mail is stuck", "Messages stay in the Outbox.")
    assert article.services == ["Exchange Online"]
    assert article.source_url == "https://learn.microsoft.com/troubleshoot/exchange/stuck"
    assert "CC BY 4.0" in article.attribution and article.public


def test_image_blocks_are_removed_and_includes_resolved_or_dropped(cloud_context, corpus):
    run_import(cloud_context, corpus)
    article = stored(cloud_context, "Exchange/stuck")
    assert ":::" not in article.body and "Screenshot" not in article.body
    assert "Included disclaimer text." in article.body_text
    assert "INCLUDE" not in article.body and "ms.topic" not in article.body
    assert "Messages are stuck in the Outbox" in article.headings


def test_relative_links_become_absolute(cloud_context, corpus):
    run_import(cloud_context, corpus)
    body = stored(cloud_context, "Exchange/stuck").body
    assert "(https://learn.microsoft.com/troubleshoot/exchange/other#fix)" in body
    assert "(https://learn.microsoft.com/exchange/mail-flow)" in body
    assert "media/a.png" not in body


def test_bad_file_is_skipped_with_reason_and_batch_continues(cloud_context, corpus):
    write(corpus, "Exchange/broken.md", "---\ntitle: [unclosed\n---\nBody\n")
    write(corpus, "Exchange/binary.md", "")
    (corpus / "Exchange/binary.md").write_bytes(b"\xff\xfe\x00bad")
    report = run_import(cloud_context, corpus)
    assert report.created == 2
    reasons = dict(report.failed)
    assert "YAML" in reasons["Exchange/broken.md"]
    assert "Exchange/binary.md" in reasons


def test_reimport_is_idempotent_and_counts_changes(cloud_context, corpus):
    run_import(cloud_context, corpus)
    unchanged = run_import(cloud_context, corpus)
    assert (unchanged.created, unchanged.updated, unchanged.unchanged) == (0, 0, 2)
    write(corpus, "Exchange/other.md", "---\ntitle: Other, revised\n---\nNew body.\n")
    changed = run_import(cloud_context, corpus)
    assert (changed.created, changed.updated, changed.unchanged) == (0, 1, 1)
    assert stored(cloud_context, "Exchange/other").title == "Other, revised"


def test_starter_kb_imports_cleanly(cloud_context):
    report = run_import(cloud_context, STARTER_FOLDER, STARTER_OPTIONS)
    assert report.created >= 40 and report.failed == []
    assert stored(cloud_context, "starter/signin/mfa-new-phone").source_url is None


@pytest.mark.slow
def test_full_officedocs_corpus_imports_without_failures(cloud_context):
    if not OFFICEDOCS.is_dir():
        pytest.skip(f"dataset absent: {OFFICEDOCS}")
    started = time.perf_counter()
    report = run_import(cloud_context, OFFICEDOCS)
    elapsed = time.perf_counter() - started
    expected = sum(1 for p in OFFICEDOCS.rglob("*.md") if "includes" not in p.relative_to(OFFICEDOCS).parts)
    assert (report.created, report.failed) == (expected, [])
    assert elapsed < 120, f"full import took {elapsed:.0f} s"
