"""Tenants, app registrations and real Graph tokens, made through the identity service's own endpoint."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi.testclient import TestClient

from m365bridge.cloud.context import CloudContext
from m365bridge.cloud.identity import service as identity
from m365bridge.cloud.identity.verification import GRAPH_RESOURCE
from m365bridge.shared.db import transaction

ALL_ROLES = ("ServiceHealth.Read.All", "ServiceMessage.Read.All")


@dataclass(frozen=True)
class Caller:
    tenant_id: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def caller(
    context: CloudContext, client: TestClient, domain: str, roles: tuple[str, ...] = ALL_ROLES
) -> Caller:
    """A tenant with an app granted ``roles`` on Graph, and a client-credentials token for it."""
    with transaction(context.sessions) as session:
        tenant = identity.create_tenant(session, domain)
        app = identity.create_app_registration(session, tenant.id, "Service health reader")
        secret = identity.add_client_secret(session, app)
        if roles:
            identity.grant_app_roles(session, app, GRAPH_RESOURCE, roles)
        tenant_id, client_id = tenant.id, app.client_id
    answer = client.post(
        f"/{tenant_id}/oauth2/v2.0/token",
        data={
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": secret,
            "scope": f"{GRAPH_RESOURCE}/.default",
        },
    )
    assert answer.status_code == 200, answer.text
    return Caller(tenant_id, answer.json()["access_token"])
