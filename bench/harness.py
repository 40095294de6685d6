"""What every bench script shares: result lines, server subprocesses, readiness polling, RSS.

Every script prints its figures as it goes and, for each target it checks, one machine-readable line

    BENCH {"what": ..., "figure": ..., "baseline": ..., "ratio": ..., "target": ..., "passed": ...}

that ``run_all.py`` collects into one table. The machine is shared, so every figure sits beside a baseline
measured in the same run.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx

BENCH_DIR = Path(__file__).resolve().parent
SCRIPTS_DIR = BENCH_DIR.parent / "scripts"
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

    With ``profile``, py-spy (dev extra) samples the server's GIL holder, whichever thread it is, into that
    file (collapsed stacks headed by the thread, one line per stack with its sample count), written when
    the server is stopped.
    """
    command = [sys.executable, *args]
    if profile is not None:
        spy = str(Path(sys.executable).with_name("py-spy"))
        # --gil: only the thread holding the GIL, i.e. where the one core a Python process can use goes.
        record = ["record", "--nonblocking", "--format", "raw", "--rate", "250", "--gil", "--threads"]
        record += ["--output", str(profile)]
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


def served_pid(process: subprocess.Popen[bytes]) -> int:
    """The server's own pid, for its RSS and CPU: under ``profile`` that is py-spy's child."""
    if Path(str(process.args[0])).name == "py-spy":  # type: ignore[index]
        children = Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split()
        if children:
            return int(children[0])
    return process.pid


def rss_mb(pid: int) -> float:
    """Resident set size of a process, from ``/proc/<pid>/status`` (VmRSS, kB)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system, every thread) a process has used so far, from ``/proc/<pid>/stat``."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_load(
    url: str, bodies_file: Path, *, concurrency: int, headers: dict[str, str], loader: str = "auto"
) -> dict[str, Any]:
    """Post every body of ``bodies_file`` to ``url`` from a separate process; its summary (``ok``,
    ``statuses``, ``retries``, ``seconds``, ``rate``, ``p50_ms``, ``p95_ms``, ``loader``).

    ``loader="auto"``: wrk (``post_lines.lua``) when it is installed or ``scripts/ensure-wrk.sh`` can
    install it; otherwise ``load.py`` (a Python asyncio client, which takes a good share of the same CPUs),
    with a note saying so. ``"wrk"`` or ``"python"`` force one.
    """
    if loader == "wrk" or (loader == "auto" and ensure_wrk()):
        return _run_wrk(url, bodies_file, concurrency=concurrency, headers=headers)
    command = [sys.executable, str(BENCH_DIR / "load.py"), "--url", url, "--bodies", str(bodies_file)]
    command += ["--concurrency", str(concurrency), "--headers", json.dumps(headers)]
    output = subprocess.run(command, check=True, capture_output=True, text=True, timeout=600).stdout
    return {**json.loads(output.strip().splitlines()[-1]), "loader": "load.py"}


@functools.cache
def ensure_wrk() -> bool:
    """Whether wrk can be used, installing it once (``scripts/ensure-wrk.sh``) when missing."""
    if shutil.which("wrk") is None:
        installed = subprocess.run([str(SCRIPTS_DIR / "ensure-wrk.sh")], capture_output=True, text=True)
        if installed.returncode != 0 or shutil.which("wrk") is None:
            reason = installed.stderr.strip().splitlines()[-1:] or ["unknown reason"]
            print(
                f"note: wrk unavailable ({reason[0]}); falling back to bench/load.py, a Python client "
                "that competes with the servers for the same CPUs",
                flush=True,
            )
            return False
    return True


def _run_wrk(url: str, bodies_file: Path, *, concurrency: int, headers: dict[str, str]) -> dict[str, Any]:
    """wrk with one connection per thread; stopped (SIGINT) once every thread has posted its share,
    since wrk itself always waits out its ``-d`` duration."""
    lines = sum(1 for line in bodies_file.read_text().splitlines() if line.strip())
    threads = max(1, min(concurrency, lines))
    command = ["wrk", "-t", str(threads), "-c", str(threads), "-d", "600s", "--timeout", "30s"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    command += ["-s", str(BENCH_DIR / "post_lines.lua"), url, "--", str(bodies_file), str(threads)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert process.stderr is not None
    finished = 0
    for line in process.stderr:
        finished += line.strip() == "finished"
        if finished == threads:
            break
    process.send_signal(signal.SIGINT)
    output, errors = process.communicate(timeout=60)
    summary_lines = [line for line in output.splitlines() if line.startswith("{")]
    if not summary_lines:
        raise RuntimeError(f"wrk printed no summary: {output[-500:]} {errors[-500:]}")
    return {**json.loads(summary_lines[-1]), "loader": "wrk"}
