"""A cloud process's view of the search index: the current generation, plus what changed since it was built.

The index files (index.py) are rebuilt after an import (``m365bridge cloud kb import``/``kb reindex``).
An article written since the build (an import through another path, a test, an edit) must be found by
its new words and not its old ones, and a deleted one never returned: ``Delta`` holds the articles written
after the build, read from the database and scored against the index's statistics, and the index's own
copies of those articles are masked out. Deleted articles are dropped from the candidates by a lookup of
which candidate ids still exist (service.py). A KB that was never indexed is indexed on its first search.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sqlalchemy.orm import Session

from m365bridge.cloud.context import CloudContext
from m365bridge.cloud.knowledge import index as kbindex
from m365bridge.cloud.knowledge import semantic
from m365bridge.cloud.knowledge.repository import ArticleRepository
from m365bridge.shared.orm import utcnow

log = logging.getLogger(__name__)
STATE_KEY = "knowledge.search_index"
# The pointer file is looked at no more often than this: a search between two looks uses the generation
# it has (a rebuild is seen within a second).
RECHECK_SECONDS = 1.0
_LOCK = threading.Lock()


@dataclass(frozen=True)
class Changed:
    """An article written since the build, as the database has it now."""

    id: str
    counts: dict[str, Counter[str]]
    public: bool
    tenant_id: str | None
    vector: np.ndarray


@dataclass(frozen=True)
class Delta:
    newest: dt.datetime | None  # the KB's newest write when this was read
    articles: tuple[Changed, ...]
    masked: np.ndarray  # the index's documents these articles replace


@dataclass
class State:
    index: kbindex.SearchIndex
    checked: float
    delta: Delta | None = None


def index_root(context: CloudContext) -> Path:
    return Path(context.settings.data_dir) / kbindex.FOLDER


def rebuild(context: CloudContext, session: Session) -> str:
    """Write a new index generation from the articles ``session`` sees, and make it current."""
    started = time.perf_counter()
    moment = utcnow()
    generation = kbindex.build(
        ArticleRepository(session).iter_for_index(), index_root(context), started=moment
    )
    log.info("knowledge index %s built in %.1f s", generation, time.perf_counter() - started)
    return generation


def current(context: CloudContext, session: Session) -> tuple[kbindex.SearchIndex, Delta]:
    """The index to search and the articles written since it was built."""
    state: State | None = context.extras.get(STATE_KEY)
    if state is None or time.monotonic() - state.checked > RECHECK_SECONDS:
        state = _reopen(context, session, state)
    delta = state.delta
    newest = ArticleRepository(session).newest_write()
    if delta is None or delta.newest != newest:
        delta = state.delta = _delta(session, state.index, newest)
    return state.index, delta


def _reopen(context: CloudContext, session: Session, state: State | None) -> State:
    root = index_root(context)
    with _LOCK:
        generation = kbindex.current_generation(root)
        if generation is None:
            log.info("the knowledge base has no search index yet: building it")
            generation = rebuild(context, session)
        if state is None or state.index.generation != generation:
            state = State(kbindex.SearchIndex(root, generation), time.monotonic())
        else:
            state.checked = time.monotonic()
        context.extras[STATE_KEY] = state
    return state


def _delta(session: Session, index: kbindex.SearchIndex, newest: dt.datetime | None) -> Delta:
    repository = ArticleRepository(session)
    since = kbindex.moment(index.started) - kbindex.WRITE_MARGIN
    written = repository.written_since(since)
    known = index.positions([article_id for article_id, _ in written])
    indexed = {index.article_id(int(doc)): int(index.stamps[doc]) for doc in known}
    changed = [article_id for article_id, at in written if indexed.get(article_id) != kbindex.stamp(at)]
    articles = []
    missing = np.zeros(semantic.DIMENSIONS, dtype=np.float32)
    for row in repository.iter_for_index(ids=changed):
        vector = semantic.from_blobs([row.vector])[0] if row.vector else missing
        counts = kbindex.field_counts(kbindex.article_fields(row))
        articles.append(Changed(row.id, counts, bool(row.public), row.tenant_id, vector))
    return Delta(newest, tuple(articles), index.positions(changed))


def delta_scores(
    index: kbindex.SearchIndex, delta: Delta, terms: dict[str, float], tenant_id: str | None
) -> list[tuple[str, float, np.ndarray]]:
    """The changed articles ``tenant_id`` may see that hold a query term: (id, BM25F score, vector), scored
    against the index's document count, term counts and field lengths as if they were in it."""
    found = []
    idf = {term: index.statistics.idf(index.df(term)) for term in terms}
    for article in delta.articles:
        if not (article.public or (tenant_id is not None and article.tenant_id == tenant_id)):
            continue
        score = 0.0
        for term, weight in terms.items():
            pseudo = index.statistics.pseudo(article.counts, term)
            score += weight * idf[term] * pseudo / (kbindex.K1 + pseudo)
        if score > 0:
            found.append((article.id, score, article.vector))
    return found
