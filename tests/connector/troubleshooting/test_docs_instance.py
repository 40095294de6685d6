"""docs/troubleshooting.md keeps the instance rows 17-24 with the doctor's cause and fix."""

from __future__ import annotations

from pathlib import Path

from m365bridge.connector.troubleshooting.instance_rows import INSTANCE_ROWS

DOC = Path(__file__).resolve().parents[3] / "docs" / "troubleshooting.md"


def test_the_troubleshooting_page_has_every_instance_row_with_its_cause_and_fix() -> None:
    text = DOC.read_text()
    assert sorted(INSTANCE_ROWS) == list(range(17, 25))
    for number, row in INSTANCE_ROWS.items():
        assert f"\n| {number} | {row.symptom} | " in text, f"row {number} missing"
        assert row.cause in text and row.fix in text
