"""The knowledge base's search index: BM25F postings in impact order, written once into files and
memory-mapped by every cloud process.

Building it (after an import; ``build``) tokenises every article with the in-memory ``Ranker``'s tokenizer
and stores, for each term, every article's BM25F contribution (idf times the saturated, length-normalised,
field-weighted term frequency: exactly what ``Ranker`` adds up) sorted best first. A search reads only the
head of each of its terms' lists (``SearchIndex.lexical``), so its cost is bounded by the query, not by the
KB's size. The article vectors are stored beside the postings, one row per document, for the cosine.

Files are written into a new generation folder, then the ``current`` pointer file is replaced atomically;
a reader re-opens when the pointer changes (checked at most once a second). Nothing is rebuilt at start-up
and the operating system's page cache is shared by every process that maps the same files. No pickle: numpy
``.npy`` arrays (loaded with ``allow_pickle=False``) and one JSON file.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import math
import os
import re
import shutil
import time
import uuid
from array import array
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from m365bridge.cloud.knowledge import semantic
from m365bridge.shared.ranking import DEFAULT_WEIGHTS, split_passages, tokenize

FOLDER = "kb-index"
POINTER = "current"
FIELDS = tuple(DEFAULT_WEIGHTS)  # title, description, headings, body, keywords
K1 = 1.2
B = 0.75
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
PUBLIC = -1  # owner code of an article without a tenant
# An article written this long before a build started is taken as seen by it; a younger one is compared
# with the index's own copy of its timestamp (a write still in flight while the build read the KB).
WRITE_MARGIN = dt.timedelta(minutes=1)
# Entries (field, term, article) sorted together in one pass of the build: bounds its working memory.
ENTRIES_PER_PASS = 4_000_000
_ARRAYS = ("terms", "term_offsets", "post_doc", "post_score", "ids", "stamps", "public", "owner", "vectors")


def _id_words(article_id: str) -> str:
    return re.sub(r"[/_-]+", " ", article_id)


def article_fields(row: Any) -> dict[str, str]:
    """The searchable fields of an article row (the names ``DEFAULT_WEIGHTS`` weights)."""
    return {
        "title": row.title,
        "description": row.description,
        "headings": row.headings,
        "body": row.body_text,
        "keywords": " ".join([_id_words(row.id), *row.services]),
    }


def field_counts(fields: Mapping[str, str]) -> dict[str, Counter[str]]:
    """Each field's term counts, tokenised as ``Ranker`` does (the body passage by passage)."""
    counts: dict[str, Counter[str]] = {}
    for name in FIELDS:
        if name == "body":
            counts[name] = Counter()
            for passage in split_passages(fields.get(name, "")):
                counts[name].update(tokenize(passage))
        else:
            counts[name] = Counter(tokenize(fields.get(name, "")))
    return counts


def stamp(moment: dt.datetime) -> int:
    """A timestamp as whole microseconds since the epoch (UTC), as the index stores it."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return (moment - _EPOCH) // dt.timedelta(microseconds=1)  # integer arithmetic: exact, unlike a float


def moment(microseconds: int) -> dt.datetime:
    """The inverse of ``stamp``."""
    return _EPOCH + dt.timedelta(microseconds=microseconds)


@dataclass(frozen=True)
class Statistics:
    """What a document's contributions depend on besides its own counts."""

    documents: int
    averages: dict[str, float]

    def idf(self, df: int) -> float:
        return math.log(1.0 + (self.documents - df + 0.5) / (df + 0.5))

    def pseudo(self, counts: Mapping[str, Counter[str]], term: str) -> float:
        total = 0.0
        for name, terms in counts.items():
            tf = terms.get(term, 0)
            if tf:
                norm = 1.0 - B + B * sum(terms.values()) / self.averages[name]
                total += DEFAULT_WEIGHTS[name] * tf / norm
        return total


