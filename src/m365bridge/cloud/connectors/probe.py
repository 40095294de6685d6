"""Test connection, the cloud's half: log in to a connector's Endpoint and call its probe path."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from m365bridge.cloud.connectors.auth import ConnectorAuth
from m365bridge.cloud.connectors.client import ConnectorClient, ConnectorError, shared_http
from m365bridge.cloud.connectors.target import BASIC_AUTH, Target
from m365bridge.cloud.context import CloudContext
from m365bridge.shared.orm import utcnow
from m365bridge.shared.secretbox import SecretBoxError


@dataclass(frozen=True)
class ProbeResult:
    ok: bool
    step: Literal["token", "probe", "done"]
    message: str
    status_code: int | None = None


def run(context: CloudContext, target: Target) -> ProbeResult:
    if not target.deliverable:
        return ProbeResult(
            ok=False, step="token", message="This repository is Insights only: its Endpoint is not a URL."
        )
    client = ConnectorClient(shared_http(context))
    auth = ConnectorAuth(context, client, utcnow)
    how = "password grant at /oauth_token.do" if target.auth_type == BASIC_AUTH else "AAD client credentials"
    try:
        bearer = auth.bearer(target, fresh=True)
    except (ConnectorError, SecretBoxError) as exc:
        return ProbeResult(
            ok=False,
            step="token",
            status_code=getattr(exc, "status_code", None),
            message=f"Could not get a token ({how}): {exc}. Check the repository's Client ID, secret, "
            "Rest username and password.",
        )
    try:
        code = client.probe(target.endpoint, bearer)
    except ConnectorError as exc:
        return ProbeResult(
            ok=False,
            step="probe",
            status_code=exc.status_code,
            message=f"Got a token, but GET {target.endpoint}/probe failed: {exc}",
        )
    return ProbeResult(
        ok=True, step="done", status_code=code, message=f"{target.endpoint} accepted the token."
    )
