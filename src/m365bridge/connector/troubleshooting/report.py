"""What the doctor found: one result per check, each failure tied to the troubleshooting rows it explains."""

from __future__ import annotations

from dataclasses import dataclass, field

from m365bridge.connector.troubleshooting.instance_rows import INSTANCE_ROWS
from m365bridge.connector.troubleshooting.rows import ROWS, Row

ALL_ROWS = {**ROWS, **INSTANCE_ROWS}


@dataclass(frozen=True)
class Failure:
    """One thing wrong: the rows whose symptom it causes, what exactly, and the log lines showing it."""

    rows: tuple[int, ...]
    finding: str
    evidence: tuple[str, ...] = ()

    @property
    def row(self) -> Row:
        return ALL_ROWS[self.rows[0]]

    @property
    def row_numbers(self) -> str:
        return ", ".join(f"#{number}" for number in self.rows)


@dataclass(frozen=True)
class CheckResult:
    name: str
    rows: tuple[int, ...]
    failures: tuple[Failure, ...] = ()
    # Why the check could not run (e.g. no outbound OAuth provider yet); a skipped check does not fail.
    skipped: str | None = None
    passed_note: str = ""

    @property
    def passed(self) -> bool:
        return not self.failures


@dataclass
class DoctorReport:
    results: list[CheckResult] = field(default_factory=list)
    instance: bool = False  # a ServiceNow instance is configured: rows 17-24 were checked

    @property
    def passed(self) -> bool:
        return all(result.passed for result in self.results)

    @property
    def failures(self) -> list[Failure]:
        return [failure for result in self.results for failure in result.failures]

    @property
    def failing_rows(self) -> list[int]:
        return sorted({number for failure in self.failures for number in failure.rows})
