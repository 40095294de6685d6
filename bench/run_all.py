"""Run every bench script and print one table: what, figure, baseline, ratio, target, pass/fail.

    python bench/run_all.py [--quick] [--only startup,health_sync]

Each script runs in its own process and reports through its ``BENCH {...}`` lines (see ``harness.py``);
its other output goes to ``bench/results/<script>.log``. A script that fails or is missing (a scenario
whose feature has not landed yet) shows as a failed row saying so, and makes the command exit 1; a missed
target only shows as FAIL in the table.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from harness import BENCH_DIR, PREFIX

ARTICLES = "/work/shared/datasets/officedocs-support/articles"
KB_COPIES_ENV = "M365BRIDGE_BENCH_KB_COPIES"
KB_COPIES = os.environ.get(KB_COPIES_ENV, "1,10")  # KB sizes in copies of the shared articles
SCRIPTS: list[tuple[str, list[str], list[str]]] = [
    # (script, arguments, extra arguments with --quick)
    ("events_rate.py", ["--auth", "basic"], ["--quick"]),
    ("events_rate.py", ["--auth", "aad"], ["--quick"]),
    ("insights_latency.py", [], ["--quick"]),
    ("kb_quality.py", ["--articles", ARTICLES, "--queries", str(BENCH_DIR / "devset.jsonl")], []),
    ("kb_heldout.py", ["--articles", ARTICLES], []),
    # 250,000 articles (--copies 1,10,100) is opt-in: M365BRIDGE_BENCH_KB_COPIES (docs/performance.md).
    ("kb_scale.py", ["--articles", ARTICLES, "--copies", KB_COPIES], ["--copies", "1"]),
    ("health_matching.py", [], []),
    ("health_sync.py", [], ["--quick"]),
    ("startup.py", [], ["--quick"]),
    ("servicenow_catchup.py", [], ["--quick"]),
    ("servicenow_latency.py", [], ["--quick"]),
]
COLUMNS = ("what", "figure", "baseline", "ratio", "target", "result")
# Scripts whose own tables (their markdown lines) are printed after the summary: quality by area, sizes.
TABLE_SCRIPTS = ("kb_heldout.py", "kb_scale.py")


def run_script(name: str, arguments: list[str], log: Path, tables: list[str]) -> list[dict[str, object]]:
    path = BENCH_DIR / name
    if not path.exists():
        return [_failure(name, "script missing (its feature has not landed)")]
    started = time.perf_counter()
    completed = subprocess.run(
        [sys.executable, str(path), *arguments], capture_output=True, text=True, timeout=3600
    )
    log.write_text(completed.stdout + completed.stderr)
    if name in TABLE_SCRIPTS:
        own = ("|", "(cells", "held-out")
        lines = [line for line in completed.stdout.splitlines() if line.startswith(own)]
        tables.append("\n".join(_last_table(lines)))
    results = [
        json.loads(line[len(PREFIX) :]) for line in completed.stdout.splitlines() if line.startswith(PREFIX)
    ]
    if name == "kb_quality.py" and completed.returncode == 0:
        results = [_kb_result(completed.stdout)]
    if completed.returncode != 0:
        results.append(_failure(name, f"exit {completed.returncode}, see {log}"))
    print(f"  {name} {' '.join(arguments)}: {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return results


def _kb_result(output: str) -> dict[str, object]:
    """kb_quality.py prints its baseline line and, last, ours; the target is beating the baseline."""
    lines = output.strip().splitlines()
    baseline = next(line for line in lines if line.startswith("baseline"))
    ours = dict(part.split("=") for part in lines[-1].split())
    theirs = dict(part.split("=") for part in baseline.split() if "=" in part)
    mrr, base_mrr = float(ours["mrr@10"]), float(theirs["mrr@10"])
    return {
        "what": "Recommended-solutions quality",
        "figure": f"mrr@10={ours['mrr@10']} recall@5={ours['recall@5']} p95={ours['p95_ms']}ms",
        "baseline": f"BM25 mrr@10={theirs['mrr@10']} recall@5={theirs['recall@5']}",
        "ratio": round(mrr / base_mrr, 3) if base_mrr else None,
        "target": "clearly above BM25 (mrr@10 ratio >= 1.05)",
        "passed": mrr >= base_mrr * 1.05 and float(ours["recall@5"]) >= float(theirs["recall@5"]),
    }


def _last_table(lines: list[str]) -> list[str]:
    """kb_scale.py prints each size's row as it goes, then the whole table: keep the whole table only."""
    headers = [i for i, line in enumerate(lines) if line.startswith("| articles")]
    return lines[headers[-1] :] if headers else lines


def _failure(name: str, why: str) -> dict[str, object]:
    return {"what": name, "figure": why, "baseline": "", "ratio": None, "target": "", "passed": False}


def table(rows: list[dict[str, object]]) -> str:
    cells = [
        [
            str(row["what"]),
            str(row["figure"]),
            str(row["baseline"]),
            _ratio(row["ratio"]),
            str(row["target"]),
            "pass" if row["passed"] else "FAIL",
        ]
        for row in rows
    ]
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(row) + " |" for row in cells]
    return "\n".join(lines)


def _ratio(value: object) -> str:
    return "" if value is None else f"{value:.3g}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="Tiny configurations (a smoke run).")
    parser.add_argument("--only", default="", help="Comma-separated script names (without .py) to run.")
    args = parser.parse_args()
    only = {name.strip() for name in args.only.split(",") if name.strip()}
    logs = BENCH_DIR / "results"
    logs.mkdir(exist_ok=True)
    rows: list[dict[str, object]] = []
    tables: list[str] = []
    for name, arguments, quick in SCRIPTS:
        if only and name.removesuffix(".py") not in only:
            continue
        arguments = arguments + (quick if args.quick else [])
        log = (
            logs
            / f"{name.removesuffix('.py')}{'-' + arguments[1] if arguments[:1] == ['--auth'] else ''}.log"
        )
        rows += run_script(name, arguments, log, tables)
    print(table(rows))
    for extra in tables:
        print("\n" + extra)
    # A missed target is a finding shown in the table; only a script that could not run fails the command.
    sys.exit(1 if any(str(row["figure"]).startswith("exit ") for row in rows) else 0)


if __name__ == "__main__":
    main()
