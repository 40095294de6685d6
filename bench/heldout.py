"""A held-out query set nobody can tune to, generated at bench time from the shared articles.

Every article with a Symptoms (or Symptom, or Summary of symptoms) section gives one query: the first one
or two sentences of that section, as a user would describe the problem. The article is indexed without
that section, so the query's words are not copied into the index. Queries are split BY ARTICLE into a
tuning fold and a test fold by a hash of the article id, so the split never moves between runs and no
article is in both. Only the test fold is reported; the tuning fold is for choosing weights.

Nothing derived from the dataset is written into the repository: the stripped copy of the articles lives
in a temporary folder for the run.
"""

from __future__ import annotations

import hashlib
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from m365bridge.cloud.knowledge.importer import article_files
from m365bridge.cloud.knowledge.markdown import split_front_matter, to_text

SYMPTOM_HEADING = re.compile(r"^(#{1,6})[ \t]+(?:symptoms?|summary of symptoms)[ \t]*:?[ \t]*$", re.I | re.M)
ANY_HEADING = re.compile(r"^(#{1,6})[ \t]+\S", re.M)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'(])")
MIN_QUERY_CHARS = 25
MAX_QUERY_CHARS = 400
FOLDS = ("tune", "test")


@dataclass(frozen=True)
class HeldoutQuery:
    text: str
    article_id: str
    area: str  # product area: the article's top folder (Exchange, Outlook, Teams, ...)
    fold: str


def fold_of(article_id: str) -> str:
    """Tune or test, fixed by the id's digest: the same article is always on the same side."""
    return FOLDS[hashlib.sha256(article_id.encode()).digest()[0] % 2]


def symptom_section(markdown: str) -> tuple[int, int] | None:
    """Where the first symptoms section starts and ends (its heading up to the next heading of the same
    or a higher level), or None."""
    match = SYMPTOM_HEADING.search(markdown)
    if match is None:
        return None
    level = len(match.group(1))
    for following in ANY_HEADING.finditer(markdown, match.end()):
        if len(following.group(1)) <= level:
            return match.start(), following.start()
    return match.start(), len(markdown)


def first_sentences(text: str, count: int = 2) -> str:
    """The first ``count`` sentences of the section's plain text (a single long sentence is cut)."""
    paragraphs = [" ".join(p.split()) for p in text.split("\n\n") if p.strip()]
    flat = " ".join(paragraphs)
    sentences = _SENTENCE_END.split(flat)
    query = " ".join(sentences[:count]).strip()
    if len(query) > MAX_QUERY_CHARS:
        cut = query.rfind(" ", 0, MAX_QUERY_CHARS)
        query = query[: cut if cut > 0 else MAX_QUERY_CHARS]
    return query


def build(articles: Path, folder: Path) -> list[HeldoutQuery]:
    """Copy ``articles`` to ``folder`` with every symptoms section removed; the queries they give."""
    if folder.exists():
        shutil.rmtree(folder)
    shutil.copytree(articles, folder)
    queries: list[HeldoutQuery] = []
    for path in article_files(folder):
        source = path.read_text(encoding="utf-8")
        _meta, markdown = split_front_matter(source)
        span = symptom_section(markdown)
        if span is None:
            continue
        start, end = span
        section = markdown[start:end]
        body = section.split("\n", 1)[1] if "\n" in section else ""
        query = first_sentences(to_text(body))
        offset = len(source) - len(markdown)
        path.write_text(source[: offset + start] + source[offset + end :], encoding="utf-8")
        if len(query) < MIN_QUERY_CHARS:
            continue  # a section that is only a picture, a table or an include says nothing usable
        article_id = path.relative_to(folder).with_suffix("").as_posix()
        queries.append(HeldoutQuery(query, article_id, article_id.split("/", 1)[0], fold_of(article_id)))
    return queries