def build(rows: Iterable[Any], root: Path, *, started: dt.datetime) -> str:
    """Write a new generation from ``rows`` (``ArticleRepository.iter_for_index``) and make it current;
    returns its name. ``started``: when the rows began to be read."""
    vocabulary: dict[str, int] = {}
    # One entry per (field, term, article): the term, the article's number in reading order, the count.
    entries = {name: (array("i"), array("i"), array("H")) for name in FIELDS}
    lengths: dict[str, array[float]] = {name: array("f") for name in FIELDS}
    ids: list[bytes] = []
    stamps, public, owners, blobs = array("q"), array("b"), array("i"), []
    tenants: dict[str, int] = {}
    postings = 0  # distinct (term, article) pairs: the length of the postings arrays
    missing = semantic.to_blob(np.zeros(semantic.DIMENSIONS))
    for doc, row in enumerate(rows):
        ids.append(row.id.encode())
        stamps.append(stamp(row.updated_at))
        public.append(bool(row.public))
        owners.append(PUBLIC if row.tenant_id is None else tenants.setdefault(row.tenant_id, len(tenants)))
        blobs.append(row.vector or missing)
        counts = field_counts(article_fields(row))
        postings += len(set().union(*counts.values()))
        for name, term_counts in counts.items():
            lengths[name].append(sum(term_counts.values()))
            term_ids, docs, tfs = entries[name]
            for term, tf in term_counts.items():
                term_ids.append(vocabulary.setdefault(term, len(vocabulary)))
                docs.append(doc)
                tfs.append(min(tf, 65535))
    count = len(ids)
    statistics = Statistics(count, {name: (sum(lengths[name]) / max(count, 1)) or 1.0 for name in FIELDS})
    terms = sorted(vocabulary)
    renumber = np.empty(len(terms), dtype=np.int32)
    renumber[[vocabulary[term] for term in terms]] = np.arange(len(terms), dtype=np.int32)
    # Documents are numbered in article id order (bytes), so an id is found by binary search.
    id_array = np.array(ids, dtype=bytes)
    by_id = np.argsort(id_array, kind="stable")
    numbered = np.empty(count, dtype=np.int32)
    numbered[by_id] = np.arange(count, dtype=np.int32)
    fields = []
    for name in FIELDS:
        term_ids, docs, tfs = entries.pop(name)
        norm = 1.0 - B + B * np.frombuffer(lengths[name], dtype=np.float32) / statistics.averages[name]
        weighted = DEFAULT_WEIGHTS[name] / norm  # per article, times a count gives its pseudo-frequency
        fields.append(
            (
                renumber[np.frombuffer(term_ids, dtype=np.int32)],
                np.frombuffer(docs, dtype=np.int32),
                np.frombuffer(tfs, dtype=np.uint16),
                weighted,
            )
        )
    folder = _new_generation(root)
    df = _write_postings(folder, fields, len(terms), count, postings, numbered)
    vectors = np.frombuffer(b"".join(blobs), dtype=np.float16).reshape(count, semantic.DIMENSIONS)
    arrays = {
        "terms": np.array([term.encode() for term in terms], dtype=bytes),
        "term_offsets": np.concatenate([[0], np.cumsum(df)]).astype(np.int64),
        "ids": id_array[by_id],
        "stamps": np.frombuffer(stamps, dtype=np.int64)[by_id],
        "public": np.frombuffer(public, dtype=np.int8).astype(bool)[by_id],
        "owner": np.frombuffer(owners, dtype=np.int32)[by_id],
        "vectors": vectors[by_id],
    }
    meta = {
        "documents": count,
        "averages": statistics.averages,
        "tenants": sorted(tenants, key=tenants.__getitem__),
        "started": stamp(started),
    }
    return _publish(root, folder, arrays, meta)


def _write_postings(
    folder: Path,
    fields: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]],
    vocabulary: int,
    count: int,
    postings: int,
    numbered: np.ndarray,
) -> np.ndarray:
    """Write ``post_doc.npy`` and ``post_score.npy`` a range of terms at a time (so the build's memory is
    its entries plus one range's work, not a sort of every posting at once); each term's document count."""
    per_term = sum(np.bincount(term_ids, minlength=vocabulary) for term_ids, _, _, _ in fields)
    df = np.zeros(vocabulary, dtype=np.int64)
    running = np.cumsum(per_term)
    passes = int(running[-1]) // ENTRIES_PER_PASS + 1 if vocabulary else 1
    cuts = np.searchsorted(running, np.arange(1, passes) * ENTRIES_PER_PASS) + 1
    bounds = sorted({0, vocabulary, *(int(cut) for cut in cuts if cut < vocabulary)})
    with (
        _npy(folder / "post_doc.npy", np.int32, postings) as doc_file,
        _npy(folder / "post_score.npy", np.float32, postings) as score_file,
    ):
        for low, high in itertools.pairwise(bounds):
            keys, pseudos = [], []
            for term_ids, docs, tfs, weighted in fields:
                chosen = (term_ids >= low) & (term_ids < high)
                chosen_docs = docs[chosen]
                keys.append((term_ids[chosen] - low).astype(np.int64) * max(count, 1) + chosen_docs)
                pseudos.append(tfs[chosen] * weighted[chosen_docs].astype(np.float64))
            key = np.concatenate(keys)
            order = np.argsort(key, kind="stable")
            key, pseudo = key[order], np.concatenate(pseudos)[order]
            if not len(key):
                continue
            starts = np.flatnonzero(np.diff(key, prepend=-1))
            key, pseudo = key[starts], np.add.reduceat(pseudo, starts)
            term_of, doc_of = key // max(count, 1), numbered[key % max(count, 1)]
            df[low:high] = np.bincount(term_of, minlength=high - low)
            idf = np.log(1.0 + (count - df[low:high] + 0.5) / (df[low:high] + 0.5))
            score = idf[term_of] * pseudo / (K1 + pseudo)
            impact = np.lexsort((doc_of, -score, term_of))
            doc_file.write(doc_of[impact].astype(np.int32).tobytes())
            score_file.write(score[impact].astype(np.float32).tobytes())
    return df


