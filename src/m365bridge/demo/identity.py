"""The demo's Entra side: the Contoso tenant and the three app registrations the setup guide asks for."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from m365bridge.cloud.context import CloudContext
from m365bridge.cloud.identity import service
from m365bridge.cloud.identity.models import AppRegistration
from m365bridge.cloud.identity.resources import GRAPH_RESOURCE, SUPPORT_RESOURCE
from m365bridge.demo.record import DemoRecord
from m365bridge.shared.db import transaction

DEMO_DOMAIN = "contoso.onmicrosoft.com"
REST_API_ROLE = "Connector.ReadWrite.All"


@dataclass(frozen=True)
class DemoApp:
    role: str
    display_name: str
    app_id_uri: str | None = None
    defines: tuple[str, ...] = ()


DEMO_APPS = (
    DemoApp("outbound", "Microsoft 365 support outbound"),
    DemoApp("rest_api", "Microsoft 365 support REST API", "api://{client_id}", (REST_API_ROLE,)),
    DemoApp("rest_user", "Microsoft 365 support REST user"),
)


def provision_identity(record: DemoRecord, cloud: CloudContext) -> None:
    """Create (or find) the tenant and apps; every start adds a fresh secret per app and records it.

    Secrets added by earlier starts stay valid, so anything configured with them keeps working.
    """
    with transaction(cloud.sessions, write=True) as session:
        tenant = service.find_tenant(session, DEMO_DOMAIN) or service.create_tenant(
            session, DEMO_DOMAIN, display_name="Contoso"
        )
        apps = {demo.role: _app(session, tenant.id, demo) for demo in DEMO_APPS}
        service.grant_app_roles(
            session, apps["outbound"], GRAPH_RESOURCE, ["ServiceHealth.Read.All", "ServiceMessage.Read.All"]
        )
        service.grant_app_roles(session, apps["outbound"], SUPPORT_RESOURCE, ["Support.ReadWrite.All"])
        service.grant_app_roles(session, apps["rest_user"], apps["rest_api"].client_id, [REST_API_ROLE])
        record.tenant = {"id": tenant.id, "domain": tenant.domain}
        for role, app in apps.items():
            record.apps[role] = {
                "client_id": app.client_id,
                "client_secret": service.add_client_secret(session, app, display_name="demo"),
                "app_id_uri": app.app_id_uri or "",
            }


def _app(session: Session, tenant_id: str, demo: DemoApp) -> AppRegistration:
    existing = next(
        (app for app in service.list_apps(session, tenant_id) if app.display_name == demo.display_name), None
    )
    return existing or service.create_app_registration(
        session, tenant_id, demo.display_name, app_id_uri=demo.app_id_uri, roles=demo.defines
    )
