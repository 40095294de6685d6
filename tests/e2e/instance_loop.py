"""The whole system in the customer's world: the cloud, the connector, and a customer's ServiceNow instance
(the stand-in: a second connector's built-in service desk, provisioned by ``demo --itsm servicenow``'s own
functions), all served over https on loopback, the connector connected to the instance in instance mode
with the runner polling it. Helpers act as the instance's people, through its Table API and its pages."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from m365bridge.connector.auth.oauth import service as oauth_service
from m365bridge.connector.auth.servicenow import service as signin
from m365bridge.connector.context import ConnectorContext
from m365bridge.connector.servicedesk import desk_for, forget_choice
from m365bridge.connector.servicenow import service as instance_service
from m365bridge.connector.setup import service_desk
from m365bridge.demo.servicenow import (
    connect_connector,
    instance_settings,
    provision_instance,
    start_instance,
)
from m365bridge.shared.db import transaction
from m365bridge.shared.serving import RunningServer, free_port
from m365bridge.shared.tls import ServerCertificate
from tests.connector.auth.helpers import hidden_fields
from tests.e2e.loop import Loop, eventually, start_loop

# A short poll so that a loop test waits a second, not the default half-minute.
POLL_SECONDS = 0.5


@dataclass
class InstanceLoop:
    loop: Loop
    instance: ConnectorContext
    server: RunningServer
    made: dict[str, Any]

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def connector(self) -> ConnectorContext:
        return self.loop.connector

    def table_api(self, who: str = "agent") -> httpx.Client:
        """The instance's Table API as one of its people (``agent``, ``admin``, ``integration``)."""
        person = self.made["people"][who]
        return httpx.Client(
            base_url=self.url,
            auth=(person["user_name"], person["password"]),
            verify=self.loop.verify,
            timeout=30,
        )

    def create_incident(self, short_description: str, description: str = "") -> dict[str, Any]:
        with self.table_api() as http:
            answer = http.post(
                "/api/now/table/incident",
                json={"short_description": short_description, "description": description},
            )
        answer.raise_for_status()
        return dict(answer.json()["result"])

    def incident(self, sys_id: str) -> dict[str, Any]:
        with self.table_api("admin") as http:
            answer = http.get(f"/api/now/table/incident/{sys_id}")
        answer.raise_for_status()
        return dict(answer.json()["result"])

    def find_by_correlation(self, correlation_id: str) -> dict[str, Any] | None:
        with self.table_api("admin") as http:
            answer = http.get(
                "/api/now/table/incident", params={"sysparm_query": f"correlation_id={correlation_id}"}
            )
        answer.raise_for_status()
        rows = answer.json()["result"]
        return dict(rows[0]) if rows else None

    def work_notes(self, sys_id: str) -> list[str]:
        """The incident's work notes, read back through the instance's Table API (its journal table)."""
        query = f"element_id={sys_id}^element=work_notes^ORDERBYsys_created_on"
        with self.table_api("admin") as http:
            answer = http.get("/api/now/table/sys_journal_field", params={"sysparm_query": query})
        answer.raise_for_status()
        return [str(row["value"]) for row in answer.json()["result"]]

    def connector_has_seen(self, sys_id: str) -> bool:
        """Whether the connector's runner has polled the incident (a wait condition, never an outcome)."""
        with self.connector.engine.connect() as connection:
            return sys_id in desk_for(self.connector).incident_numbers(connection, [sys_id])

    def sign_in_agent(self, next_path: str) -> httpx.Client:
        """A browser signing in to the connector with the instance's agent account: the connector sends it
        to the instance's ``/oauth_auth.do``, it signs in there and allows, and comes back with a code."""
        person = self.made["people"]["agent"]
        bridge = httpx.Client(base_url=self.loop.record.connector_url, verify=self.loop.verify, timeout=30)
        started = bridge.get("/auth/servicenow/login", params={"next": next_path})
        assert started.status_code == 303, started.text
        with httpx.Client(base_url=self.url, verify=self.loop.verify, timeout=30) as at_instance:
            to_login = at_instance.get(started.headers["location"])
            assert to_login.status_code == 303, to_login.text
            form = at_instance.get(to_login.headers["location"])
            account = {"user_name": person["user_name"], "password": person["password"]}
            signed_in = at_instance.post("/login", data={**hidden_fields(form.text), **account})
            assert signed_in.status_code == 303, signed_in.text
            consent = at_instance.get(signed_in.headers["location"])
            assert "Allow access" in consent.text
            allow = {**hidden_fields(consent.text), "decision": "allow"}
            allowed = at_instance.post("/oauth_auth.do", data=allow)
            assert allowed.status_code == 303, allowed.text
        back = urlsplit(allowed.headers["location"])
        landed = bridge.get(f"{back.path}?{back.query}")
        assert landed.status_code == 303 and landed.headers["location"] == next_path, landed.text
        return bridge

    def close(self) -> None:
        self.loop.close()  # the connector first: its runner would poll an instance already gone
        self.server.stop()
        self.instance.close()


def start_instance_loop(auth: str, data_dir: Path, tls: ServerCertificate) -> InstanceLoop:
    """``auth`` is how the connector reaches the instance: ``oauth`` (password grant) or ``basic``."""
    loop = start_loop("basic", data_dir, tls, connector_overrides={"servicenow_poll_seconds": POLL_SECONDS})
    server, instance = start_instance(instance_settings(data_dir, free_port()), tls)
    try:
        made = provision_instance(loop.record, instance, server.url)
        if auth == "oauth":
            connect_connector(loop.connector, server.url, made)
        else:
            _connect_with_basic(loop.connector, server.url, made)
        _offer_sign_in(loop.connector, instance)
        forget_choice(loop.connector)
        # The runner's first poll takes the instance's history into its mirror without work notes; the
        # scenarios start after it, as an admin's would after connecting.
        eventually(lambda: _polled_once(loop.connector), 60, "the runner's first poll of the instance")
    except BaseException:
        server.stop()
        instance.close()
        loop.close()
        raise
    return InstanceLoop(loop, instance, server, made)


def _polled_once(connector: ConnectorContext) -> bool:
    with transaction(connector.sessions) as session:
        return bool(instance_service.watermark(session).updated_on)


def _connect_with_basic(connector: ConnectorContext, url: str, made: dict[str, Any]) -> None:
    integration = made["people"]["integration"]
    choice = service_desk.parse_choice(
        "servicenow",
        url=url,
        auth_type="basic",
        user_name=integration["user_name"],
        password=integration["password"],
        agent_view="both",
    )
    with transaction(connector.sessions, write=True) as session:
        service_desk.save_choice(session, connector, choice)


def _offer_sign_in(connector: ConnectorContext, instance: ConnectorContext) -> None:
    """Register the connector on the instance as an OAuth client with its callback as Redirect URL (System
    OAuth > Application Registry), and give the connector that client for "Sign in with ServiceNow"."""
    with transaction(instance.sessions, write=True) as session:
        client, secret = oauth_service.create_client(
            session, "m365bridge tab sign-in", redirect_url=signin.redirect_uri(connector.settings)
        )
        client_id = client.client_id
    with transaction(connector.sessions, write=True) as session:
        signin.set_client(session, connector, client_id, secret)
