"""docs/troubleshooting.md keeps every row, with its message verbatim and the doctor's cause and fix."""

from __future__ import annotations

from pathlib import Path

from m365bridge.connector.troubleshooting.rows import ROWS

DOC = Path(__file__).resolve().parents[3] / "docs" / "troubleshooting.md"


def test_the_troubleshooting_page_has_all_16_rows_with_messages_causes_and_fixes() -> None:
    text = DOC.read_text()
    assert sorted(ROWS) == list(range(1, 17))
    for number, row in ROWS.items():
        assert f"\n| {number} | " in text, f"row {number} missing"
        assert row.cause in text and row.fix in text
        if row.message:
            assert row.message in text
