"""``demo --itsm servicenow``: a second built-in service desk on its own port and data folder plays the
customer's ServiceNow instance (its Table API, ``/oauth_token.do`` and roles behave like ServiceNow's), and
the demo's connector is connected to it in instance mode, the way an admin would: the setup's Service desk
step with the OAuth password grant, then Test connection.

The instance gets its own people (a least-privilege integration account, an agent, an admin), an OAuth
client registered in its Application Registry (the service behind ``connector oauth-clients create``) and
the sample incidents; each is made through that side's own services and is idempotent over restarts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from m365bridge.connector.app import create_app
from m365bridge.connector.auth.oauth import service as oauth_service
from m365bridge.connector.context import ConnectorContext
from m365bridge.connector.incidents import repository as incidents
from m365bridge.connector.incidents import service as incident_service
from m365bridge.connector.incidents.encoded_query import parse
from m365bridge.connector.servicenow.connection_test import Outcome
from m365bridge.connector.settings import ConnectorSettings
from m365bridge.connector.setup import service_desk
from m365bridge.connector.users.roles import ADMIN, ITIL
from m365bridge.demo.connector_setup import person
from m365bridge.demo.incidents import SAMPLES
from m365bridge.demo.record import DemoRecord
from m365bridge.shared.db import transaction
from m365bridge.shared.serving import RunningServer, start_in_thread
from m365bridge.shared.tls import ServerCertificate

ITSM_CHOICES = ("servicenow",)
OAUTH_CLIENT = "m365bridge connector"
# Least privilege: itil reads incidents and their journal and writes work notes; nothing more.
INSTANCE_PEOPLE: dict[str, tuple[str, tuple[str, ...], bool]] = {
    "integration": ("m365.integration", (ITIL,), True),
    "agent": ("abel.tuter", (ITIL,), False),
    "admin": ("instance.admin", (ADMIN,), False),
}


def instance_settings(data_dir: Path, port: int) -> ConnectorSettings:
    return ConnectorSettings(
        data_dir=data_dir / "servicenow",
        port=port,
        tls=True,
        public_url=f"https://localhost:{port}",
        allow_private_endpoints=True,
        # The instance only answers the connector; its own Microsoft 365 side stays unconfigured.
        health_sync_autostart=False,
    )


def start_instance(
    settings: ConnectorSettings, tls: ServerCertificate
) -> tuple[RunningServer, ConnectorContext]:
    context = ConnectorContext.build(settings)
    return start_in_thread(create_app(context=context), port=settings.port, tls=tls), context


def provision_instance(record: DemoRecord, instance: ConnectorContext, url: str) -> dict[str, Any]:
    """The instance's people, OAuth client and sample incidents; returns what the connector needs."""
    people = {}
    for key, (user_name, roles, web_service_only) in INSTANCE_PEOPLE.items():
        with transaction(instance.sessions, write=True) as session:
            people[key] = person(session, user_name, roles, web_service_only=web_service_only)
    with transaction(instance.sessions, write=True) as session:
        for client in oauth_service.list_clients(session):
            if client.name == OAUTH_CLIENT:  # remade each start: only its secret's hash is stored
                oauth_service.delete_client(session, client.id)
        client, secret = oauth_service.create_client(session, OAUTH_CLIENT)
        oauth = {"client_id": client.client_id, "client_secret": secret}
        numbers = []
        for short, description in SAMPLES:
            found = incidents.list_incidents(session, parse(f"short_description={short}"), limit=1)
            if found.rows:
                numbers.append(found.rows[0].number)
            else:
                fields = {"short_description": short, "description": description}
                numbers.append(
                    incident_service.create_incident(session, fields, incident_service.SYSTEM).number
                )
    record.extra["servicenow"] = {
        "instance_url": url,
        "users": {key: {"user_name": p["user_name"], "password": p["password"]} for key, p in people.items()},
        "oauth_client": oauth,
        "incidents": numbers,
    }
    return {"people": people, "oauth": oauth}


def connect_connector(connector: ConnectorContext, url: str, made: dict[str, Any]) -> None:
    """The setup's Service desk step (OAuth password grant, both agent views), then Test connection."""
    integration, oauth = made["people"]["integration"], made["oauth"]
    choice = service_desk.parse_choice(
        "servicenow",
        url=url,
        auth_type="oauth_password",
        user_name=integration["user_name"],
        password=integration["password"],
        client_id=oauth["client_id"],
        client_secret=oauth["client_secret"],
        agent_view="both",
    )
    with transaction(connector.sessions, write=True) as session:
        service_desk.save_choice(session, connector, choice)
    failed = [r for r in service_desk.run_instance_checks(connector) if r.outcome is Outcome.FAILED]
    if failed:
        reasons = "; ".join(f"{r.name}: {r.message}" for r in failed)
        raise RuntimeError(f"demo ServiceNow instance: Test connection failed: {reasons}")
