"""The wires between the support service and the connector are down for a while during a burst of case
events: every event the connector acknowledged, and every reply the service acknowledged, is there once
and in order afterwards."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import httpx

from m365bridge.shared.tls import ServerCertificate
from tests.e2e.loop import API, Loop, LoopPorts, eventually, start_loop
from tests.reliability.conftest import soak_size
from tests.support.faultproxy import FaultProxy


def test_support_and_connector_unreachable_during_a_burst_lose_and_repeat_nothing(
    tmp_path: Path, tls: ServerCertificate, proxies: list[FaultProxy]
) -> None:
    events, down_seconds = soak_size("events", 200), soak_size("down_seconds", 5)
    ports = LoopPorts()
    to_connector = FaultProxy(("127.0.0.1", ports.connector)).start()
    to_support = FaultProxy(("127.0.0.1", ports.cloud)).start()
    proxies += [to_connector, to_support]
    ports.connector_public = to_connector.port
    ports.cloud_routes["support_url"] = to_support.port
    loop = start_loop("basic", tmp_path, tls, ports=ports)
    try:
        incident = loop.new_incident()
        case = loop.escalate(incident)
        case_id, case_sys_id = case["caseId"], case["sys_id"]

        to_connector.refuse()
        to_support.refuse()
        down_until = time.monotonic() + down_seconds
        replies = [f"agent reply {n}" for n in range(10)]
        message_ids = {body: uuid.uuid4().hex for body in replies}
        acknowledged = {body: _reply(loop, case_sys_id, body, message_ids[body]) for body in replies[:5]}
        for n in range(events):
            loop.engineer_reply(case_id, f"engineer update {n}")
        time.sleep(max(0.0, down_until - time.monotonic()))
        to_connector.pass_through()
        to_support.pass_through()
        # The agent retries what failed with the same clientMessageId, then sends the rest.
        for body in replies:
            if not acknowledged.get(body):
                acknowledged[body] = eventually(
                    lambda b=body: _reply(loop, case_sys_id, b, message_ids[b]), 30, f"reply {body!r}"
                )

        loop.assert_exactly_once_in_order(case_id)
        notes = reversed(loop.work_notes(incident))  # the journal lists the newest first
        updates = [n.rsplit("\n\n", 1)[-1] for n in notes if "engineer update" in n]
        assert updates == [f"engineer update {n}" for n in range(events)]
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
