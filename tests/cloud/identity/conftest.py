"""A tenant with a client app (Graph and support roles), a v1 API, a v2 API and their secrets."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from m365bridge.cloud.context import CloudContext
from m365bridge.cloud.identity import service
from m365bridge.cloud.identity.resources import GRAPH_RESOURCE, SUPPORT_RESOURCE
from m365bridge.shared.db import transaction


@dataclass
class App:
    client_id: str
    secret: str
    app_id_uri: str | None


@dataclass
class Directory:
    tenant_id: str
    domain: str
    client: App
    v1_api: App
    v2_api: App


def make_directory(context: CloudContext, domain: str) -> Directory:
    with transaction(context.sessions) as session:
        tenant = service.create_tenant(session, domain)
        client = service.create_app_registration(session, tenant.id, "Outbound")
        service.grant_app_roles(
            session, client, GRAPH_RESOURCE, ["ServiceHealth.Read.All", "ServiceMessage.Read.All"]
        )
        service.grant_app_roles(session, client, SUPPORT_RESOURCE, ["Support.ReadWrite.All"])
        v1_api = service.create_app_registration(
            session, tenant.id, "REST API", app_id_uri="api://{client_id}", roles=["Incidents.ReadWrite"]
        )
        v2_api = service.create_app_registration(
            session, tenant.id, "Modern API", app_id_uri="api://modern-api", accepted_version=2, roles=["X.Y"]
        )
        service.grant_app_roles(session, client, v2_api.client_id, ["X.Y"])
        apps = [
            App(app.client_id, service.add_client_secret(session, app), app.app_id_uri)
            for app in (client, v1_api, v2_api)
        ]
        return Directory(tenant.id, tenant.domain, *apps)


@pytest.fixture
def directory(cloud_context: CloudContext) -> Directory:
    return make_directory(cloud_context, "contoso.onmicrosoft.com")
