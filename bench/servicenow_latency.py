"""From an incident's creation on the ServiceNow instance to its insights work note: polling and push.

    python bench/servicenow_latency.py [--incidents 20] [--poll-seconds 5] [--quick]

Runs ``m365bridge demo --itsm servicenow`` in a process of its own (the cloud, the connector, and the
stand-in instance, each over https on loopback, with the connector's runner polling every
``--poll-seconds``). Then, as the instance's agent would, it creates incidents through the instance's Table
API, one at a time, each about a problem with a live service health issue, and times until the
connector's work note can be read back from the instance's journal (``sys_journal_field``, polled every
20 ms). Twice: with polling alone, and with push, where right after the creation it makes the call the
documented business rule's outbound REST message makes (``POST …/servicenow/changes``, Basic auth as the
connector's integration account). Prints p50 and p95 for each, side by side.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from harness import Result

PROBLEMS = (
    "Users can't send mail from Outlook on the web",
    "Outlook on the web: Send does nothing, mail stays in Drafts",
    "Teams meeting recordings are missing",
    "Recordings of Teams meetings not available after the meeting",
)
PUSH = "/api/x_mioms_m365_assis/v1/servicenow/changes"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_demo(data_dir: Path, poll_seconds: float) -> tuple[subprocess.Popen[bytes], dict[str, Any]]:
    ports = {"--cloud-port": free_port(), "--connector-port": free_port(), "--instance-port": free_port()}
    command = [str(Path(sys.executable).with_name("m365bridge")), "demo", "--data-dir", str(data_dir)]
    command += ["--itsm", "servicenow"] + [str(x) for pair in ports.items() for x in pair]
    env = {**os.environ, "M365BRIDGE_CONNECTOR_SERVICENOW_POLL_SECONDS": str(poll_seconds)}
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    record_file = data_dir / "demo.json"
    deadline = time.monotonic() + 180
    while not record_file.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise SystemExit(f"the demo did not start (exit {process.returncode})")
        time.sleep(0.2)
    time.sleep(0.5)  # demo.json is written just before the servers say ready
    return process, json.loads(record_file.read_text())


class Instance:
    def __init__(self, record: dict[str, Any]) -> None:
        snow = record["servicenow"]
        self.verify = ssl.create_default_context(cafile=record["ca_bundle"])
        agent, admin = snow["users"]["agent"], snow["users"]["admin"]
        url = snow["instance_url"]
        self.agent = httpx.Client(
            base_url=url, auth=(agent["user_name"], agent["password"]), verify=self.verify
        )
        self.admin = httpx.Client(
            base_url=url, auth=(admin["user_name"], admin["password"]), verify=self.verify
        )
        push_user = record["users"]["integration"]
        self.connector = httpx.Client(
            base_url=record["connector_url"],
            auth=(push_user["user_name"], push_user["password"]),
            verify=self.verify,
        )

    def create(self, short_description: str) -> str:
        answer = self.agent.post("/api/now/table/incident", json={"short_description": short_description})
        answer.raise_for_status()
        return str(answer.json()["result"]["sys_id"])

    def push(self, sys_id: str) -> None:
        self.connector.post(PUSH, json={"sys_id": sys_id}).raise_for_status()

    def has_work_note(self, sys_id: str) -> bool:
        query = f"element_id={sys_id}^element=work_notes"
        answer = self.admin.get(
            "/api/now/table/sys_journal_field", params={"sysparm_query": query, "sysparm_limit": "1"}
        )
        answer.raise_for_status()
        return bool(answer.json()["result"])

    def close(self) -> None:
        for client in (self.agent, self.admin, self.connector):
            client.close()


def measure(
    instance: Instance, count: int, *, push: bool, timeout: float, poll_seconds: float
) -> list[float]:
    """Creations one after the other, each after a random pause within one poll interval: a creation right
    after the previous note would always land just after a pass (the runner's phase) and wait the longest."""
    pauses = random.Random(13)
    waits = []
    for n in range(count):
        time.sleep(pauses.uniform(0, poll_seconds))
        started = time.perf_counter()
        sys_id = instance.create(f"{PROBLEMS[n % len(PROBLEMS)]} ({'push' if push else 'poll'} {n})")
        if push:
            instance.push(sys_id)
        while not instance.has_work_note(sys_id):
            if time.perf_counter() - started > timeout:
                raise SystemExit(f"no work note on {sys_id} after {timeout:.0f} s")
            time.sleep(0.02)
        waits.append(time.perf_counter() - started)
    return waits


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--incidents", type=int, default=20, help="incidents per way (default 20)")
    parser.add_argument("--poll-seconds", type=float, default=5.0)
    parser.add_argument("--quick", action="store_true", help="4 incidents per way (the smoke test)")
    args = parser.parse_args()
    count = 4 if args.quick else args.incidents
    with tempfile.TemporaryDirectory(prefix="m365bridge-latency-") as folder:
        process, record = start_demo(Path(folder) / "demo", args.poll_seconds)
        instance = Instance(record)
        try:
            timeout = args.poll_seconds * 4 + 60
            polled = measure(instance, count, push=False, timeout=timeout, poll_seconds=args.poll_seconds)
            pushed = measure(instance, count, push=True, timeout=timeout, poll_seconds=args.poll_seconds)
        finally:
            instance.close()
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
    print(f"incident created on the instance -> insights work note on it ({count} incidents each way)")
    print(f"{'way':<24}{'p50':>10}{'p95':>10}")
    for name, waits in ((f"poll every {args.poll_seconds:g} s", polled), ("push + poll", pushed)):
        print(f"{name:<24}{statistics.median(waits):>9.2f}s{p95(waits):>9.2f}s")
    poll_p50, poll_p95 = statistics.median(polled), p95(polled)
    push_p50, push_p95 = statistics.median(pushed), p95(pushed)
    Result(
        what="ServiceNow: incident created -> insights work note (push beside polling)",
        figure=f"push p50 {push_p50:.2f} s, p95 {push_p95:.2f} s",
        baseline=f"poll every {args.poll_seconds:g} s: p50 {poll_p50:.2f} s, p95 {poll_p95:.2f} s",
        ratio=round(push_p50 / poll_p50, 3) if poll_p50 else None,
        target=f"polling within one interval plus a pass (p95 <= {args.poll_seconds + 5:g} s); push faster",
        passed=poll_p95 <= args.poll_seconds + 5 and push_p50 < poll_p50,
    ).emit()


if __name__ == "__main__":
    main()
