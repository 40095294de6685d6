import pytest
from fastapi.testclient import TestClient

from m365bridge.cloud.app import create_app
from m365bridge.cloud.context import CloudContext
from m365bridge.cloud.graph import service
from m365bridge.cloud.settings import CloudSettings
from m365bridge.shared.db import transaction

from .conftest import make_issues
from .tokens import caller

BASE = "/graph/v1.0/admin/serviceAnnouncement"


@pytest.fixture
def contoso(cloud_context, cloud_client):
    return caller(cloud_context, cloud_client, "contoso.onmicrosoft.com")


def walk(client, url, headers):
    seen, pages = [], 0
    while url:
        answer = client.get(url, headers=headers)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        seen += [item["id"] for item in body["value"]]
        pages += 1
        url = body.get("@odata.nextLink")
    return seen, pages, answer


@pytest.mark.slow
def test_every_page_of_a_large_issue_set_holds_each_issue_once(cloud_context, cloud_client, contoso):
    with transaction(cloud_context.sessions) as session:
        make_issues(session, contoso.tenant_id, 2500)
    seen, pages, _ = walk(cloud_client, f"{BASE}/issues", contoso.headers)
    assert (len(seen), len(set(seen)), pages) == (2500, 2500, 25)
    big = contoso.headers | {"Prefer": "odata.maxpagesize=1000"}
    seen, pages, last = walk(cloud_client, f"{BASE}/issues?$orderby=lastModifiedDateTime desc", big)
    assert (len(seen), len(set(seen)), pages) == (2500, 2500, 3)
    assert last.headers["Preference-Applied"] == "odata.maxpagesize=1000"


def test_an_issue_has_graphs_shape_and_camel_case_enums(cloud_context, cloud_client, contoso):
    with transaction(cloud_context.sessions) as session:
        made = service.create_issue(
            session,
            contoso.tenant_id,
            service="Exchange Online",
            title="Users can't send email from Outlook on the web",
            impact_description="Users may see an error.",
            first_post="We're investigating. We'll provide an update by 2026-11-27T15:00:00Z.",
        )
        issue_id = made.id
    answer = cloud_client.get(f"{BASE}/issues/{issue_id}", headers=contoso.headers)
    body = answer.json()
    assert (
        body["@odata.context"]
        == "http://testserver/graph/v1.0/$metadata#admin/serviceAnnouncement/issues/$entity"
    )
    assert (body["status"], body["classification"], body["isResolved"]) == (
        "investigating",
        "incident",
        False,
    )
    assert body["posts"][0]["postType"] == "regular"
    assert body["posts"][0]["description"]["contentType"] == "html"


def test_health_overview_expands_issues_and_follows_the_worst_open_one(cloud_context, cloud_client, contoso):
    with transaction(cloud_context.sessions) as session:
        issue = service.create_issue(
            session, contoso.tenant_id, service="Microsoft Teams", title="Chat down", impact_description=""
        )
        service.add_post(session, contoso.tenant_id, issue.id, "Down.", status="serviceInterruption")
    body = cloud_client.get(f"{BASE}/healthOverviews?$expand=issues", headers=contoso.headers).json()
    teams = next(o for o in body["value"] if o["id"] == "microsoftteams")
    assert teams["status"] == "serviceInterruption"
    assert [i["title"] for i in teams["issues"]] == ["Chat down"]
    exchange = cloud_client.get(f"{BASE}/healthOverviews/Exchange", headers=contoso.headers).json()
    assert (exchange["status"], "issues" in exchange) == ("serviceOperational", False)


def test_the_incident_report_exists_only_once_the_review_is_published(cloud_context, cloud_client, contoso):
    with transaction(cloud_context.sessions) as session:
        issue = service.create_issue(
            session, contoso.tenant_id, service="SharePoint", title="Sites down", impact_description=""
        )
        issue_id = issue.id
    url = f"{BASE}/issues/{issue_id}/incidentReport"
    assert cloud_client.get(url, headers=contoso.headers).status_code == 404
    with transaction(cloud_context.sessions) as session:
        service.resolve_issue(
            session,
            contoso.tenant_id,
            issue_id,
            status="postIncidentReviewPublished",
            incident_report="Root cause: a database failover.",
        )
    answer = cloud_client.get(url, headers=contoso.headers)
    assert answer.status_code == 200
    assert answer.content == b"Root cause: a database failover."


