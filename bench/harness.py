"""What every bench script shares: result lines, server subprocesses, readiness polling, RSS.

Every script prints its figures as it goes and, for each target it checks, one machine-readable line

    BENCH {"what": ..., "figure": ..., "baseline": ..., "ratio": ..., "target": ..., "passed": ...}

that ``run_all.py`` collects into one table. The machine is shared, so every figure sits beside a baseline
measured in the same run.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

import httpx

BENCH_DIR = Path(__file__).resolve().parent
PREFIX = "BENCH "


@dataclass(frozen=True)
class Result:
    what: str
    figure: str
    baseline: str
    ratio: float | None
    target: str
    passed: bool

    def emit(self) -> None:
        print(PREFIX + json.dumps(asdict(self)), flush=True)


def ratio(value: float, baseline: float) -> float | None:
    return round(value / baseline, 3) if baseline else None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_ready(url: str, *, timeout: float = 60.0, verify: object = True, process=None) -> float:
    """Poll ``url`` until it answers 200; the seconds it took. Fails early if ``process`` died."""
    started = time.perf_counter()
    deadline = started + timeout
    with httpx.Client(verify=verify, timeout=2.0) as client:  # type: ignore[arg-type]
        while True:
            if process is not None and process.poll() is not None:
                raise RuntimeError(f"server exited with {process.returncode} before {url} answered")
            try:
                if client.get(url).status_code == 200:
                    return time.perf_counter() - started
            except httpx.TransportError:
                pass
            if time.perf_counter() > deadline:
                raise RuntimeError(f"{url} did not answer within {timeout:.0f} s")
            time.sleep(0.02)


@contextmanager
def server_process(
    args: Sequence[str],
    ready_url: str,
    *,
    env: dict[str, str] | None = None,
    timeout: float = 60.0,
    profile: Path | None = None,
) -> Iterator[subprocess.Popen[bytes]]:
    """A server in its own process, ready when ``ready_url`` answers; terminated (by its pid) on exit.

    With ``profile``, py-spy (dev extra) samples every thread of the server into that file (collapsed
    stacks, one line per stack with its sample count), written when the server is stopped.
    """
    command = [sys.executable, *args]
    if profile is not None:
        spy = str(Path(sys.executable).with_name("py-spy"))
        record = ["record", "--nonblocking", "--format", "raw", "--rate", "100", "--output", str(profile)]
        command = [spy, *record, "--", *command]
    process = subprocess.Popen(command, env={**os.environ, **(env or {})}, stdout=subprocess.DEVNULL)
    try:
        wait_until_ready(ready_url, timeout=timeout, process=process)
        yield process
    finally:
        # py-spy writes its file on SIGINT; the server itself stops on either signal.
        process.send_signal(signal.SIGINT) if profile is not None else process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def rss_mb(pid: int) -> float:
    """Resident set size of a process, from ``/proc/<pid>/status`` (VmRSS, kB)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def run_load(url: str, bodies_file: Path, *, concurrency: int, headers: dict[str, str]) -> dict[str, float]:
    """Post every body of ``bodies_file`` to ``url`` from a separate process (``load.py``); its summary."""
    command = [
        sys.executable,
        str(BENCH_DIR / "load.py"),
        "--url",
        url,
        "--bodies",
        str(bodies_file),
        "--concurrency",
        str(concurrency),
        "--headers",
        json.dumps(headers),
    ]
    output = subprocess.run(command, check=True, capture_output=True, text=True, timeout=600).stdout
    return dict(json.loads(output.strip().splitlines()[-1]))
