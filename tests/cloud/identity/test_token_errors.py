import datetime as dt

import pytest

from m365bridge.cloud.identity import service
from m365bridge.cloud.identity.resources import GRAPH_RESOURCE
from m365bridge.shared.db import transaction


def post(client, path, **form):
    return client.post(path, data={k: v for k, v in form.items() if v is not None})


def v1(client, directory, **overrides):
    return post(client, f"/{directory.domain}/oauth2/token", **credentials(directory.client, **overrides))


def credentials(app, **overrides):
    form = {"grant_type": "client_credentials", "client_id": app.client_id, "client_secret": app.secret}
    return form | overrides


def assert_aadsts(response, status, error, code):
    assert response.status_code == status
    body = response.json()
    assert body["error"] == error
    assert body["error_codes"] == [code]
    assert body["error_description"].startswith(f"AADSTS{code}: ")
    for field in ("timestamp", "trace_id", "correlation_id"):
        assert body[field]


def test_unknown_tenant_is_aadsts90002(cloud_client, directory):
    form = credentials(directory.client, resource=GRAPH_RESOURCE)
    response = post(cloud_client, "/nowhere.onmicrosoft.com/oauth2/token", **form)
    assert_aadsts(response, 400, "invalid_request", 90002)


def test_unknown_client_is_aadsts700016(cloud_client, directory):
    unknown = "11111111-2222-3333-4444-555555555555"
    response = v1(cloud_client, directory, client_id=unknown, resource=GRAPH_RESOURCE)
    assert_aadsts(response, 400, "unauthorized_client", 700016)


def test_wrong_secret_is_aadsts7000215(cloud_client, directory):
    wrong = directory.client.secret + "x"
    response = v1(cloud_client, directory, client_secret=wrong, resource=GRAPH_RESOURCE)
    assert_aadsts(response, 401, "invalid_client", 7000215)


def test_expired_secret_is_aadsts7000222(cloud_client, cloud_context, directory):
    with transaction(cloud_context.sessions) as session:
        app = service.resolve_app(session, directory.client.client_id)
        expired = service.add_client_secret_until(
            session, app, dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
        )
    response = v1(cloud_client, directory, client_secret=expired, resource=GRAPH_RESOURCE)
    assert_aadsts(response, 401, "invalid_client", 7000222)


def test_unsupported_grant_type_is_aadsts70003(cloud_client, directory):
    response = v1(cloud_client, directory, grant_type="password", resource=GRAPH_RESOURCE)
    assert_aadsts(response, 400, "unsupported_grant_type", 70003)


def test_unknown_resource_is_aadsts500011(cloud_client, directory):
    response = v1(cloud_client, directory, resource="api://nothing-here")
    assert_aadsts(response, 400, "invalid_resource", 500011)


def test_unknown_scope_resource_is_aadsts500011(cloud_client, directory):
    form = credentials(directory.client, scope="api://nothing-here/.default")
    response = post(cloud_client, f"/{directory.domain}/oauth2/v2.0/token", **form)
    assert_aadsts(response, 400, "invalid_resource", 500011)


@pytest.mark.parametrize(("path", "field"), [("oauth2/token", "resource"), ("oauth2/v2.0/token", "scope")])
def test_missing_resource_or_scope_is_aadsts900144(cloud_client, directory, path, field):
    response = post(cloud_client, f"/{directory.domain}/{path}", **credentials(directory.client))
    assert_aadsts(response, 400, "invalid_request", 900144)
    assert f"'{field}'" in response.json()["error_description"]


def test_scope_without_default_suffix_is_aadsts70011(cloud_client, directory):
    form = credentials(directory.client, scope=f"{GRAPH_RESOURCE}/ServiceHealth.Read.All")
    response = post(cloud_client, f"/{directory.domain}/oauth2/v2.0/token", **form)
    assert_aadsts(response, 400, "invalid_scope", 70011)


def test_missing_secret_is_aadsts7000218(cloud_client, directory):
    response = v1(cloud_client, directory, client_secret=None, resource=GRAPH_RESOURCE)
    assert_aadsts(response, 401, "invalid_client", 7000218)


def test_correlation_id_echoes_the_client_request_id(cloud_client, directory):
    response = cloud_client.post(
        "/nowhere.onmicrosoft.com/oauth2/token",
        data=credentials(directory.client, resource=GRAPH_RESOURCE),
        headers={"client-request-id": "8c2b0f7e-0000-4000-8000-000000000001"},
    )
    assert response.json()["correlation_id"] == "8c2b0f7e-0000-4000-8000-000000000001"
