"""Counts the adversarial suites report: tokens tried and refused, fuzz cases run.

A test records ``tally:<name>`` user properties (``record_property``); they travel from pytest-xdist
workers to the controller with each report, so the summary at the end adds up a parallel run too.
"""

from __future__ import annotations

from collections import Counter

import pytest

PREFIX = "tally:"
_totals: Counter[str] = Counter()


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when != "call":
        return
    for name, value in report.user_properties:
        if isinstance(name, str) and name.startswith(PREFIX) and isinstance(value, int):
            _totals[name.removeprefix(PREFIX)] += value


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not _totals:
        return
    terminalreporter.section("adversarial tally")
    for name, value in sorted(_totals.items()):
        terminalreporter.write_line(f"{name}: {value}")
