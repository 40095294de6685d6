"""The demo's setup, end to end for every mode: registrations on the connector, the cloud side's support
integration settings, then the connector's own non-interactive setup and Test connection.

Each side is changed only through its own services; the connector learns the cloud's values the way an
admin would, from the setup file this module writes in memory.
"""

from __future__ import annotations

from contextlib import suppress
from typing import Any

from sqlalchemy.orm import Session

from m365bridge.cloud.connectors.client import outbound_policy
from m365bridge.cloud.context import CloudContext
from m365bridge.cloud.integration import service as integration
from m365bridge.cloud.integration.models import AAD_AUTH, BASIC_AUTH
from m365bridge.cloud.integration.service import RepositoryInput
from m365bridge.connector.auth.oauth import service as oauth_service
from m365bridge.connector.auth.oidc import service as oidc_service
from m365bridge.connector.context import ConnectorContext
from m365bridge.connector.registry import repository as registry_repository
from m365bridge.connector.registry import service as registry
from m365bridge.connector.setup.modes import Mode, parse_mode
from m365bridge.connector.setup.noninteractive import run_setup
from m365bridge.connector.setup.service import endpoint
from m365bridge.connector.users import repository as users
from m365bridge.connector.users import service as user_service
from m365bridge.connector.users.roles import ADMIN, APP_ADMINISTRATOR, INCIDENT_MANAGER, INSIGHTS_USER, ITIL
from m365bridge.demo.record import DemoRecord
from m365bridge.shared.db import transaction
from m365bridge.shared.errors import NotFound
from m365bridge.shared.tokens import new_token

REPOSITORY_ID = "contoso-servicenow"
OUTBOUND_ENTITY = "Azure"
OAUTH_CLIENT = "Microsoft 365 support"
OIDC_PROVIDER = "Contoso Azure"
INTEGRATION_USER = "m365_integration"
PEOPLE = {
    "admin": (ADMIN,),
    "agent": (ITIL, INSIGHTS_USER),
    "escalation": (ITIL, APP_ADMINISTRATOR),
}


def provision_connector_setup(record: DemoRecord, cloud: CloudContext, connector: ConnectorContext) -> None:
    """Make every registration the record's mode needs, run setup and Test connection; fail loudly."""
    mode = parse_mode(record.mode)
    if not PEOPLE.keys() <= record.users.keys():  # ``provision`` makes them beforehand, beside the cloud
        record.users.update(provision_connector_people(connector, mode))
    with transaction(connector.sessions, write=True) as session:  # a restart's health runner writes too
        _outbound_entity(session, connector, record)
        inbound = connector_registrations(session, mode, record)
    cloud_settings(cloud, connector, mode, record, inbound)
    outcome = run_setup(connector, mode, setup_file(mode, record, inbound))
    record.extra["endpoint"] = endpoint(connector)
    record.extra["setup"] = {
        "confirmed": outcome.confirmed,
        "values": dict(outcome.values.rows()),
    }
    if not outcome.confirmed:
        failures = [s.message for s in outcome.steps if not s.ok]
        failures += [c.message for c in (outcome.report.checks if outcome.report else []) if not c.ok]
        raise RuntimeError(f"demo setup ({mode.value}) did not complete: {'; '.join(failures)}")


def provision_connector_people(connector: ConnectorContext, mode: Mode) -> dict[str, dict[str, Any]]:
    """The connector's demo users, and Basic mode's integration user, each with a fresh password.

    They need nothing from the cloud side, so ``provision`` makes them in a thread of its own while the
    cloud side is provisioned: most of the time is argon2 hashing, which runs outside the GIL. Each user is
    its own write transaction, holding SQLite's write lock from the start (on a restart the connector's
    service health runner writes meanwhile) but only for one hash.
    """
    wanted = {name: (name, roles, False) for name, roles in PEOPLE.items()}
    if mode is Mode.BASIC:
        wanted["integration"] = (INTEGRATION_USER, (INCIDENT_MANAGER,), True)
    people = {}
    for key, (user_name, roles, web_service_only) in wanted.items():
        with transaction(connector.sessions, write=True) as session:
            people[key] = person(session, user_name, roles, web_service_only=web_service_only)
    return people


def person(
    session: Session, user_name: str, roles: tuple[str, ...], *, web_service_only: bool = False
) -> dict[str, Any]:
    """A connector user with a fresh password each start (only its hash is stored)."""
    password = new_token(12)
    user = users.by_user_name(session, user_name)
    if user is None:
        user = user_service.create_user(
            session,
            user_name,
            password=password,
            name=user_name.replace("_", " ").title(),
            email=f"{user_name}@contoso.com",
            roles=roles,
            web_service_access_only=web_service_only,
        )
    else:
        user_service.set_password(session, user, password)
    return {"user_name": user_name, "password": password, "roles": sorted(user.roles)}


