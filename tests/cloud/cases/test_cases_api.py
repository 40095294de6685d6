from sqlalchemy import func, select

from m365bridge.cloud.cases.models import OutboxEvent
from tests.cloud.cases.conftest import case_body, other_app_token

CASES = "/support/v1/cases"


def test_a_token_without_the_configured_app_id_gets_403(cloud_client, cloud_context, support_tenant):
    tenant = support_tenant.directory.tenant_id
    token = other_app_token(cloud_client, cloud_context, tenant)
    response = cloud_client.post(CASES, json=case_body(), headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 403
    assert "is not the Application ID to issue Auth Token" in response.json()["detail"]
    assert (
        cloud_client.get("/support/v1/integration", headers={"Authorization": f"Bearer {token}"}).status_code
        == 403
    )


def test_missing_or_forged_tokens_get_401(cloud_client, support_tenant):
    assert cloud_client.get(CASES).status_code == 401
    forged = cloud_client.get(CASES, headers={"Authorization": "Bearer not.a.jwt"})
    assert forged.status_code == 401
    assert forged.headers["www-authenticate"].startswith("Bearer")


def test_the_configured_app_opens_a_case_once_per_idempotency_key(
    cloud_client, cloud_context, support_tenant
):
    headers = {**support_tenant.headers, "Idempotency-Key": "incident-b-1"}
    first = cloud_client.post(CASES, json=case_body(), headers=headers)
    again = cloud_client.post(CASES, json=case_body(), headers=headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    assert len(first.json()["number"]) == 16
    with cloud_context.sessions() as session:
        assert session.scalar(select(func.count()).select_from(OutboxEvent)) == 1
    different = cloud_client.post(CASES, json=case_body(title="Other"), headers=headers)
    assert different.status_code == 409


def test_an_admin_email_that_is_not_a_tenant_admin_gets_not_tenant_admin(cloud_client, support_tenant):
    response = cloud_client.post(
        CASES, json=case_body(adminEmail="agent@contoso.com"), headers=support_tenant.headers
    )
    assert response.status_code == 403
    error = response.json()["error"]
    assert error["code"] == "NotTenantAdmin"
    assert error["email"] == "agent@contoso.com"
    assert "is not a valid Microsoft 365 admin account" in error["message"]


def test_messages_are_idempotent_and_contact_details_can_be_saved(cloud_client, support_tenant):
    headers = support_tenant.headers
    case = cloud_client.post(CASES, json=case_body(), headers=headers).json()
    message = {"clientMessageId": "journal-1", "body": "More details", "author": "Ada"}
    first = cloud_client.post(f"{CASES}/{case['id']}/messages", json=message, headers=headers)
    again = cloud_client.post(f"{CASES}/{case['id']}/messages", json=message, headers=headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    contact = {
        "name": "Grace",
        "email": "grace@contoso.com",
        "phone": "+1 555 0101",
        "preferredContactMethod": "phone",
    }
    saved = cloud_client.patch(f"{CASES}/{case['id']}/contact", json=contact, headers=headers)
    assert saved.json()["contact"]["name"] == "Grace"
    read = cloud_client.get(f"{CASES}/{case['id']}", headers=headers).json()
    assert [m["body"] for m in read["messages"]] == ["More details"]
    assert read["preferredContactMethod"] == "phone"


def test_cases_are_listed_by_repository(cloud_client, support_tenant):
    headers = support_tenant.headers
    opened = cloud_client.post(CASES, json=case_body(), headers=headers).json()
    listed = cloud_client.get(CASES, params={"repository_id": "contoso-sn"}, headers=headers).json()
    assert [c["id"] for c in listed] == [opened["id"]]
    assert cloud_client.get(CASES, params={"repository_id": "elsewhere"}, headers=headers).json() == []


def test_the_integration_lookup_returns_settings_without_secrets(cloud_client, support_tenant):
    response = cloud_client.get("/support/v1/integration", headers=support_tenant.headers)
    body = response.json()
    assert body["tenantId"] == support_tenant.directory.tenant_id
    assert body["applicationId"] == support_tenant.directory.client.client_id
    assert body["repositories"][0]["repository"] == "contoso-sn"
    assert support_tenant.connector.client_secret not in response.text
    assert support_tenant.connector.password not in response.text


def test_the_probe_logs_in_to_the_endpoint_and_calls_it(cloud_client, support_tenant):
    response = cloud_client.post("/support/v1/repositories/contoso-sn/probe", headers=support_tenant.headers)
    assert response.json()["ok"] is True
    assert support_tenant.connector.grants == ["password"]


def test_the_probe_says_which_step_failed(cloud_client, support_tenant):
    support_tenant.connector.password = "changed-on-the-connector"
    response = cloud_client.post("/support/v1/repositories/contoso-sn/probe", headers=support_tenant.headers)
    body = response.json()
    assert (body["ok"], body["step"]) == (False, "token")
    assert "Rest username and password" in body["message"]
