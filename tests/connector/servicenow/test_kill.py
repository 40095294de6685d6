"""kill -9 in the middle of the adapter's work, then a restart: nothing lost, nothing doubled.

A subprocess (``worker.py``) is the connector; it is SIGKILLed between a work note's PATCH and the outbox's
bookkeeping, or between a poll page's handling and its stored watermark, and started again.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

from m365bridge.connector.context import ConnectorContext
from m365bridge.connector.servicedesk import desk_for
from m365bridge.connector.servicedesk.port import WorkNote
from m365bridge.connector.servicenow import runner
from m365bridge.connector.servicenow.auth import AuthType
from m365bridge.connector.servicenow.desk import marker
from m365bridge.shared.db import transaction
from tests.connector.servicenow.conftest import StandIn, connect
from tests.connector.servicenow.test_adapter import create_on_instance, journal, use
from tests.connector.servicenow.test_stand_in import make_incidents

ROOT = Path(__file__).parents[3]


def run_worker(bridge: ConnectorContext, *args: str) -> int:
    command = [
        sys.executable,
        "-m",
        "tests.connector.servicenow.worker",
        *args,
        "--data-dir",
        str(bridge.settings.data_dir),
        "--ca-bundle",
        str(bridge.settings.ca_bundle),
    ]
    if bridge.settings.database_url:
        command += ["--database-url", bridge.settings.database_url]
    return subprocess.run(command, cwd=ROOT, timeout=120, check=False).returncode


def test_kill_9_between_each_work_note_and_its_bookkeeping_neither_doubles_nor_loses_one(
    bridge: ConnectorContext, stand_in: StandIn
) -> None:
    incident = create_on_instance(stand_in, "Teams meeting recordings missing")
    connect(bridge, stand_in, AuthType.BASIC)
    use(bridge)
    notes = [WorkNote(incident["sys_id"], f"Update {n}", "system", key=f"case:{n}") for n in range(4)]
    with transaction(bridge.sessions, write=True) as session:
        desk_for(bridge).add_work_notes(session.connection(), notes)

    codes = []
    for restart in range(len(notes) + 2):
        # Each start comes after the claim's lease, as a restart minutes later would.
        codes.append(run_worker(bridge, "deliver", "--clock-minutes", str(3 * (restart + 1))))
        if codes[-1] == 0:
            break

    assert codes == [-signal.SIGKILL] * len(notes) + [0]  # killed after every single write
    written = journal(stand_in, incident["sys_id"])
    assert written == [f"Update {n}\n\n{marker(f'case:{n}')}" for n in range(4)]


def test_kill_9_in_the_middle_of_a_multi_page_poll_then_restart_handles_every_change(
    bridge: ConnectorContext, stand_in: StandIn, tmp_path: Path
) -> None:
    connect(bridge, stand_in, AuthType.BASIC)
    use(bridge)
    runner.sync_once(bridge)  # the (empty) history: from here on, changes reach the handlers
    ids = make_incidents(stand_in, 23, seconds=4)
    handled = tmp_path / "handled.txt"

    killed = run_worker(bridge, "poll", "--handled", str(handled), "--kill-at-page", "3", "--page-size", "5")
    pages_before = handled.read_text().splitlines()
    finished = run_worker(bridge, "poll", "--handled", str(handled), "--page-size", "5")

    assert (killed, finished) == (-signal.SIGKILL, 0)
    assert len(pages_before) == 3
    seen = Counter(handled.read_text().split())
    assert set(seen) == set(ids)  # nothing lost
    # Doubled at most: the page in hand when it died (handled, its watermark not yet stored).
    assert sorted(sys_id for sys_id, n in seen.items() if n > 1) == sorted(pages_before[2].split())
    assert max(seen.values()) == 2
