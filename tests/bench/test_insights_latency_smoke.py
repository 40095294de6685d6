"""``bench/insights_latency.py --quick`` runs end to end and prints its figures in the agreed last line."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "insights_latency.py"
LAST_LINE = re.compile(
    r"^insights p50_ms=(?P<p50>[\d.]+) p95_ms=(?P<p95>[\d.]+) "
    r"\(baseline healthz p50_ms=(?P<b50>[\d.]+) p95_ms=(?P<b95>[\d.]+)\)$"
)


@pytest.mark.slow
def test_quick_bench_measures_insights_beside_its_baseline() -> None:
    done = subprocess.run(
        [sys.executable, str(BENCH), "--quick"], capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.strip().splitlines()
    found = LAST_LINE.match(lines[-1])
    assert found, lines[-1]
    p50, p95, b50, b95 = (float(found[name]) for name in ("p50", "p95", "b50", "b95"))
    assert 0 < p50 <= p95 and 0 < b50 <= b95
    assert any(line.startswith("cloud search alone p50_ms=") for line in lines)
    [result] = [json.loads(line[len("BENCH ") :]) for line in lines if line.startswith("BENCH ")]
    assert result["target"] == "p95 <= 50 ms" and result["passed"] == (p95 <= 50)