def _new_generation(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    folder = root / f"gen-{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}"
    folder.mkdir()
    return folder


@contextmanager
def _npy(path: Path, dtype: type[np.generic], length: int) -> Iterator[BinaryIO]:
    """A ``.npy`` file of ``length`` values of ``dtype`` whose data the caller writes, in order."""
    with path.open("wb") as file:
        header = {"descr": np.lib.format.dtype_to_descr(np.dtype(dtype)), "fortran_order": False}
        np.lib.format.write_array_header_1_0(file, {**header, "shape": (length,)})
        yield file


def _publish(root: Path, folder: Path, arrays: Mapping[str, np.ndarray], meta: Mapping[str, Any]) -> str:
    for key, values in arrays.items():
        np.save(folder / f"{key}.npy", values, allow_pickle=False)
    (folder / "meta.json").write_text(json.dumps(meta))
    pointer = root / f"{POINTER}.{folder.name}.tmp"
    pointer.write_text(folder.name)
    os.replace(pointer, root / POINTER)
    # Older generations go: a process still mapping one keeps reading it until it re-opens (POSIX).
    for old in root.glob("gen-*"):
        if old.name != folder.name:
            shutil.rmtree(old, ignore_errors=True)
    return folder.name


def current_generation(root: Path) -> str | None:
    try:
        return (root / POINTER).read_text().strip() or None
    except FileNotFoundError:
        return None


class SearchIndex:
    """One generation, memory-mapped; immutable and safe to share between threads."""

    def __init__(self, root: Path, generation: str) -> None:
        folder = root / generation
        self.generation = generation
        meta = json.loads((folder / "meta.json").read_text())
        self.statistics = Statistics(int(meta["documents"]), dict(meta["averages"]))
        self.tenants: dict[str, int] = {tenant: code for code, tenant in enumerate(meta["tenants"])}
        self.started = int(meta["started"])
        loaded = {key: np.load(folder / f"{key}.npy", mmap_mode="r", allow_pickle=False) for key in _ARRAYS}
        self.terms, self.term_offsets = loaded["terms"], loaded["term_offsets"]
        self.post_doc, self.post_score = loaded["post_doc"], loaded["post_score"]
        self.ids, self.stamps, self.vectors = loaded["ids"], loaded["stamps"], loaded["vectors"]
        self.public, self.owner = loaded["public"], loaded["owner"]

    def __len__(self) -> int:
        return self.statistics.documents

    def df(self, term: str) -> int:
        position = self._term(term)
        return 0 if position is None else int(self.term_offsets[position + 1] - self.term_offsets[position])

    def _term(self, term: str) -> int | None:
        key = term.encode()
        position = int(np.searchsorted(self.terms, key))
        if position < len(self.terms) and self.terms[position] == key:
            return position
        return None

    def lexical(self, terms: Mapping[str, float], *, depth: int) -> np.ndarray:
        """Every document's BM25F score over the first ``depth`` postings of each of ``terms`` (weighted by
        the term's query weight), as one float array over the documents."""
        docs, weights = [], []
        for term, weight in terms.items():
            position = self._term(term)
            if position is None:
                continue
            start = int(self.term_offsets[position])
            stop = min(int(self.term_offsets[position + 1]), start + depth)
            docs.append(self.post_doc[start:stop])
            weights.append(weight * self.post_score[start:stop].astype(np.float64))
        if not docs:
            return np.zeros(len(self), dtype=np.float64)
        return np.bincount(np.concatenate(docs), np.concatenate(weights), minlength=len(self))

    def visible(self, docs: np.ndarray, tenant_id: str | None) -> np.ndarray:
        """Which of ``docs`` ``tenant_id`` may see (public ones, plus its own), as a bool per doc."""
        code = self.tenants.get(tenant_id, -2) if tenant_id is not None else -2
        return np.asarray(self.public[docs] | (self.owner[docs] == code))

    def positions(self, article_ids: Iterable[str]) -> np.ndarray:
        """The documents of those of ``article_ids`` the index holds."""
        keys = np.array([article_id.encode() for article_id in article_ids], dtype=bytes)
        if not len(keys) or not len(self.ids):
            return np.zeros(0, dtype=np.int64)
        found = np.minimum(np.searchsorted(self.ids, keys), len(self.ids) - 1)
        return found[self.ids[found] == keys]

    def article_id(self, doc: int) -> str:
        return bytes(self.ids[doc]).decode()
