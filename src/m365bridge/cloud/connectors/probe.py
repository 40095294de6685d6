"""Test connection, the cloud's half: log in to a connector's Endpoint and call its probe path.

The caller is whoever holds the tenant's outbound-app token, and the Endpoint is whatever the tenant's
admin typed, so the answer must not turn the probe into a window onto the cloud's network: it says which
step failed and what to check, never what the other side answered (no status, no body) nor how the call
failed (refused, timed out, not HTTP all read the same). The details go to the cloud's own log.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Literal

from m365bridge.cloud.connectors.auth import ConnectorAuth
from m365bridge.cloud.connectors.client import ConnectorClient, ConnectorError, shared_http
from m365bridge.cloud.connectors.target import BASIC_AUTH, Target
from m365bridge.cloud.context import CloudContext
from m365bridge.shared.orm import utcnow
from m365bridge.shared.secretbox import SecretBoxError

log = logging.getLogger(__name__)


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
        log.warning("probe of %s (tenant %s): token step failed: %s", target.endpoint, target.tenant_id, exc)
        return ProbeResult(
            ok=False,
            step="token",
            message=f"Could not get a token ({how}) for {target.endpoint}. Check that the Endpoint is the "
            "connector's public https address, and the repository's Client ID, secret, Rest username and "
            "password.",
        )
    try:
        code = client.probe(target.endpoint, bearer)
    except ConnectorError as exc:
        log.warning("probe of %s (tenant %s): probe step failed: %s", target.endpoint, target.tenant_id, exc)
        return ProbeResult(
            ok=False,
            step="probe",
            message=f"Got a token, but {target.endpoint}/probe did not accept the call. Check the "
            "connector's inbound authentication and its integration user.",
        )
    return ProbeResult(
        ok=True, step="done", status_code=code, message=f"{target.endpoint} accepted the token."
    )
