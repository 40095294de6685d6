"""Test connection, the cloud's half: log in to a repository's Endpoint and call its probe path."""

from __future__ import annotations

from m365bridge.cloud.cases.client import ConnectorClient, ConnectorError
from m365bridge.cloud.cases.connector_auth import ConnectorAuth
from m365bridge.cloud.cases.delivery import shared_http
from m365bridge.cloud.context import CloudContext
from m365bridge.cloud.integration.models import BASIC_AUTH, SupportRepository
from m365bridge.cloud.integration.schemas import ProbeOut
from m365bridge.shared.orm import utcnow
from m365bridge.shared.secretbox import SecretBoxError


def run(context: CloudContext, target: SupportRepository) -> ProbeOut:
    if not target.deliverable:
        return ProbeOut(
            ok=False, step="token", message="This repository is Insights only: its Endpoint is not a URL."
        )
    client = ConnectorClient(shared_http(context))
    auth = ConnectorAuth(context, client, utcnow)
    how = "password grant at /oauth_token.do" if target.auth_type == BASIC_AUTH else "AAD client credentials"
    try:
        bearer = auth.bearer(target, fresh=True)
    except (ConnectorError, SecretBoxError) as exc:
        return ProbeOut(
            ok=False,
            step="token",
            status_code=getattr(exc, "status_code", None),
            message=f"Could not get a token ({how}): {exc}. Check the repository's Client ID, secret, "
            "Rest username and password.",
        )
    try:
        code = client.probe(target.endpoint, bearer)
    except ConnectorError as exc:
        return ProbeOut(
            ok=False,
            step="probe",
            status_code=exc.status_code,
            message=f"Got a token, but GET {target.endpoint}/probe failed: {exc}",
        )
    return ProbeOut(ok=True, step="done", status_code=code, message=f"{target.endpoint} accepted the token.")
