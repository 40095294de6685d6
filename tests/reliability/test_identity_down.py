"""The identity service is unreachable just as the connector's cached tokens expire.

The connector's token skew is larger than any token's lifetime, so every cached token already counts as
expired and each outbound call must fetch a new one; the token URL goes through a fault proxy that refuses
connections for a while. Calls made meanwhile fail with the retriable error (503, and a line in the outbound
HTTP log); once identity is back, the agent's retries with the same keys land once each, and the engineer's
updates sent during the outage (the support service calls the connector with the connector's own tokens,
not Entra's) are all there, once and in order.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx
from sqlalchemy import select

from m365bridge.connector.logs.http_log import OutboundHttpRequest
from m365bridge.shared.db import transaction
from m365bridge.shared.tls import ServerCertificate
from tests.e2e.loop import API, Loop, LoopPorts, start_loop
from tests.reliability.conftest import soak_size
from tests.support.faultproxy import FaultProxy

NEVER_FRESH = 10**9  # seconds of skew: more than any token lives, so no cached token is ever reused


def test_identity_unreachable_while_tokens_expire_fails_retriably_and_loses_nothing(
    tmp_path: Path, tls: ServerCertificate, proxies: list[FaultProxy]
) -> None:
    updates = soak_size("identity_updates", 10)
    ports = LoopPorts()
    to_identity = FaultProxy(("127.0.0.1", ports.cloud)).start()
    proxies.append(to_identity)
    ports.cloud_routes["identity_url"] = to_identity.port
    overrides = {"token_expiry_skew_seconds": NEVER_FRESH}
    loop = start_loop("basic", tmp_path, tls, ports=ports, connector_overrides=overrides)
    try:
        incident = loop.new_incident()
        case = loop.escalate(incident)
        case_id, case_sys_id = case["caseId"], case["sys_id"]
        fetched_before = to_identity.stats.connections

        to_identity.refuse()
        replies = [f"agent reply {n}" for n in range(3)]
        message_ids = {body: uuid.uuid4().hex for body in replies}
        for body in replies:
            answer = _reply(loop, case_sys_id, body, message_ids[body])
            assert answer.status_code == 503, answer.text
            assert "cannot reach the token URL" in answer.json()["error"]["detail"], answer.text
        second_incident = loop.new_incident("Teams meetings drop")
        key = uuid.uuid4().hex
        assert _escalate(loop, second_incident, key).status_code == 503
        for n in range(updates):
            loop.engineer_reply(case_id, f"engineer update {n}")
        failed_fetches = _failed_token_requests(loop)
        assert len(failed_fetches) >= len(replies) + 1
        assert all("/oauth2/token" in url for url, _ in failed_fetches)

        to_identity.pass_through()
        for body in replies:  # the agent retries each with its clientMessageId, twice for good measure
            assert _reply(loop, case_sys_id, body, message_ids[body]).status_code == 201
            assert _reply(loop, case_sys_id, body, message_ids[body]).status_code == 201
        first = _escalate(loop, second_incident, key)
        again = _escalate(loop, second_incident, key)
        assert first.status_code == again.status_code == 201, first.text
        assert first.json()["result"]["caseId"] == again.json()["result"]["caseId"]

        assert [m for m in loop.engineer_sees(case_id) if m.startswith("agent reply")] == replies
        loop.assert_exactly_once_in_order(case_id)
        notes = reversed(loop.work_notes(incident))  # the journal lists the newest first
        received = [n.rsplit("\n\n", 1)[-1] for n in notes if "engineer update" in n]
        assert received == [f"engineer update {n}" for n in range(updates)]
        # Tokens were really fetched anew after the outage, not served from a cache.
        assert to_identity.stats.connections > fetched_before
    finally:
        loop.close()


def _reply(loop: Loop, case_sys_id: str, body: str, message_id: str) -> httpx.Response:
    with loop.agent() as client:
        return client.post(
            f"{API}/cases/{case_sys_id}/messages", json={"body": body, "clientMessageId": message_id}
        )


def _escalate(loop: Loop, incident_sys_id: str, key: str) -> httpx.Response:
    body = {
        "title": "Meetings drop",
        "description": "Teams meetings drop after ten minutes.",
        "contact": {"name": "Ada Agent", "email": "ada@contoso.com", "phone": "+1 555 0100"},
        "preferredContactMethod": "email",
    }
    with loop.agent() as client:
        url = f"{API}/incidents/{incident_sys_id}/cases"
        return client.post(url, json=body, headers={"Idempotency-Key": key})


def _failed_token_requests(loop: Loop) -> list[tuple[str, str]]:
    """(url, error) of the outbound HTTP log's token requests that got no answer."""
    with transaction(loop.connector.sessions) as session:
        rows = session.execute(
            select(OutboundHttpRequest.url, OutboundHttpRequest.error).where(
                OutboundHttpRequest.source == "oauth_token", OutboundHttpRequest.error.is_not(None)
            )
        ).all()
    return [(url, error) for url, error in rows]
