"""The real cloud (identity, Graph, support service with the starter KB) served over https, and a connector
that trusts it, with its outbound OAuth provider and a stored setup in the mode a test asks for."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from m365bridge.cloud.context import CloudContext
from m365bridge.cloud.graph import importer as graph_importer
from m365bridge.cloud.identity import service as identity
from m365bridge.cloud.identity.resources import GRAPH_RESOURCE, SUPPORT_RESOURCE
from m365bridge.cloud.integration import service as integration
from m365bridge.cloud.knowledge.importer import STARTER_FOLDER, STARTER_OPTIONS, import_folder
from m365bridge.connector.context import ConnectorContext
from m365bridge.connector.registry import service as registry
from m365bridge.connector.setup.models import SINGLETON_ID, SetupState
from m365bridge.connector.setup.modes import LAST_STEP, Mode
from m365bridge.shared.db import transaction
from m365bridge.shared.orm import utcnow


@dataclass(frozen=True)
class Tenant:
    tenant_id: str
    client_id: str
    secret: str


def cloud_tenant(cloud: CloudContext, *, knowledge: bool = True) -> Tenant:
    """A tenant whose outbound app may read service health and search the support service."""
    if knowledge:
        with transaction(cloud.sessions) as session:
            import_folder(session, STARTER_FOLDER, STARTER_OPTIONS)
    with transaction(cloud.sessions) as session:
        tenant = identity.create_tenant(session, "contoso.onmicrosoft.com")
        app = identity.create_app_registration(session, tenant.id, "Outbound app")
        secret = identity.add_client_secret(session, app)
        identity.grant_app_roles(
            session, app, GRAPH_RESOURCE, ["ServiceHealth.Read.All", "ServiceMessage.Read.All"]
        )
        identity.grant_app_roles(session, app, SUPPORT_RESOURCE, ["Support.ReadWrite.All"])
        # The admin center's "Application ID to issue Auth Token": the support service accepts only this app.
        integration.save_basic_information(session, tenant.id, app_id=app.client_id)
        return Tenant(tenant.id, app.client_id, secret)


def graph_only_app(cloud: CloudContext, tenant: Tenant) -> Tenant:
    """Another app of the tenant, without the support service's role (the service answers 403)."""
    with transaction(cloud.sessions) as session:
        app = identity.create_app_registration(session, tenant.tenant_id, "Graph-only app")
        secret = identity.add_client_secret(session, app)
        identity.grant_app_roles(session, app, GRAPH_RESOURCE, ["ServiceHealth.Read.All"])
        return Tenant(tenant.tenant_id, app.client_id, secret)


def stamp(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def add_issue(cloud: CloudContext, tenant: Tenant, issue_id: str, title: str, **extra: object) -> None:
    """A Graph serviceHealthIssue on the cloud side, open unless ``extra`` says otherwise."""
    now = utcnow()
    document = {
        "@odata.type": "#microsoft.graph.serviceHealthIssue",
        "id": issue_id,
        "title": title,
        "impactDescription": f"Users may be affected: {title.lower()}.",
        "classification": "incident",
        "status": "serviceDegradation",
        "origin": "microsoft",
        "service": "Exchange Online",
        "feature": "E-Mail timely delivery",
        "featureGroup": "E-Mail and calendar access",
        "isResolved": False,
        "startDateTime": stamp(now - dt.timedelta(hours=2)),
        "lastModifiedDateTime": stamp(now - dt.timedelta(minutes=5)),
        "posts": [
            {
                "createdDateTime": stamp(now - dt.timedelta(minutes=30)),
                "postType": "regular",
                "description": {
                    "contentType": "html",
                    "content": "We're investigating. Next update by: Monday, January 8, 2024, at 9:00 PM UTC",
                },
            }
        ],
        **extra,
    }
    with transaction(cloud.sessions) as session:
        graph_importer.upsert_issue(session, tenant.tenant_id, document)


def outbound_entity(connector: ConnectorContext, cloud_url: str, tenant: Tenant) -> str:
    with transaction(connector.sessions) as session:
        return registry.create_entity(
            session,
            connector.secrets,
            name="Azure",
            client_id=tenant.client_id,
            client_secret=tenant.secret,
            token_url=f"{cloud_url}/{tenant.tenant_id}/oauth2/token",
        ).id


def store_setup(
    connector: ConnectorContext,
    *,
    mode: Mode,
    entity_id: str | None,
    cloud_url: str,
    finished: bool = True,
    confirmed: bool = True,
    feedback: bool = True,
    support_url: str | None = None,
) -> None:
    """The setup as the wizard leaves it (the wizard itself is the setup feature's to test)."""
    with transaction(connector.sessions) as session:
        state = session.get(SetupState, SINGLETON_ID) or SetupState(id=SINGLETON_ID)
        session.add(state)
        state.mode = mode.value
        state.next_step = LAST_STEP if finished else 2
        state.outbound_entity_id = entity_id
        state.graph_url = f"{cloud_url}/graph"
        state.support_url = support_url or f"{cloud_url}/support"
        state.feedback_prompts = feedback
        state.test_passed = state.confirmed = confirmed
