"""Protocol-neutral text ranking: BM25F over named fields, with Microsoft 365 vocabulary and passages.

Both sides use it: the cloud ranks knowledge-base articles for an incident's text, the connector ranks
service-health issues. Callers hand in documents as ``(id, {field: text})`` and get ranked ids back.

Scoring is BM25F: each field's term frequency is length-normalised on its own, weighted, summed into one
pseudo-frequency and then saturated once, so a word in a short title counts more than the same word deep
in a long body. Everything that does not depend on the query is computed when the index is built, so a
search only adds precomputed contributions for the query's terms.
"""

from __future__ import annotations

import heapq
import math
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from operator import itemgetter

import snowballstemmer

from m365bridge.shared.vocabulary import STOPWORDS, SYNONYMS

DEFAULT_WEIGHTS: Mapping[str, float] = {
    # Tuned on bench/devset.jsonl: the body is long and noisy, so it votes but does not dominate.
    "title": 3.0,
    "description": 2.0,
    "headings": 1.0,
    "body": 0.3,
    "keywords": 1.0,
}

_TOKEN = re.compile("[^\\W_]+(?:['\u2019][^\\W_]+)?", re.UNICODE)
_stemmer = snowballstemmer.stemmer("english")


@lru_cache(maxsize=200_000)
def _stem(word: str) -> str:
    return _stemmer.stemWord(word)


def _words(text: str) -> list[str]:
    text = unicodedata.normalize("NFKC", text).lower()
    words: list[str] = []
    for raw in _TOKEN.findall(text):
        word = raw.replace("\u2019", "'")
        if "'" in word:
            # "can't", "doesn't", "user's": keep the stem part and drop the clitic.
            word = word.split("'", 1)[0]
        words.append(word)
    return words


def tokenize(text: str) -> list[str]:
    """Lowercased, stemmed words of ``text`` without stopwords; the same function indexes and queries."""
    return [_stem(word) for word in _words(text) if word not in STOPWORDS]


def query_terms(
    text: str, *, synonyms: Mapping[str, str] = SYNONYMS, synonym_weight: float = 0.4
) -> dict[str, float]:
    """The query's terms with weights: typed words count 1, words their synonyms add count less."""
    terms: dict[str, float] = {}
    for word in _words(text):
        if word in STOPWORDS and word not in synonyms:
            continue
        if word not in STOPWORDS:
            stem = _stem(word)
            terms[stem] = terms.get(stem, 0.0) + 1.0
        for extra in tokenize(synonyms.get(word, "")):
            terms.setdefault(extra, 0.0)
            terms[extra] = max(terms[extra], synonym_weight)
    return terms


def query_words(text: str, *, limit: int = 64) -> list[str]:
    """The distinct words of ``text`` a full-text index should look for, in order, at most ``limit``:
    lowercased, stopwords dropped, not stemmed (the index stems them with its own stemmer). Each is
    letters and digits only, so it can never be read as query syntax."""
    words: dict[str, None] = {}
    for word in _words(text):
        if word not in STOPWORDS:
            words.setdefault(word)
            if len(words) >= limit:
                break
    return list(words)


@dataclass(frozen=True)
class Hit:
    id: str
    score: float
    passage: str


@dataclass(frozen=True)
class BM25FParameters:
    """Saturation ``k1``, length normalisation ``b``, per-field weights, and query expansion."""

    k1: float = 1.2
    b: float = 0.75
    weights: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    synonyms: Mapping[str, str] = field(default_factory=lambda: SYNONYMS)
    synonym_weight: float = 0.4


_PASSAGE_SPLIT = re.compile(r"\n\s*\n+")


def split_passages(text: str, *, max_chars: int = 400) -> list[str]:
    """Paragraph-sized pieces of ``text``; long paragraphs are cut at sentence ends near ``max_chars``."""
    passages: list[str] = []
    for paragraph in _PASSAGE_SPLIT.split(text):
        paragraph = " ".join(paragraph.split())
        while len(paragraph) > max_chars:
            cut = paragraph.rfind(". ", 0, max_chars)
            cut = cut + 1 if cut > max_chars // 3 else max_chars
            passages.append(paragraph[:cut].strip())
            paragraph = paragraph[cut:].strip()
        if paragraph:
            passages.append(paragraph)
    return passages


