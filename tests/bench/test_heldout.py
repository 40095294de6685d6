"""The held-out set: symptoms sections become queries and leave the indexed copy; folds split by article."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"


@pytest.fixture(scope="module")
def heldout():
    sys.path.insert(0, str(BENCH))
    try:
        import heldout

        yield heldout
    finally:
        sys.path.remove(str(BENCH))


ARTICLE = """---
title: Free/busy is missing
description: Fix free/busy.
---
# Free/busy is missing

## Summary of symptoms

Users can't see the [free/busy](https://example.com) information of **other users**. The grid is empty.
It happens in Outlook on the web only.

### Details in a sub-heading

Sub-heading text is part of the section too.

## Cause

A broken sharing policy.
"""


def test_the_section_becomes_the_query_and_leaves_the_indexed_copy(heldout, tmp_path):
    source = tmp_path / "in" / "Exchange" / "free-busy.md"
    source.parent.mkdir(parents=True)
    source.write_text(ARTICLE)
    (tmp_path / "in" / "Exchange" / "plain.md").write_text("---\ntitle: No symptoms here\n---\nText.\n")
    queries = heldout.build(tmp_path / "in", tmp_path / "out")
    assert [(q.article_id, q.area) for q in queries] == [("Exchange/free-busy", "Exchange")]
    assert queries[0].text == "Users can't see the free/busy information of other users. The grid is empty."
    copied = (tmp_path / "out" / "Exchange" / "free-busy.md").read_text()
    assert "Summary of symptoms" not in copied and "Sub-heading text" not in copied
    assert "## Cause" in copied and "title: Free/busy is missing" in copied
    assert source.read_text() == ARTICLE  # the dataset itself is never touched


def test_folds_are_fixed_by_article_and_both_are_used(heldout):
    ids = [f"Exchange/article-{number}" for number in range(200)]
    folds = [heldout.fold_of(article_id) for article_id in ids]
    assert folds == [heldout.fold_of(article_id) for article_id in ids]
    assert 60 < folds.count("test") < 140


def test_sections_without_usable_text_give_no_query(heldout, tmp_path):
    folder = tmp_path / "in" / "Teams"
    folder.mkdir(parents=True)
    picture_only = "---\ntitle: T\n---\n## Symptoms\n\n![x](media/x.png)\n\n## Cause\n\nC.\n"
    (folder / "picture.md").write_text(picture_only)
    assert heldout.build(tmp_path / "in", tmp_path / "out") == []
