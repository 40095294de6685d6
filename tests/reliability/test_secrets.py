"""No secret the demo made shows up where it should not: after every flow (provisioning, setup, a case with
messages both ways, token grants both ways, insights), the plaintext of each password and client secret
is absent from the captured log output, the API answers and pages fetched, and the raw bytes of both
SQLite databases (with their WAL files; the system and outbound HTTP logs are tables in them). Encrypted
columns hold Fernet tokens, so the plaintext never appears in the raw bytes."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from m365bridge.shared.tls import ServerCertificate
from tests.e2e.loop import API, start_loop

SECRET_KEYS = ("secret", "password")


def secrets_in(value: Any, key: str = "") -> Iterator[str]:
    """Every string under a key naming a secret, anywhere in the demo record."""
    if isinstance(value, dict):
        for name, item in value.items():
            yield from secrets_in(item, str(name))
    elif isinstance(value, list):
        for item in value:
            yield from secrets_in(item, key)
    elif isinstance(value, str) and any(word in key.lower() for word in SECRET_KEYS) and len(value) >= 8:
        yield value


@pytest.mark.sqlite
@pytest.mark.parametrize("mode", ["basic", "aad"])
def test_no_secret_in_logs_answers_pages_or_database_files(
    mode: str, tmp_path: Path, tls: ServerCertificate, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    loop = start_loop(mode, tmp_path, tls)
    seen: list[str] = []
    try:
        secrets = set(secrets_in(loop.record.as_json()))
        assert secrets, "the demo record names no secrets: the scan would prove nothing"
        incident = loop.new_incident()
        case = loop.escalate(incident)
        loop.engineer_reply(case["caseId"], "Please send the message trace.")
        with loop.agent() as agent:
            reply = {"body": "Attached.", "clientMessageId": "m1"}
            seen.append(agent.post(f"{API}/cases/{case['sys_id']}/messages", json=reply).text)
            for path in (f"{API}/incidents/{incident}/cases", f"/api/now/table/incident/{incident}"):
                seen.append(agent.get(path).text)
        with loop.agent("admin") as admin:
            for path in ("/", "/login", "/metrics"):
                seen.append(admin.get(path).text)
        loop.assert_exactly_once_in_order(case["caseId"])
    finally:
        loop.close()
    seen.append(caplog.text)
    database_files = [p for p in tmp_path.rglob("*") if p.is_file() and ".db" in p.name]
    assert any(p.name.endswith(".db") for p in database_files)
    places = {"answers, pages and captured logs": "\n".join(seen).encode()}
    places.update({str(p): p.read_bytes() for p in database_files})
    leaks = [
        (where, secret[:3] + "…")  # enough to tell which secret, without printing it
        for secret in secrets
        for where, raw in places.items()
        if secret.encode() in raw
    ]
    assert leaks == []
