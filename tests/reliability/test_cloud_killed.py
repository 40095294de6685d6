"""kill -9 on the cloud while its outbox is delivering a burst of case events to the connector.

The cloud runs as its own process (its delivery worker on) over the loop's database, keys and certificate.
It is killed mid-burst, stays dead while the agent keeps replying, and is started again: every event is
then applied once and in order, every reply the connector acknowledged before the kill is there, and the
replies refused while it was dead land once when retried with their clientMessageId.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx

from m365bridge.shared.tls import ServerCertificate
from tests.e2e.loop import API, Loop, eventually, start_loop
from tests.reliability.conftest import soak_size


def test_cloud_killed_mid_delivery_loses_and_repeats_nothing(tmp_path: Path, tls: ServerCertificate) -> None:
    events = soak_size("kill_events", 120)
    loop = start_loop("basic", tmp_path, tls)
    try:
        incident = loop.new_incident()
        case = loop.escalate(incident)
        case_id, case_sys_id = case["caseId"], case["sys_id"]
        eventually(lambda: loop.all_delivered(case_id), 30, "the case's first events delivered")
        assert loop.worker_stop is not None
        loop.worker_stop.set()  # the burst waits for the cloud process's worker
        before = loop.delivered_count()
        for n in range(events):
            loop.engineer_reply(case_id, f"engineer update {n}")

        loop.start_cloud_process()
        replies = [f"agent reply {n}" for n in range(6)]
        message_ids = {body: uuid.uuid4().hex for body in replies}
        acknowledged = [body for body in replies[:3] if _reply(loop, case_sys_id, body, message_ids[body])]
        assert acknowledged == replies[:3]
        eventually(lambda: loop.delivered_count() >= before + events // 10, 30, "delivery under way")
        loop.kill_cloud_process()
        delivered_at_kill = loop.delivered_count() - before
        assert delivered_at_kill < events, "the burst was over before the kill; make it larger"

        refused = [body for body in replies[3:] if not _reply(loop, case_sys_id, body, message_ids[body])]
        assert refused == replies[3:]
        loop.start_cloud_process()
        for body in refused:
            assert _reply(loop, case_sys_id, body, message_ids[body])

        loop.assert_exactly_once_in_order(case_id)
        assert loop.delivered_count() - before == events  # agent replies are not events
        notes = reversed(loop.work_notes(incident))  # the journal lists the newest first
        received = [n.rsplit("\n\n", 1)[-1] for n in notes if "engineer update" in n]
        assert received == [f"engineer update {n}" for n in range(events)]
        assert [m for m in loop.engineer_sees(case_id) if m.startswith("agent reply")] == replies
    finally:
        loop.close()


def _reply(loop: Loop, case_sys_id: str, body: str, message_id: str) -> bool:
    """True when the connector acknowledged the reply (the support service took it)."""
    try:
        with loop.agent() as client:
            answer = client.post(
                f"{API}/cases/{case_sys_id}/messages", json={"body": body, "clientMessageId": message_id}
            )
    except httpx.HTTPError:
        return False
    return answer.status_code == 201
