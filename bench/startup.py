"""Start-up: ``m365bridge demo`` on free ports and a fresh data folder, until every part answers.

    python bench/startup.py [--runs 3] [--quick] [--before-src PATH]

Figure: seconds from spawning ``m365bridge demo`` until it printed its ``ready`` line and both sides'
``/readyz`` answer 200 (median of ``--runs``). Baseline, in the same run: a bare FastAPI app served by the
same uvicorn config (``bench/serve.py bare``) until its ``/readyz`` answers; also shown, the time of
``python -c "import m365bridge"`` and of a restart on the folder the fresh start left. Target: at most 5 s.

``--before-src`` (an earlier tree's ``src``, e.g. from ``git archive``) also starts that code, on PYTHONPATH,
in turn with the current one, so one run shows before and after under the same load.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from harness import BENCH_DIR, Result, free_port, ratio, server_process, wait_until_ready

TARGET_SECONDS = 5.0
DEMO = str(Path(sys.executable).with_name("m365bridge"))


def source_env(src: Path | None) -> dict[str, str] | None:
    """The environment that makes ``m365bridge`` come from ``src`` (``None``: the installed tree)."""
    return None if src is None else {**os.environ, "PYTHONPATH": str(src.resolve())}


def demo_start(data_dir: Path, env: dict[str, str] | None = None) -> float:
    cloud_port, connector_port = free_port(), free_port()
    started = time.perf_counter()
    ports = ["--cloud-port", str(cloud_port), "--connector-port", str(connector_port)]
    process = subprocess.Popen(
        [DEMO, "demo", "--data-dir", str(data_dir), *ports],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    try:
        assert process.stdout is not None
        for line in process.stdout:
            if "ready" in line:
                break
        else:
            raise RuntimeError(f"demo exited with {process.wait()} before saying ready")
        ca = json.loads((data_dir / "demo.json").read_text())["ca_bundle"]
        wait_until_ready(f"https://localhost:{cloud_port}/readyz", verify=ca)
        wait_until_ready(f"https://localhost:{connector_port}/readyz", verify=ca)
        return time.perf_counter() - started
    finally:
        process.terminate()
        process.wait(timeout=30)


def bare_start() -> float:
    port = free_port()
    started = time.perf_counter()
    with server_process(
        [str(BENCH_DIR / "serve.py"), "bare", "--port", str(port)], f"http://127.0.0.1:{port}/readyz"
    ):
        return time.perf_counter() - started


def import_time() -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import m365bridge"], check=True)
    return time.perf_counter() - started


def compile_sources(env: dict[str, str] | None) -> None:
    """Import what the demo imports once, so no measured start pays for writing ``.pyc`` files."""
    code = "import m365bridge.cli, m365bridge.demo.runner, m365bridge.demo.provision"
    subprocess.run([sys.executable, "-c", code], check=True, env=env)


def starts(env: dict[str, str] | None) -> tuple[float, float]:
    """A start on a fresh data folder, then a restart on the folder it left."""
    with tempfile.TemporaryDirectory() as folder:
        data_dir = Path(folder) / "demo-data"
        return demo_start(data_dir, env), demo_start(data_dir, env)


def _report(what: str, times: list[float]) -> None:
    print(f"{what}: {statistics.median(times):.2f} s  (runs: {', '.join(f'{s:.2f}' for s in times)})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="Starts of each kind; the median counts.")
    parser.add_argument("--quick", action="store_true", help="One start of each (for the smoke test).")
    parser.add_argument(
        "--before-src",
        type=Path,
        help="An earlier tree's src folder; its demo starts in turn with the current one (before/after).",
    )
    args = parser.parse_args()
    runs = 1 if args.quick else args.runs
    kinds = {"after": source_env(None)}
    if args.before_src:
        kinds = {"before": source_env(args.before_src), **kinds}
    for env in kinds.values():
        compile_sources(env)
    fresh: dict[str, list[float]] = {kind: [] for kind in kinds}
    restart: dict[str, list[float]] = {kind: [] for kind in kinds}
    bare, imports = [], []
    for _ in range(runs):
        imports.append(import_time())
        bare.append(bare_start())
        for kind, env in kinds.items():
            first, again = starts(env)
            fresh[kind].append(first)
            restart[kind].append(again)
    demo = fresh["after"]
    demo_s, bare_s = statistics.median(demo), statistics.median(bare)
    print(f"import m365bridge: {statistics.median(imports):.2f} s")
    _report("bare uvicorn app start", bare)
    if args.before_src:
        _report(f"before ({args.before_src}): demo until ready", fresh["before"])
        _report("before: restart on the folder it left", restart["before"])
    _report("restart on the folder it left", restart["after"])
    _report("m365bridge demo until ready", demo)
    Result(
        what="Start-up (m365bridge demo until ready)",
        figure=f"{demo_s:.2f} s",
        baseline=f"{bare_s:.2f} s bare uvicorn app",
        ratio=ratio(demo_s, bare_s),
        target=f"<= {TARGET_SECONDS:.0f} s",
        passed=demo_s <= TARGET_SECONDS,
    ).emit()


if __name__ == "__main__":
    main()
