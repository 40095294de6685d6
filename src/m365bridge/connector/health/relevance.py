"""How well an incident's text is explained by each service health issue: a score from 0 to 1.

The score is the share of the incident's words an issue accounts for, each word weighted by how much it
tells issues apart (its idf over the synced issues). A word in the issue's title or scope (service, feature,
feature group) counts fully, one only in the impact description counts ``IMPACT_SHARE``. Words that no
issue uses still weigh, together, ``UNKNOWN_SHARE`` of the rarest word's weight times the square root of
their number: "printer jam on floor 3" consists of such words, so no issue explains it, while "users" or
"can't" weigh next to nothing either way. When the
incident names a service or feature (a word of some issue's scope) and an issue's scope has none of the
named ones, its score is multiplied by ``PRODUCT_MISMATCH``.

Typing errors are forgiven against the issues' own vocabulary: a word no issue uses that is one edit away
(two for long words) from one that an issue uses, or whose stem begins another's ("fails", "failures"),
counts as that word, at ``TYPO_SHARE``.

The constants other than ``TYPO_SHARE`` were chosen on the tune half of ``bench/health_match_set.jsonl``
(``bench/health_matching.py --tune``); the test half reports them.
"""

from __future__ import annotations

import bisect
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from m365bridge.connector.health.wording import STOPWORDS, stem, words

IMPACT_SHARE = 0.8
TYPO_SHARE = 0.8
UNKNOWN_SHARE = 1.0
PRODUCT_MISMATCH = 0.5
# Whether an issue is listed at all, and how far below the best one it may be and still be listed.
MIN_SCORE = 0.4
MIN_SHARE_OF_BEST = 0.5

FULL_FIELDS = ("title", "scope")
# Longer "words" (a pasted token, a URL) are never near another word; looking costs their length squared.
LONGEST_WORD = 40


@dataclass(frozen=True)
class Scored:
    id: str
    score: float


class IssueScorer:
    """Immutable after construction; built once per set of synced issues, used from any thread."""

    def __init__(self, issues: Iterable[tuple[str, Mapping[str, str]]]) -> None:
        self._ids: list[str] = []
        # For every term, each issue that has it and how fully it counts there.
        self._postings: dict[str, dict[int, float]] = defaultdict(dict)
        # Each issue's scope terms: the names of its service, feature and feature group.
        self._scopes: list[frozenset[str]] = []
        spellings: dict[str, str] = {}
        for index, (issue_id, fields) in enumerate(issues):
            self._ids.append(issue_id)
            scope: set[str] = set()
            for name, text in fields.items():
                share = 1.0 if name in FULL_FIELDS else IMPACT_SHARE
                for word in words(text):
                    term = spellings.setdefault(word, term_of(word))
                    if not term:
                        continue
                    docs = self._postings[term]
                    docs[index] = max(docs.get(index, 0.0), share)
                    if name == "scope":
                        scope.add(term)
            self._scopes.append(frozenset(scope))
        self._products = frozenset().union(*self._scopes)
        count = len(self._ids)
        self._idf = {
            term: math.log(1.0 + (count - len(docs) + 0.5) / (len(docs) + 0.5))
            for term, docs in self._postings.items()
        }
        self._unknown_weight = UNKNOWN_SHARE * max(self._idf.values(), default=1.0)
        self._typos = _TypoIndex(spellings)

    def __len__(self) -> int:
        return len(self._ids)

    def score(self, text: str) -> list[Scored]:
        """The issues that score at least ``MIN_SCORE`` for ``text`` (no other can be listed), best first."""
        total = 0.0
        unknown = 0
        named: set[str] = set()
        gained: dict[int, float] = defaultdict(float)
        for word in dict.fromkeys(words(text)):
            term = term_of(word)
            if not term:
                continue
            share = 1.0
            if term not in self._postings:
                near = self._typos.nearest(word, term)
                if near is None:
                    unknown += 1
                    continue
                term, share = near, TYPO_SHARE
            if term in self._products:
                named.add(term)
            weight = self._idf[term]
            total += weight
            for index, field_share in self._postings[term].items():
                gained[index] += weight * share * field_share
        # Unknown words count less and less: an agent's context ("for the whole sales team since Monday")
        # should not drown the two words that name the problem.
        total += self._unknown_weight * math.sqrt(unknown)
        # A product mismatch only lowers a score, so what is below the floor here stays below it.
        floor = MIN_SCORE * total
        scored = [
            Scored(self._ids[index], round(value / total * self._fit(index, named), 4))
            for index, value in gained.items()
            if value >= floor
        ]
        return sorted((item for item in scored if item.score >= MIN_SCORE), key=lambda item: -item.score)

    def _fit(self, index: int, named: set[str]) -> float:
        """An incident that names a service or feature ("outlook", "chat") is rarely about an issue whose
        scope names none of them, whatever else they share ("web", "load")."""
        return PRODUCT_MISMATCH if named and not named & self._scopes[index] else 1.0


