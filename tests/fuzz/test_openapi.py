"""Schemathesis over both sides' OpenAPI documents, in-process (ASGI): no 5xx, no answer that breaks its
own schema. Examples per operation are bounded (``FUZZ_EXAMPLES``, default 8) so the run stays short;
``make fuzz`` raises the bound.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from m365bridge.cloud.app import create_app as create_cloud_app
from m365bridge.cloud.context import CloudContext
from m365bridge.cloud.graph.application import create_graph_app
from m365bridge.cloud.identity import service as identity
from m365bridge.cloud.identity.resources import GRAPH_RESOURCE, SUPPORT_RESOURCE
from m365bridge.cloud.integration.service import save_basic_information
from m365bridge.cloud.settings import CloudSettings
from m365bridge.connector.app import create_app as create_connector_app
from m365bridge.connector.context import ConnectorContext
from m365bridge.connector.settings import ConnectorSettings
from m365bridge.shared.db import transaction
from tests.connector.auth.helpers import make_user
from tests.connector.auth.test_oauth_token import make_client, password_grant

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "8"))
CHECKS = [not_a_server_error, response_schema_conformance]
ADMIN_TOKEN = "fuzz-admin-token"
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture(scope="module")
def connector_fuzz(tmp_path_factory):
    context = ConnectorContext.build(ConnectorSettings(data_dir=tmp_path_factory.mktemp("fuzz-connector")))
    make_user(context, "fuzz.admin", ["admin"])
    client_id, secret = make_client(context)
    app = create_connector_app(context=context)
    with TestClient(app) as http:
        token = password_grant(http, client_id, secret, "fuzz.admin").json()["access_token"]
        yield schemathesis.openapi.from_asgi("/openapi.json", app), {"Authorization": f"Bearer {token}"}


def _cloud_tokens(context: CloudContext, http: TestClient) -> dict[str, str]:
    with transaction(context.sessions) as session:
        tenant = identity.create_tenant(session, "contoso.onmicrosoft.com")
        app = identity.create_app_registration(session, tenant.id, "Outbound")
        identity.grant_app_roles(
            session, app, GRAPH_RESOURCE, ["ServiceHealth.Read.All", "ServiceMessage.Read.All"]
        )
        identity.grant_app_roles(session, app, SUPPORT_RESOURCE, ["Support.ReadWrite.All"])
        secret = identity.add_client_secret(session, app)
        save_basic_information(session, tenant.id, app_id=app.client_id)  # lets its token search
        tenant_id, client_id = tenant.id, app.client_id
    tokens = {}
    for resource in (GRAPH_RESOURCE, SUPPORT_RESOURCE):
        answer = http.post(
            f"/{tenant_id}/oauth2/token",
            data={
                "grant_type": "client_credentials",
                "client_id": client_id,
                "client_secret": secret,
                "resource": resource,
            },
        )
        tokens[resource] = answer.json()["access_token"]
    return tokens


@pytest.fixture(scope="module")
def cloud_fuzz(tmp_path_factory):
    data_dir: Path = tmp_path_factory.mktemp("fuzz-cloud")
    context = CloudContext.build(CloudSettings(data_dir=data_dir, admin_api_token=ADMIN_TOKEN))
    app = create_cloud_app(context=context)
    with TestClient(app) as http:
        tokens = _cloud_tokens(context, http)
        yield app, context, tokens


@pytest.fixture(scope="module")
def cloud_schema(cloud_fuzz):
    app, _, _ = cloud_fuzz
    return schemathesis.openapi.from_asgi("/openapi.json", app)


@pytest.fixture(scope="module")
def graph_schema(cloud_fuzz):
    _, context, _ = cloud_fuzz
    return schemathesis.openapi.from_asgi("/openapi.json", create_graph_app(context))


def fuzz(schema, headers_for, record_property) -> None:
    """Every operation, ``EXAMPLES`` generated cases each; the first failing check fails the test."""
    ran = 0
    for result in schema.get_all_operations():
        operation = result.ok()

        @FUZZ
        @given(case=operation.as_strategy())
        def run(case) -> None:
            nonlocal ran
            ran += 1
            case.call_and_validate(headers=headers_for(case.path), checks=CHECKS)

        run()
    record_property("tally:fuzz_cases", ran)


def test_connector_api(connector_fuzz, record_property):
    schema, headers = connector_fuzz
    fuzz(schema, lambda _path: headers, record_property)


def _cloud_headers(path: str, tokens: dict[str, str]) -> dict[str, str]:
    if path.startswith("/admin/"):
        return {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    if path.startswith("/support/"):
        return {"Authorization": f"Bearer {tokens[SUPPORT_RESOURCE]}"}
    return {}


def test_cloud_api(cloud_fuzz, cloud_schema, record_property):
    fuzz(cloud_schema, lambda path: _cloud_headers(path, cloud_fuzz[2]), record_property)


def test_graph_api(cloud_fuzz, graph_schema, record_property):
    headers = {"Authorization": f"Bearer {cloud_fuzz[2][GRAPH_RESOURCE]}"}
    fuzz(graph_schema, lambda _path: headers, record_property)
