"""Every bench script runs in its tiny configuration and reports its figures (timings are not asserted)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import DATASETS

BENCH = Path(__file__).resolve().parents[2] / "bench"
ARTICLE = """---
title: {title}
description: {title} in Outlook
---
# {title}

When {title}, restart Outlook and check the mailbox.
"""


def run_bench(*args: str) -> tuple[str, list[dict[str, object]]]:
    completed = subprocess.run(
        [sys.executable, str(BENCH / args[0]), *args[1:]], capture_output=True, text=True, timeout=600
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    results = [json.loads(line[6:]) for line in completed.stdout.splitlines() if line.startswith("BENCH ")]
    return completed.stdout, results


def assert_reported(results: list[dict[str, object]], what: str) -> None:
    row = next(row for row in results if str(row["what"]).startswith(what))
    assert row["figure"] and row["baseline"] and row["target"]
    assert isinstance(row["passed"], bool)


@pytest.mark.slow
@pytest.mark.parametrize("auth", ["basic", "aad"])
def test_events_rate_reports_the_rate_beside_the_bare_endpoint_and_the_memory(auth):
    output, results = run_bench("events_rate.py", "--auth", auth, "--quick")
    assert "events in the ledger: 48 (expected 48), work notes: 48" in output
    assert_reported(results, "Inbound case events")
    assert_reported(results, "Memory")


@pytest.mark.slow
def test_startup_reports_the_demo_beside_a_bare_uvicorn_start():
    output, results = run_bench("startup.py", "--quick")
    assert "bare uvicorn app start" in output
    assert_reported(results, "Start-up")


@pytest.mark.slow
def test_servicenow_catchup_reports_time_requests_and_429s():
    output, results = run_bench("servicenow_catchup.py", "--quick", "--page-size", "100")
    assert "handled once each: True (500 distinct); mirrored: 500" in output
    assert "6 requests to the instance, 0 answered 429" in output
    assert_reported(results, "ServiceNow catch-up")


@pytest.mark.slow
def test_servicenow_latency_reports_polling_beside_push():
    output, results = run_bench("servicenow_latency.py", "--quick", "--poll-seconds", "2")
    assert "poll every 2 s" in output and "push + poll" in output
    assert_reported(results, "ServiceNow: incident created")


@pytest.mark.slow
def test_health_sync_reports_requests_refusals_and_the_throttle_minimum():
    replay = DATASETS / "m365-message-center" / "replay.jsonl"
    if not replay.exists():
        pytest.skip(f"dataset absent: {replay}")
    output, results = run_bench("health_sync.py", "--quick", "--replay", str(replay))
    assert "throttle minimum for" in output
    assert_reported(results, "Service health sync")


def test_kb_quality_prints_the_baseline_then_ours(tmp_path):
    articles = tmp_path / "articles" / "Outlook"
    articles.mkdir(parents=True)
    for slug, title in [("crash", "Outlook crashes on start"), ("search", "Search finds no mail")]:
        (articles / f"{slug}.md").write_text(ARTICLE.format(title=title))
    queries = tmp_path / "queries.jsonl"
    queries.write_text(json.dumps({"query": "outlook crashes", "relevant": ["Outlook/crash"]}) + "\n")
    output, _ = run_bench(
        "kb_quality.py", "--articles", str(tmp_path / "articles"), "--queries", str(queries)
    )
    lines = output.strip().splitlines()
    assert any(line.startswith("baseline") for line in lines)
    assert lines[-1].startswith("recall@5=")


def test_run_all_prints_one_table_row_per_result():
    sys.path.insert(0, str(BENCH))
    try:
        from run_all import table
    finally:
        sys.path.remove(str(BENCH))
    row = {"what": "x", "figure": "1", "baseline": "2", "ratio": 0.5, "target": "t", "passed": False}
    assert table([row]).splitlines()[-1] == "| x | 1 | 2 | 0.5 | t | FAIL |"


SYMPTOMS_ARTICLE = """---
title: {title}
description: How to fix it.
---
# {title}

## Symptoms

When you open the {thing}, it {what}. Nothing else happens. Later text is not part of the query.

## Resolution

Restart the {thing}.
"""
PROBLEMS = [
    ("calendar", "freezes at once"),
    ("mailbox", "shows an error 0x800"),
    ("channel", "loses every file"),
    ("library", "cannot be synced"),
    ("meeting", "drops the audio"),
    ("signature", "disappears"),
]


def symptom_articles(root: Path) -> Path:
    for area, (thing, what) in zip(["Outlook", "Teams"] * 3, PROBLEMS, strict=True):
        folder = root / "articles" / area
        folder.mkdir(parents=True, exist_ok=True)
        title = f"The {thing} problem"
        (folder / f"{thing}.md").write_text(SYMPTOMS_ARTICLE.format(title=title, thing=thing, what=what))
    return root / "articles"


def test_kb_heldout_prints_the_rankers_by_area_and_ours_last(tmp_path):
    output, results = run_bench("kb_heldout.py", "--articles", str(symptom_articles(tmp_path)))
    lines = output.strip().splitlines()
    header = next(line for line in lines if line.startswith("| ranker"))
    assert "all (" in header
    rankers = [line.split("|")[1].strip() for line in lines if line.startswith("| ") and "/" in line]
    assert rankers[0].startswith("BM25 title") and rankers[-1] == "product (fused)"
    assert any(name.startswith("semantic only") for name in rankers)
    assert_reported(results, "KB quality, held-out test fold")
    assert lines[-1].startswith("recall@5=")


def test_kb_scale_reports_a_row_per_size(tmp_path):
    output, _ = run_bench("kb_scale.py", "--articles", str(symptom_articles(tmp_path)), "--copies", "1,2")
    table = [line for line in output.splitlines() if line.startswith("| ")]
    assert table[-2].startswith("| 6 |") and table[-1].startswith("| 12 |")


def test_health_matching_reports_the_test_half_beside_the_previous_matcher(tmp_path):
    cases = [
        {"incident": "owa wont send", "issue": "Users can't send email from Outlook on the web"},
        {"incident": "outlook web send error", "issue": "Users can't send email from Outlook on the web"},
        {"incident": "printer jam", "issue": "none"},
        {"incident": "laptop battery draining", "issue": "none"},
    ]
    labelled = tmp_path / "set.jsonl"
    labelled.write_text("".join(json.dumps(case) + "\n" for case in cases))
    output, results = run_bench("health_matching.py", "--set", str(labelled))
    assert "2 tune and 2 test incidents" in output
    assert "test half: previous precision=" in output and "test half: current  precision=" in output
    assert_reported(results, "Service health matching")
