import pytest
from fastapi.testclient import TestClient

from m365bridge.cloud.app import create_app
from m365bridge.cloud.context import CloudContext
from m365bridge.cloud.settings import CloudSettings

from .tokens import caller

ADMIN = {"Authorization": "Bearer admin-secret-for-tests"}


@pytest.fixture
def cloud(tmp_path):
    context = CloudContext.build(
        CloudSettings(data_dir=tmp_path / "cloud", admin_api_token="admin-secret-for-tests")
    )
    with TestClient(create_app(context=context)) as client:
        yield context, client
    context.close()


def test_an_admin_opens_updates_and_resolves_an_issue_that_graph_then_serves(cloud):
    context, client = cloud
    reader = caller(context, client, "contoso.onmicrosoft.com")
    issues = f"/admin/graph/tenants/{reader.tenant_id}/issues"
    made = client.post(
        issues,
        json={"service": "Exchange Online", "title": "Mail delayed", "post": "Looking."},
        headers=ADMIN,
    )
    assert made.status_code == 201, made.text
    issue_id = made.json()["id"]
    client.post(
        f"{issues}/{issue_id}/posts", json={"text": "Fixing.", "status": "restoringService"}, headers=ADMIN
    )
    health = client.get(
        "/graph/v1.0/admin/serviceAnnouncement/healthOverviews/Exchange", headers=reader.headers
    ).json()
    assert health["status"] == "restoringService"
    client.post(f"{issues}/{issue_id}/resolve", json={"text": "Fixed."}, headers=ADMIN)
    served = client.get(
        f"/graph/v1.0/admin/serviceAnnouncement/issues/{issue_id}", headers=reader.headers
    ).json()
    assert (served["status"], served["isResolved"], len(served["posts"])) == ("serviceRestored", True, 3)


def test_the_admin_api_refuses_a_wrong_token(cloud):
    _, client = cloud
    answer = client.get(
        "/admin/graph/tenants/contoso.onmicrosoft.com/issues", headers={"Authorization": "Bearer no"}
    )
    assert answer.status_code == 403