class Ranker:
    """An immutable BM25F index over documents; build it once, search it many times from any thread."""

    def __init__(
        self,
        documents: Iterable[tuple[str, Mapping[str, str]]],
        *,
        parameters: BM25FParameters | None = None,
        passage_field: str = "body",
    ) -> None:
        self.parameters = parameters or BM25FParameters()
        self.passage_field = passage_field
        self._ids: list[str] = []
        # Passages are tokenised once here; the passage field's counts are summed from them.
        self._passages: list[list[tuple[str, frozenset[str]]]] = []
        field_counts: list[dict[str, Counter[str]]] = []
        for doc_id, fields in documents:
            self._ids.append(doc_id)
            counts: dict[str, Counter[str]] = {}
            passages: list[tuple[str, frozenset[str]]] = []
            for name in self.parameters.weights:
                if name == passage_field:
                    counts[name] = Counter()
                    for text in split_passages(fields.get(name, "")):
                        tokens = tokenize(text)
                        counts[name].update(tokens)
                        passages.append((text, frozenset(tokens)))
                else:
                    counts[name] = Counter(tokenize(fields.get(name, "")))
            self._passages.append(passages)
            field_counts.append(counts)
        self._postings = self._build_postings(field_counts)

    def __len__(self) -> int:
        return len(self._ids)

    def _build_postings(self, field_counts: list[dict[str, Counter[str]]]) -> dict[str, dict[int, float]]:
        """For every term, each document's saturated BM25F weight times the term's idf."""
        k1, b, weights = self.parameters.k1, self.parameters.b, self.parameters.weights
        count = max(len(field_counts), 1)
        average = {
            name: (sum(sum(fields[name].values()) for fields in field_counts) / count) or 1.0
            for name in weights
        }
        pseudo: dict[str, dict[int, float]] = defaultdict(dict)
        for index, fields in enumerate(field_counts):
            for name, counts in fields.items():
                if not counts:
                    continue
                norm = 1.0 - b + b * sum(counts.values()) / average[name]
                for term, tf in counts.items():
                    docs = pseudo[term]
                    docs[index] = docs.get(index, 0.0) + weights[name] * tf / norm
        postings: dict[str, dict[int, float]] = {}
        for term, docs in pseudo.items():
            idf = math.log(1.0 + (count - len(docs) + 0.5) / (len(docs) + 0.5))
            postings[term] = {index: idf * tf / (k1 + tf) for index, tf in docs.items()}
        return postings

    def idf(self, term: str) -> float:
        docs = len(self._postings.get(term, ()))
        return math.log(1.0 + (len(self._ids) - docs + 0.5) / (docs + 0.5))

    def terms(self, query: str) -> dict[str, float]:
        parameters = self.parameters
        return query_terms(query, synonyms=parameters.synonyms, synonym_weight=parameters.synonym_weight)

    def scores(self, query: str) -> dict[int, float]:
        """Every matching document's BM25F score by its position in the indexed order."""
        # The hot loop of every search (a common term has postings in most documents): local names only.
        scores: dict[int, float] = {}
        score_of = scores.get
        for term, weight in self.terms(query).items():
            for index, contribution in self._postings.get(term, {}).items():
                scores[index] = score_of(index, 0.0) + weight * contribution
        return scores

    def passage(self, position: int, query: str) -> str:
        """The best passage of the document at ``position`` (indexed order) for ``query``."""
        terms = self.terms(query)
        return self.best_passage(position, {term: weight * self.idf(term) for term, weight in terms.items()})

    def search(self, query: str, *, top: int = 10, allowed: Callable[[str], bool] | None = None) -> list[Hit]:
        """The ``top`` best documents for ``query`` (only those ``allowed`` accepts), best first."""
        terms = self.terms(query)
        scores = self.scores(query)
        # Filtering may drop candidates, so take a generous head of the ranking rather than exactly top.
        head = max(top * 4, 40) if allowed else top
        ranked = heapq.nlargest(head, scores.items(), key=itemgetter(1))
        if allowed and len(ranked) < len(scores) and sum(allowed(self._ids[i]) for i, _ in ranked) < top:
            ranked = sorted(scores.items(), key=lambda item: -item[1])
        hits: list[Hit] = []
        # Each term's weight in choosing a passage (query weight times rarity), computed once per search.
        passage_weights = {term: weight * self.idf(term) for term, weight in terms.items()}
        for index, score in ranked:
            if allowed is not None and not allowed(self._ids[index]):
                continue
            hits.append(Hit(self._ids[index], round(score, 4), self.best_passage(index, passage_weights)))
            if len(hits) >= top:
                break
        return hits

    def best_passage(self, index: int, term_weights: Mapping[str, float]) -> str:
        """The passage of the document that covers the most (rarest, most heavily weighted) query terms;
        ``term_weights`` maps each query term to its weight times its idf."""
        return _best_passage(self._passages[index], term_weights)


def passage_for(text: str, query: str, *, max_passages: int = 60) -> str:
    """The paragraph of ``text`` that covers the most of ``query``'s terms (by their query weights), among
    its first ``max_passages``: for a document that is not in an in-memory ``Ranker``. A term is in a
    paragraph when one of its words starts with the term's stem: a regex scan, not a tokenisation of every
    paragraph of every result (which cost more than the search itself)."""
    terms = query_terms(query, synonyms={})
    patterns = [(re.compile(r"\b" + re.escape(term)), weight) for term, weight in terms.items()]
    best, best_score = "", 0.0
    passages = split_passages(text)[:max_passages]
    for passage in passages:
        lowered = passage.lower()
        score = sum(weight for pattern, weight in patterns if pattern.search(lowered))
        if score > best_score:
            best, best_score = passage, score
    return best or (passages[0] if passages else "")


def _best_passage(passages: list[tuple[str, frozenset[str]]], term_weights: Mapping[str, float]) -> str:
    best, best_score = "", 0.0
    for text, tokens in passages:
        score = sum(weight for term, weight in term_weights.items() if term in tokens)
        if score > best_score:
            best, best_score = text, score
    if not best and passages:
        best = passages[0][0]
    return best
