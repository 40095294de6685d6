from sqlalchemy import text

from m365bridge.cloud.directory.roles import HELPDESK_ADMIN
from tests.cloud.people import TENANT, add_admin, add_person

API = f"/support/v1/tenants/{TENANT}/integration"

BASIC_REPO = {
    "repository": "contoso-sn",
    "endpoint": "https://contoso.service-now.example",
    "authenticationType": "Basic Auth",
    "clientId": "sn-client",
    "clientSecret": "sn-client-secret-123",
    "refreshTokenExpiry": 864000,
    "restUsername": "m365_integration",
    "restUserPassword": "rest-password-456",
}


def as_admin(cloud_client, cloud_context):
    cloud_client.auth = add_admin(cloud_context)
    return cloud_client


def test_basic_information_saves_the_application_id(cloud_client, cloud_context):
    client = as_admin(cloud_client, cloud_context)
    saved = client.put(API, json={"supportTool": "ServiceNow", "applicationId": "outbound-app-id"})
    assert saved.status_code == 200
    assert client.get(API).json()["applicationId"] == "outbound-app-id"


def test_repositories_can_be_added_edited_and_deleted(cloud_client, cloud_context):
    client = as_admin(cloud_client, cloud_context)
    created = client.post(f"{API}/repositories", json=BASIC_REPO)
    assert created.status_code == 201
    edited = client.put(
        f"{API}/repositories/contoso-sn",
        json={
            **{k: v for k, v in BASIC_REPO.items() if "ecret" not in k and "assword" not in k},
            "endpoint": "https://contoso2.service-now.example",
        },
    )
    assert edited.status_code == 200, edited.text
    assert edited.json()["endpoint"] == "https://contoso2.service-now.example"
    assert edited.json()["clientSecretSet"] is True  # omitted secrets keep their stored values
    assert client.delete(f"{API}/repositories/contoso-sn").status_code == 204
    assert client.get(f"{API}/repositories").json() == []


def test_secrets_are_encrypted_at_rest_and_never_returned(cloud_client, cloud_context):
    client = as_admin(cloud_client, cloud_context)
    created = client.post(f"{API}/repositories", json=BASIC_REPO).json()
    listed = client.get(API).text
    for secret in (BASIC_REPO["clientSecret"], BASIC_REPO["restUserPassword"]):
        assert secret not in str(created)
        assert secret not in listed
    with cloud_context.engine.connect() as conn:
        row = conn.execute(
            text("SELECT client_secret_encrypted, rest_password_encrypted FROM support_repositories")
        ).one()
    assert BASIC_REPO["clientSecret"] not in row[0]
    assert cloud_context.secrets.decrypt(row[0]) == BASIC_REPO["clientSecret"]
    assert cloud_context.secrets.decrypt(row[1]) == BASIC_REPO["restUserPassword"]


def test_invalid_repositories_are_refused_and_change_nothing(cloud_client, cloud_context):
    client = as_admin(cloud_client, cloud_context)
    client.post(f"{API}/repositories", json=BASIC_REPO)
    cases = [
        ({**BASIC_REPO, "repository": "other", "endpoint": "http://contoso.example"}, "https"),
        ({**BASIC_REPO, "repository": "other", "endpoint": "not a url"}, "not a URL"),
        ({**BASIC_REPO, "repository": "other", "clientSecret": None}, "Client secret"),
        ({**BASIC_REPO, "repository": "other", "refreshTokenExpiry": 5}, "refresh token expiry"),
        ({**BASIC_REPO, "repository": "bad id/with slash"}, "repository id"),
        (BASIC_REPO, "already exists"),
    ]
    for body, message in cases:
        response = client.post(f"{API}/repositories", json=body)
        assert response.status_code in (400, 409), body
        assert message in response.json()["error"]["message"]
    bad_edit = client.put(f"{API}/repositories/contoso-sn", json={**BASIC_REPO, "endpoint": "ftp://x"})
    assert bad_edit.status_code == 400
    assert [r["endpoint"] for r in client.get(f"{API}/repositories").json()] == [BASIC_REPO["endpoint"]]


def test_insights_only_accepts_aad_with_placeholder_values(cloud_client, cloud_context):
    client = as_admin(cloud_client, cloud_context)
    body = {
        "repository": "ignored",
        "endpoint": "ignored",
        "authenticationType": "AAD Auth",
        "clientId": "ignored",
        "clientSecret": "ignored",
        "restUsername": "ignored",
        "restUserPassword": "ignored",
    }
    created = client.post(f"{API}/repositories", json=body)
    assert created.status_code == 201, created.text
    assert created.json()["deliverable"] is False


def test_only_admins_of_the_tenant_may_change_its_settings(cloud_client, cloud_context):
    add_person(cloud_context, "other@fabrikam.com", "Password-1", tenant="fabrikam", roles=[HELPDESK_ADMIN])
    add_person(cloud_context, "user@contoso.com", "Password-1", tenant=TENANT, roles=[])
    assert cloud_client.get(API).status_code == 401
    cloud_client.auth = ("other@fabrikam.com", "Password-1")
    assert cloud_client.get(API).status_code == 403
    cloud_client.auth = ("user@contoso.com", "Password-1")
    assert cloud_client.put(API, json={"applicationId": "x"}).status_code == 403