def term_of(word: str) -> str:
    """The term one word (from ``words``) becomes, or "" for a stopword."""
    return "" if word in STOPWORDS else stem(word)


def shortlist(scored: list[Scored]) -> list[Scored]:
    """The issues worth showing, from ``IssueScorer.score`` (best first): those close enough to the best."""
    if not scored:
        return []
    floor = scored[0].score * MIN_SHARE_OF_BEST
    return [item for item in scored if item.score >= floor]


class _TypoIndex:
    """Finds, for a word no issue uses, a word an issue uses within one edit (two from nine letters on),
    through shared deletions (a word and its typo share a form with one letter removed)."""

    def __init__(self, spellings: Mapping[str, str]) -> None:
        self._term_set = frozenset(term for term in spellings.values() if term)
        self._terms = sorted(self._term_set)
        self._spellings = {word: term for word, term in spellings.items() if term and len(word) >= 5}
        self._by_deletion: dict[str, set[str]] = defaultdict(set)
        for word in self._spellings:
            for form in _deletions(word):
                self._by_deletion[form].add(word)

    def nearest(self, word: str, term: str) -> str | None:
        """The term of the closest known word, or None; ties go to the alphabetically first word. A known
        term of four letters or more that begins with ``term`` (the first in alphabetical order), or that
        ``term`` begins with (the longest), counts as near too: the stemmer leaves "fails" and "failures"
        apart."""
        if len(word) > LONGEST_WORD:
            return None
        if len(term) >= 4:
            longer = bisect.bisect_left(self._terms, term)
            if longer < len(self._terms) and self._terms[longer].startswith(term):
                return self._terms[longer]
            for end in range(len(term) - 1, 3, -1):
                if term[:end] in self._term_set:
                    return term[:end]
        if len(word) < 5:
            return None
        limit = 2 if len(word) >= 9 else 1
        candidates: set[str] = set()
        for form in _deletions(word):
            candidates |= self._by_deletion.get(form, set())
        best: tuple[int, str] | None = None
        for known in candidates:
            distance = _edit_distance(word, known)
            if distance <= limit and (best is None or (distance, known) < best):
                best = (distance, known)
        return self._spellings[best[1]] if best else None


def _deletions(word: str) -> set[str]:
    return {word} | {word[:i] + word[i + 1 :] for i in range(len(word))}


def _edit_distance(left: str, right: str) -> int:
    """Levenshtein distance with adjacent transpositions counted as one edit ("recieve")."""
    previous2: list[int] = []
    previous = list(range(len(right) + 1))
    for i, a in enumerate(left, 1):
        current = [i] + [0] * len(right)
        for j, b in enumerate(right, 1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a != b))
            if i > 1 and j > 1 and a == right[j - 2] and left[i - 2] == b:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[-1]