@pytest.mark.parametrize(
    "query",
    [
        "$filter=status eq",
        "$filter=(isResolved eq true",
        "$filter=colour eq 'red'",
        "$orderby=title sideways",
        "$top=many",
        "$skiptoken=garbage",
        "$expand=posts",
    ],
)
def test_a_bad_query_is_graphs_400_not_a_500(cloud_client, contoso, query):
    answer = cloud_client.get(
        f"{BASE}/issues?{query}", headers=contoso.headers | {"client-request-id": "abc-123"}
    )
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert error["code"] == "BadRequest"
    assert error["innerError"]["client-request-id"] == "abc-123"
    assert set(error["innerError"]) == {"date", "request-id", "client-request-id"}


def test_a_filter_and_select_over_http(cloud_context, cloud_client, contoso):
    with transaction(cloud_context.sessions) as session:
        make_issues(session, contoso.tenant_id, 9)
    answer = cloud_client.get(
        f"{BASE}/issues",
        params={"$filter": "isResolved eq false and (service eq 'Microsoft Teams')", "$select": "id,status"},
        headers=contoso.headers,
    )
    body = answer.json()
    assert body["value"] == [
        {"id": "T00001", "status": "investigating"},
        {"id": "T00004", "status": "investigating"},
        {"id": "T00007", "status": "investigating"},
    ]
    assert body["@odata.context"].endswith("issues(id,status)")


def test_without_a_token_the_answer_is_401(cloud_client):
    answer = cloud_client.get(f"{BASE}/issues")
    assert (answer.status_code, answer.json()["error"]["code"]) == (401, "InvalidAuthenticationToken")


def test_a_token_without_the_role_is_403(cloud_context, cloud_client):
    messages_only = caller(
        cloud_context, cloud_client, "fabrikam.onmicrosoft.com", ("ServiceMessage.Read.All",)
    )
    assert cloud_client.get(f"{BASE}/messages", headers=messages_only.headers).status_code == 200
    answer = cloud_client.get(f"{BASE}/issues", headers=messages_only.headers)
    assert (answer.status_code, answer.json()["error"]["code"]) == (403, "Forbidden")


def test_a_token_from_another_clouds_tenant_is_401(tmp_path, cloud_client):
    elsewhere = CloudContext.build(CloudSettings(data_dir=tmp_path / "elsewhere"))
    try:
        with TestClient(create_app(context=elsewhere)) as other_client:
            stranger = caller(elsewhere, other_client, "stranger.onmicrosoft.com")
    finally:
        elsewhere.close()
    answer = cloud_client.get(f"{BASE}/issues", headers=stranger.headers)
    assert (answer.status_code, answer.json()["error"]["code"]) == (401, "InvalidAuthenticationToken")


def test_each_tenant_sees_only_its_own_issues(cloud_context, cloud_client, contoso):
    fabrikam = caller(cloud_context, cloud_client, "fabrikam.onmicrosoft.com")
    with transaction(cloud_context.sessions) as session:
        mine = service.create_issue(
            session, contoso.tenant_id, service="Exchange", title="Contoso only", impact_description=""
        ).id
    assert cloud_client.get(f"{BASE}/issues/{mine}", headers=contoso.headers).status_code == 200
    assert cloud_client.get(f"{BASE}/issues/{mine}", headers=fabrikam.headers).status_code == 404
    assert cloud_client.get(f"{BASE}/issues", headers=fabrikam.headers).json()["value"] == []


def test_past_the_limit_the_answer_is_429_with_retry_after(tmp_path):
    settings = CloudSettings(data_dir=tmp_path / "cloud", graph_throttle_per_minute=3)
    context = CloudContext.build(settings)
    try:
        with TestClient(create_app(context=context)) as client:
            reader = caller(context, client, "contoso.onmicrosoft.com")
            answers = [client.get(f"{BASE}/issues", headers=reader.headers) for _ in range(4)]
    finally:
        context.close()
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert answers[-1].json()["error"]["code"] == "TooManyRequests"
    assert 1 <= int(answers[-1].headers["Retry-After"]) <= 60