def _outbound_entity(session: Session, connector: ConnectorContext, record: DemoRecord) -> None:
    """The outbound app as the connector's OAuth provider, remade each start (the cloud's port may move)."""
    if registry_repository.find_entity_by_name(session, OUTBOUND_ENTITY) is not None:
        registry.delete_entity(session, OUTBOUND_ENTITY)
    outbound = record.apps["outbound"]
    registry.create_entity(
        session,
        connector.secrets,
        name=OUTBOUND_ENTITY,
        client_id=outbound["client_id"],
        client_secret=outbound["client_secret"],
        token_url=f"{record.identity_url}/{record.tenant['id']}/oauth2/token",
    )


def connector_registrations(session: Session, mode: Mode, record: DemoRecord) -> dict[str, str]:
    """Basic: an OAuth client and the integration user; AAD: the OIDC provider and entity."""
    if mode is Mode.BASIC:
        for client in oauth_service.list_clients(session):
            if client.name == OAUTH_CLIENT:
                oauth_service.delete_client(session, client.id)
        client, secret = oauth_service.create_client(session, OAUTH_CLIENT)
        record.extra["oauth_clients"] = {"support": {"client_id": client.client_id, "client_secret": secret}}
        user = record.users.get("integration", {})  # made by provision_connector_people this start
        if user.get("user_name") != INTEGRATION_USER:
            user = person(session, INTEGRATION_USER, (INCIDENT_MANAGER,), web_service_only=True)
        record.users["integration"] = user
        return {
            "client_id": client.client_id,
            "secret": secret,
            "user": INTEGRATION_USER,
            "password": user["password"],
        }
    if mode is Mode.AAD:
        with suppress(NotFound):  # remade each start: the cloud's port may have moved
            oidc_service.delete_provider(session, OIDC_PROVIDER)
        provider = oidc_service.create_provider(
            session,
            OIDC_PROVIDER,
            f"{record.identity_url}/{record.tenant['id']}/.well-known/openid-configuration",
        )
        audience = record.apps["rest_api"]["client_id"]
        oidc_service.create_entity(session, "Microsoft 365 support REST API", audience, provider.id)
        rest_user = record.apps["rest_user"]["client_id"]
        record.users["integration"] = {"user_name": rest_user, "password": "", "roles": [INCIDENT_MANAGER]}
        return {"client_id": audience, "user": rest_user}
    return {}


def cloud_settings(
    cloud: CloudContext, connector: ConnectorContext, mode: Mode, record: DemoRecord, inbound: dict[str, str]
) -> None:
    """What the tenant's admin enters on the cloud side's Support integration page."""
    if mode is Mode.NONE:
        return
    tenant = record.tenant["id"]
    if mode is Mode.BASIC:
        data = RepositoryInput(
            REPOSITORY_ID,
            endpoint(connector),
            BASIC_AUTH,
            client_id=inbound["client_id"],
            client_secret=inbound["secret"],
            rest_username=inbound["user"],
            rest_password=inbound["password"],
        )
    elif mode is Mode.AAD:
        rest_user = record.apps["rest_user"]
        data = RepositoryInput(
            REPOSITORY_ID,
            endpoint(connector),
            AAD_AUTH,
            client_id=rest_user["client_id"],
            client_secret=rest_user["client_secret"],
            token_audience=inbound["client_id"],
        )
    else:
        # Insights only: the guide's placeholders; nothing ever calls this repository.
        ignored = "ignored"
        data = RepositoryInput(REPOSITORY_ID, ignored, AAD_AUTH, client_id=ignored, client_secret=ignored)
    policy = outbound_policy(cloud.settings)
    with transaction(cloud.sessions, write=True) as session:
        integration.save_basic_information(session, tenant, app_id=record.apps["outbound"]["client_id"])
        if any(r.repository_id == REPOSITORY_ID for r in integration.list_repositories(session, tenant)):
            integration.update_repository(session, tenant, REPOSITORY_ID, data, cloud.secrets, policy)
        else:
            integration.add_repository(session, tenant, data, cloud.secrets, policy)


def setup_file(mode: Mode, record: DemoRecord, inbound: dict[str, str]) -> dict[str, Any]:
    """The setup file an admin would write for ``connector setup --config``."""
    return {
        "mode": mode.value,
        "consent": {"agree": True, "allow_oauth_entity_read": True},
        "outbound": {
            "entity": OUTBOUND_ENTITY,
            "graph_url": record.graph_url,
            "support_url": record.support_url,
        },
        "inbound": {"oauth_client": inbound.get("client_id"), "oidc_entity": inbound.get("client_id")},
        "integration_user": {"user": inbound.get("user", "")},
        "repository": {"id": REPOSITORY_ID},
        "settings": {
            "admin_email": "admin@contoso.onmicrosoft.com",
            "test_environment": True,
            "tenant_domain": record.tenant.get("domain", ""),
            "feedback_prompts": True,
        },
    }
