import httpx

from m365bridge.cloud.cases import repository
from m365bridge.cloud.cases.delivery import DeliveryWorker
from m365bridge.shared.db import transaction
from tests.cloud.cases.fake_connector import FakeConnector
from tests.cloud.cases.scenario import basic_repository, open_case, set_up_tenant
from tests.cloud.directory.test_login import csrf_of, sign_in
from tests.cloud.people import add_admin, add_engineer


def engineer_session(cloud_client, cloud_context, connector=None):
    set_up_tenant(cloud_context, basic_repository(connector or FakeConnector()))
    sign_in(cloud_client, *add_engineer(cloud_context))
    return csrf_of(cloud_client.get("/console").text)


def event_types(context, case_id):
    with transaction(context.sessions) as session:
        return [(e.sequence, e.type) for e in repository.case_events(session, case_id)]


def test_the_queue_hides_test_environment_cases_unless_shown(cloud_client, cloud_context):
    engineer_session(cloud_client, cloud_context)
    live = open_case(cloud_context, "Live outage")
    trial = open_case(cloud_context, "Trying the integration", test_environment=True)
    default = cloud_client.get("/console").text
    assert live.number in default and trial.number not in default
    shown = cloud_client.get("/console", params={"test": "show"}).text
    assert trial.number in shown
    assert live.number not in cloud_client.get("/console", params={"status": "resolved"}).text


def test_an_engineer_replies_and_changes_status_which_queues_events(cloud_client, cloud_context):
    csrf = engineer_session(cloud_client, cloud_context)
    case = open_case(cloud_context)
    replied = cloud_client.post(
        f"/console/cases/{case.id}/reply", data={"csrf_token": csrf, "body": "Please run the trace."}
    )
    assert "Please run the trace." in replied.text
    assert "Your reply was sent." in replied.text
    resolved = cloud_client.post(
        f"/console/cases/{case.id}/status", data={"csrf_token": csrf, "status": "resolved"}
    )
    assert resolved.status_code == 200
    assert event_types(cloud_context, case.id) == [
        (1, "case.created"),
        (2, "case.message"),
        (3, "case.statusChanged"),
        (4, "case.resolved"),
    ]


def test_console_forms_need_the_csrf_token(cloud_client, cloud_context):
    engineer_session(cloud_client, cloud_context)
    case = open_case(cloud_context)
    response = cloud_client.post(f"/console/cases/{case.id}/reply", data={"body": "forged"})
    assert response.status_code == 403
    assert event_types(cloud_context, case.id) == [(1, "case.created")]


def test_tenant_admins_cannot_open_the_console(cloud_client, cloud_context):
    sign_in(cloud_client, *add_admin(cloud_context))
    assert cloud_client.get("/console").status_code == 403


def test_a_dead_letter_is_retried_from_the_console(cloud_client, cloud_context):
    connector = FakeConnector()
    csrf = engineer_session(cloud_client, cloud_context, connector)
    case = open_case(cloud_context)
    connector.scripted.append(httpx.Response(422, json={"error": {"message": "rejected"}}))
    worker = DeliveryWorker(cloud_context, httpx.Client(transport=connector.transport()))
    worker.run_until_idle()
    page = cloud_client.get("/console/dead-letters").text
    assert case.number in page and "Retry" in page
    with transaction(cloud_context.sessions) as session:
        event_id = repository.case_events(session, case.id)[0].id
    cloud_client.post(f"/console/dead-letters/{event_id}/retry", data={"csrf_token": csrf})
    worker.run_until_idle()
    assert connector.sequences() == {case.id: [1]}
    assert "Every event was delivered." in cloud_client.get("/console/dead-letters").text
