"""Start-up: ``m365bridge demo`` on free ports and a fresh data folder, until every part answers.

    python bench/startup.py [--runs 3] [--quick]

Figure: seconds from spawning ``m365bridge demo`` until it printed its ``ready`` line and both sides'
``/readyz`` answer 200 (median of ``--runs``). Baseline, in the same run: a bare FastAPI app served by the
same uvicorn config (``bench/serve.py bare``) until its ``/readyz`` answers; also shown, the time of
``python -c "import m365bridge"``. Target: at most 5 s.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from harness import BENCH_DIR, Result, free_port, ratio, server_process, wait_until_ready

TARGET_SECONDS = 5.0
DEMO = str(Path(sys.executable).with_name("m365bridge"))


def demo_start(data_dir: Path) -> float:
    cloud_port, connector_port = free_port(), free_port()
    started = time.perf_counter()
    ports = ["--cloud-port", str(cloud_port), "--connector-port", str(connector_port)]
    process = subprocess.Popen(
        [DEMO, "demo", "--data-dir", str(data_dir), *ports],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="Starts of each kind; the median counts.")
    parser.add_argument("--quick", action="store_true", help="One start of each (for the smoke test).")
    args = parser.parse_args()
    runs = 1 if args.quick else args.runs
    demo, bare, imports = [], [], []
    for _ in range(runs):
        imports.append(import_time())
        bare.append(bare_start())
        with tempfile.TemporaryDirectory() as folder:
            demo.append(demo_start(Path(folder) / "demo-data"))
    demo_s, bare_s = statistics.median(demo), statistics.median(bare)
    print(f"import m365bridge: {statistics.median(imports):.2f} s")
    print(f"bare uvicorn app start: {bare_s:.2f} s  (runs: {', '.join(f'{s:.2f}' for s in bare)})")
    print(f"m365bridge demo until ready: {demo_s:.2f} s  (runs: {', '.join(f'{s:.2f}' for s in demo)})")
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
