"""The documented commands work on a running demo as written (issue 15, item 16), and read-only commands
create nothing on a folder without a connector (item 17)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from m365bridge.demo.runner import start_demo
from m365bridge.shared.serving import free_port

M365BRIDGE = str(Path(sys.executable).parent / "m365bridge")


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The CLI as a user runs it: its own process, no M365BRIDGE_* variables, a wide terminal."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("M365BRIDGE_")}
    env.update(COLUMNS="200", NO_COLOR="1")
    return subprocess.run(
        [M365BRIDGE, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=180, check=False
    )


def doctor_outcomes(output: str) -> dict[int, str]:
    """Troubleshooting row number -> the outcome of the check that covers it, read from the doctor's table."""
    outcomes: dict[int, str] = {}
    for line in output.splitlines():
        cells = [cell.strip() for cell in line.split("│")]
        if len(cells) < 4 or not cells[2].startswith("#"):
            continue
        for row in re.findall(r"#(\d+)", cells[2]):
            outcomes[int(row)] = cells[3]
    return outcomes


def test_the_documented_doctor_command_passes_its_live_rows_against_the_demo(tmp_path):
    servers = start_demo(
        mode="basic", data_dir=tmp_path / "demo-data", cloud_port=free_port(), connector_port=free_port()
    )
    try:
        # docs/troubleshooting.md, from the folder `make demo` ran in: only --data-dir, nothing else.
        result = run_cli("connector", "doctor", "--data-dir", "demo-data/connector", cwd=tmp_path)
    finally:
        for server in servers:
            server.stop()
    outcomes = doctor_outcomes(result.stdout)
    assert "certificate verify failed" not in result.stdout
    for row in (9, 11, 13):
        assert outcomes.get(row) == "passed", (row, result.stdout, result.stderr)


def test_the_demo_keeps_its_secrets_owner_only_whatever_the_umask(tmp_path):
    previous = os.umask(0o022)  # the usual umask, under which the demo used to write 0644 / 0755
    try:
        servers = start_demo(
            mode="basic", data_dir=tmp_path / "demo-data", cloud_port=free_port(), connector_port=free_port()
        )
    finally:
        os.umask(previous)
    for server in servers:
        server.stop()
    data = tmp_path / "demo-data"
    for folder in (data, data / "tls", data / "cloud", data / "connector"):
        assert folder.stat().st_mode & 0o777 == 0o700, folder
    for secret in (
        data / "demo.json",
        data / "tls" / "ca-key.pem",
        data / "cloud" / "secret.key",
        data / "connector" / "secret.key",
        data / "connector" / "settings.env",
    ):
        assert secret.stat().st_mode & 0o777 == 0o600, secret


def test_the_doctor_on_a_mistyped_data_dir_names_it_and_creates_nothing(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    for folder in (empty, tmp_path / "demo-dta" / "connector"):
        result = run_cli("connector", "doctor", "--data-dir", str(folder), cwd=tmp_path)
        assert result.returncode != 0
        assert f"no connector database in {folder}" in " ".join(result.stderr.split())
    assert list(empty.iterdir()) == []
    assert not (tmp_path / "demo-dta").exists()
