"""Service health matching: does an incident's short description find the issue behind it, and only that?

    python bench/health_matching.py [--set bench/health_match_set.jsonl] [--tune]

``health_match_set.jsonl`` holds incident short descriptions as agents type them, each labelled with the
title of the demo service health issue it should match, or "none". The labelling rule: an incident matches an
issue when that issue would explain it (the same service feature, and the issue's symptom or the feature
failing outright); sharing only the product ("teams calls dropping" against a Teams chat issue) is "none".

The set is split in two, deterministically: within each label, alternate lines go to the tune half and the
test half. The matcher's constants (``connector/health/relevance.py``) were chosen on the tune half
(``--tune`` searches them again and prints the best); the figures reported are the test half's.

The issues are the demo's: the generated history (seed 2026, 30 issues) plus one open issue per demo
scenario, so that every label can be matched. Beside the current matcher, the same run measures the
matcher as it was before the threshold (BM25F over title, impact and scope, open issues first, no floor),
kept below as a copy.

Figures, for the top match of each incident: precision (of the incidents given a match, how many got the
right one first), recall (of the incidents that have an issue, how many got it first), how often "none" was
right (incidents labelled "none" given no match), and how many wrong issues were listed on average
(anywhere in the list of five). The ratio compares right decisions (right top match, or rightly none).
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from harness import BENCH_DIR, Result, ratio
from sqlalchemy.orm import Session

from m365bridge.cloud.context import CloudContext
from m365bridge.cloud.graph import repository as cloud_repository
from m365bridge.cloud.graph.generator import SCENARIOS, generate
from m365bridge.cloud.graph.resources import issue_resource
from m365bridge.cloud.settings import CloudSettings
from m365bridge.connector.context import ConnectorContext
from m365bridge.connector.health import relevance, repository
from m365bridge.connector.health.matching import RESOLVED_WINDOW, IssueIndexCache, match_issues
from m365bridge.connector.settings import ConnectorSettings
from m365bridge.demo.incidents import open_issue
from m365bridge.shared.db import transaction
from m365bridge.shared.ranking import BM25FParameters, Ranker

NOW = dt.datetime(2026, 12, 4, 12, 0, tzinfo=dt.UTC)
TENANT = "bench-tenant"
NONE = "none"
Matcher = Callable[[Session, str], list[str]]


@dataclass(frozen=True)
class Case:
    incident: str
    issue: str


def load(path: Path) -> tuple[list[Case], list[Case]]:
    """The tune half and the test half: alternate lines within each label, in file order."""
    cases = [Case(**json.loads(line)) for line in path.read_text().splitlines() if line.strip()]
    seen: dict[str, int] = {}
    tune: list[Case] = []
    test: list[Case] = []
    for case in cases:
        position = seen.get(case.issue, 0)
        seen[case.issue] = position + 1
        (tune if position % 2 == 0 else test).append(case)
    return tune, test


@contextmanager
def demo_issues() -> Iterator[ConnectorContext]:
    """A connector database holding the demo's issues, as a sync from the demo's Graph would leave it."""
    with tempfile.TemporaryDirectory() as folder:
        cloud = CloudContext.build(CloudSettings(data_dir=Path(folder) / "cloud"))
        try:
            with transaction(cloud.sessions, write=True) as session:
                generate(session, TENANT, 30, seed=2026, now=NOW)
            with transaction(cloud.sessions) as session:
                documents = [issue_resource(issue) for issue in cloud_repository.issues_of(session, TENANT)]
        finally:
            cloud.close()
        documents += [
            open_issue(f"BENCH{number:02d}", scenario, NOW) for number, scenario in enumerate(SCENARIOS)
        ]
        connector = ConnectorContext.build(
            ConnectorSettings(data_dir=Path(folder) / "connector", health_sync_autostart=False)
        )
        try:
            with transaction(connector.sessions, write=True) as session:
                for document in documents:
                    repository.upsert_issue(session, document)
            yield connector
        finally:
            connector.close()


class CurrentMatcher:
    """The product's matcher with its own index cache; ``rebuild`` after changing the scorer's constants."""

    def __init__(self) -> None:
        self.cache = IssueIndexCache()

    def rebuild(self) -> None:
        self.cache = IssueIndexCache()

    def __call__(self, session: Session, text: str) -> list[str]:
        return [found.title for found in match_issues(session, text, now=NOW, cache=self.cache)]


def previous_matcher(session: Session, text: str) -> list[str]:
    """The matcher before the floor (a copy, so that both run here): BM25F over title, impact and scope
    with the shared ranker, the short description counted twice, open issues first, five at most."""
    issues = repository.all_issues(session)
    ranker = Ranker(
        (
            (
                issue.id,
                {
                    "title": issue.title,
                    "description": issue.impact_description,
                    "keywords": " ".join([issue.service, issue.feature, issue.feature_group]),
                },
            )
            for issue in issues
        ),
        parameters=BM25FParameters(weights={"title": 3.0, "description": 1.5, "keywords": 1.0}),
    )
    by_id = {issue.id: issue for issue in issues}
    since = NOW - RESOLVED_WINDOW

    def open_issue(issue_id: str) -> bool:
        return not by_id[issue_id].is_resolved

    def recently_resolved(issue_id: str) -> bool:
        issue = by_id[issue_id]
        resolved_at = issue.end_at or issue.last_modified_at
        return issue.is_resolved and resolved_at is not None and resolved_at >= since

    query = f"{text} {text}"
    hits = ranker.search(query, top=5, allowed=open_issue)
    if len(hits) < 5:
        hits += ranker.search(query, top=5 - len(hits), allowed=recently_resolved)
    return [by_id[hit.id].title for hit in hits]


@dataclass(frozen=True)
class Figures:
    precision: float
    recall: float
    none_right: float
    wrong_listed: float
    correct: int
    cases: int

    def line(self) -> str:
        return (
            f"precision={self.precision:.3f} recall={self.recall:.3f} none_right={self.none_right:.3f} "
            f"wrong_listed={self.wrong_listed:.2f}"
        )


def evaluate(matcher: Matcher, session: Session, cases: list[Case], *, show: bool = False) -> Figures:
    answered = right_answers = labelled = found = nones = quiet = wrong = 0
    for case in cases:
        listed = matcher(session, case.incident)
        top = listed[0] if listed else NONE
        wrong += sum(title != case.issue for title in listed)
        if listed:
            answered += 1
            right_answers += top == case.issue
        if case.issue == NONE:
            nones += 1
            quiet += not listed
        else:
            labelled += 1
            found += top == case.issue
        if show and top != case.issue:
            print(f"  miss: {case.incident!r} -> {top!r} (wanted {case.issue!r})")
    return Figures(
        precision=right_answers / answered if answered else 0.0,
        recall=found / labelled if labelled else 0.0,
        none_right=quiet / nones if nones else 0.0,
        wrong_listed=wrong / len(cases) if cases else 0.0,
        correct=found + quiet,
        cases=len(cases),
    )


# Searched in two steps: what decides the top match and "none" first, then the margin (which only decides
# whether issues after the first are listed).
GRID = {
    "IMPACT_SHARE": (0.4, 0.6, 0.8),
    "UNKNOWN_SHARE": (0.6, 0.8, 1.0, 1.25),
    "PRODUCT_MISMATCH": (0.5, 0.75, 1.0),
    "MIN_SCORE": (0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6),
}
MARGINS = {"MIN_SHARE_OF_BEST": (0.5, 0.6, 0.7, 0.8, 0.9)}


def tune(session: Session, cases: list[Case], matcher: CurrentMatcher) -> dict[str, float]:
    """The constants with the most right decisions on ``cases`` (top match or "none"), then the fewest
    wrong issues listed; ties go to the first point of the grid."""
    chosen: dict[str, float] = {}
    for grid in (GRID, MARGINS):
        best: tuple[tuple[int, float], dict[str, float]] | None = None
        for values in itertools.product(*grid.values()):
            point = dict(zip(grid, values, strict=True))
            for name, value in point.items():
                setattr(relevance, name, value)
            matcher.rebuild()
            figures = evaluate(matcher, session, cases)
            key = (figures.correct, -figures.wrong_listed)
            if best is None or key > best[0]:
                best = (key, point)
        assert best is not None
        chosen |= best[1]
        for name, value in best[1].items():
            setattr(relevance, name, value)
    return chosen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--set", type=Path, default=BENCH_DIR / "health_match_set.jsonl")
    parser.add_argument("--tune", action="store_true", help="Search the constants again on the tune half.")
    args = parser.parse_args()
    tune_half, test_half = load(args.set)
    print(f"{len(tune_half)} tune and {len(test_half)} test incidents")
    current = CurrentMatcher()
    with demo_issues() as connector, transaction(connector.sessions) as session:
        if args.tune:
            shipped = {name: getattr(relevance, name) for name in GRID | MARGINS}
            chosen = tune(session, tune_half, current)
            print(f"tune half chooses {chosen} (shipped: {shipped})")
            for name, value in shipped.items():
                setattr(relevance, name, value)
            current.rebuild()
        for label, cases in (("tune half", tune_half), ("test half", test_half)):
            before = evaluate(previous_matcher, session, cases)
            after = evaluate(current, session, cases, show=label == "tune half")
            print(f"{label}: previous {before.line()}")
            print(f"{label}: current  {after.line()}")
    Result(
        what="Service health matching, test half",
        figure=after.line(),
        baseline=f"previous matcher {before.line()}",
        ratio=ratio(after.correct, before.correct),
        target="precision >= 0.9, none_right >= 0.8, more right decisions than previous",
        passed=after.precision >= 0.9 and after.none_right >= 0.8 and after.correct > before.correct,
    ).emit()


if __name__ == "__main__":
    main()
