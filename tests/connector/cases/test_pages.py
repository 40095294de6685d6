"""The incident's Microsoft 365 support tab as people use it (TestClient, signed in), against the real
cloud: Contact Microsoft support, the case and its thread, replies, ticket details, Link Account, messages
#8, #15 and #16, and what an agent without the administrator role gets."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from m365bridge.cloud.directory import service as directory
from m365bridge.connector.app import create_app
from m365bridge.connector.cases import service as cases
from m365bridge.connector.incidents.table import CLOSE_CODES
from m365bridge.shared.db import transaction
from tests.connector.auth.helpers import hidden_field, login
from tests.e2e.loop import Loop, eventually, write

NOT_AN_ADMIN = (
    "{} is not a valid Microsoft 365 admin account. You need Microsoft 365 admin privileges to open a "
    "service request. In the app, link the admin account."
)
TICKET_NOT_SAVED = "Unable to save ticket details. Please contact App support."


@pytest.fixture(scope="module")
def app(loop: Loop) -> FastAPI:
    return create_app(context=loop.connector)


def signed_in(app: FastAPI, loop: Loop, who: str) -> TestClient:
    client = TestClient(app)
    person = loop.record.users[who]
    assert login(client, person["user_name"], person["password"]).status_code == 303
    return client


@pytest.fixture
def admin(app: FastAPI, loop: Loop) -> Iterator[TestClient]:
    """A signed-in user with the app's administrator role (the demo's escalation engineer)."""
    with signed_in(app, loop, "escalation") as client:
        yield client


@pytest.fixture
def agent(app: FastAPI, loop: Loop) -> Iterator[TestClient]:
    """A signed-in insights user without the administrator role."""
    with signed_in(app, loop, "agent") as client:
        yield client


def tab(client: TestClient, incident: str) -> str:
    answer = client.get(f"/incidents/{incident}?tab=m365")
    assert answer.status_code == 200, answer.text
    return html.unescape(answer.text)


def contact_form(client: TestClient, incident: str, **fields: str) -> dict[str, str]:
    page = tab(client, incident)
    return {
        "csrf_token": hidden_field(page, "csrf_token"),
        "submission_id": hidden_field(page, "submission_id"),
        "title": "Mail delayed",
        "description": "Outbound mail is queued.",
        "contact_name": "Ada Agent",
        "contact_email": "ada@contoso.com",
        "contact_phone": "",
        "preferred_contact_method": "email",
        **fields,
    }


def open_case(client: TestClient, loop: Loop, incident: str) -> tuple[str, str]:
    """Contact Microsoft support from the tab; returns the case's sys_id and its cloud case id."""
    answer = client.post(f"/incidents/{incident}/m365/cases", data=contact_form(client, incident))
    assert answer.status_code == 200, answer.text
    (case,) = stored_cases(loop, incident)
    return case


def stored_cases(loop: Loop, incident: str) -> list[tuple[str, str]]:
    with transaction(loop.connector.sessions) as session:
        return [(c.sys_id, c.case_id) for c in cases.cases_for_incident(session, incident)]


def case_number(loop: Loop, sys_id: str) -> str:
    with transaction(loop.connector.sessions) as session:
        return cases.get_case(session, sys_id).number


def top_error(page: str) -> str:
    match = re.search(r'<div class="banner banner-error" role="alert">(.*?)</div>', page, re.S)
    assert match, "no error at the top of the form"
    return match.group(1).strip()


def test_the_contact_form_opens_a_case_shown_on_the_tab_with_number_and_status(
    admin: TestClient, loop: Loop
) -> None:
    incident = loop.new_incident()
    sys_id, _ = open_case(admin, loop, incident)
    page = tab(admin, incident)
    number = case_number(loop, sys_id)
    assert f"Case {number}: Mail delayed" in page
    assert re.search(r'class="case-status">\w+</strong>', page)


def test_a_double_submit_with_one_submission_id_opens_one_case(admin: TestClient, loop: Loop) -> None:
    incident = loop.new_incident()
    form = contact_form(admin, incident)
    first = admin.post(f"/incidents/{incident}/m365/cases", data=form, follow_redirects=False)
    second = admin.post(f"/incidents/{incident}/m365/cases", data=form, follow_redirects=False)
    assert (first.status_code, second.status_code) == (303, 303)
    assert len(stored_cases(loop, incident)) == 1


def test_the_engineers_messages_and_a_reply_from_the_tab_make_one_thread(
    admin: TestClient, loop: Loop
) -> None:
    incident = loop.new_incident()
    sys_id, case_id = open_case(admin, loop, incident)
    loop.engineer_reply(case_id, "Please send the message trace.")
    eventually(
        lambda: "Please send the message trace." in tab(admin, incident), what="the message on the tab"
    )

    page = tab(admin, incident)
    sent = admin.post(
        f"/m365/cases/{sys_id}/reply",
        data={
            "csrf_token": hidden_field(page, "csrf_token"),
            "incident": incident,
            "reply_id": hidden_field(page, "reply_id"),
            "body": "Trace attached.",
        },
    )
    assert sent.status_code == 200, sent.text
    assert "Trace attached." in loop.engineer_sees(case_id)
    thread = tab(admin, incident)
    assert thread.index("Please send the message trace.") < thread.index("Trace attached.")


def test_ticket_details_saved_from_the_tab_show_on_the_case(admin: TestClient, loop: Loop) -> None:
    incident = loop.new_incident()
    sys_id, _ = open_case(admin, loop, incident)
    page = tab(admin, incident)
    saved = admin.post(
        f"/m365/cases/{sys_id}/contact",
        data={
            "csrf_token": hidden_field(page, "csrf_token"),
            "incident": incident,
            "contact_name": "Bo Backup",
            "contact_email": "bo@contoso.com",
            "contact_phone": "+1 555 0199",
            "preferred_contact_method": "phone",
        },
    )
    assert saved.status_code == 200, saved.text
    assert 'name="contact_name" value="Bo Backup"' in html.unescape(saved.text)


def test_a_failed_ticket_details_save_shows_message_16_at_the_top_of_the_form(
    admin: TestClient, loop: Loop
) -> None:
    incident = loop.new_incident()
    sys_id, _ = open_case(admin, loop, incident)
    page = tab(admin, incident)
    refused = admin.post(
        f"/m365/cases/{sys_id}/contact",
        data={
            "csrf_token": hidden_field(page, "csrf_token"),
            "incident": incident,
            "contact_name": "Bo Backup",
            "contact_email": "bo@contoso.com",
            "contact_phone": "",
            "preferred_contact_method": "phone",
        },
    )
    assert refused.status_code == 502
    assert top_error(refused.text) == TICKET_NOT_SAVED


def test_an_admin_email_that_is_not_a_tenant_admin_shows_message_8_on_the_tab(
    admin: TestClient, loop: Loop
) -> None:
    tenant_admin = loop.record.users["tenant_admin"]["user_name"]
    incident = loop.new_incident()
    form = contact_form(admin, incident)
    write(loop.cloud.sessions, lambda s: directory.set_active(s, tenant_admin, False))
    try:
        refused = admin.post(f"/incidents/{incident}/m365/cases", data=form)
    finally:
        write(loop.cloud.sessions, lambda s: directory.set_active(s, tenant_admin, True))
    assert refused.status_code == 403
    assert html.unescape(top_error(refused.text)) == NOT_AN_ADMIN.format(tenant_admin)
    assert stored_cases(loop, incident) == []


def test_link_account_sets_and_clears_the_email_and_refuses_a_non_admin(
    admin: TestClient, loop: Loop
) -> None:
    tenant_admin = loop.record.users["tenant_admin"]["user_name"]
    csrf = hidden_field(admin.get("/m365/link-account").text, "csrf_token")

    refused = admin.post("/m365/link-account", data={"csrf_token": csrf, "email": "nobody@contoso.com"})
    assert refused.status_code == 403
    assert html.unescape(top_error(refused.text)) == NOT_AN_ADMIN.format("nobody@contoso.com")

    linked = admin.post("/m365/link-account", data={"csrf_token": csrf, "email": tenant_admin})
    try:
        assert linked.status_code == 200
        assert f'name="email" value="{tenant_admin}"' in linked.text
    finally:
        cleared = admin.post("/m365/link-account", data={"csrf_token": csrf, "action": "clear"})
    assert cleared.status_code == 200
    assert 'name="email" value=""' in cleared.text


def test_a_resolved_and_reopened_incident_still_shows_its_case_and_thread(
    admin: TestClient, loop: Loop
) -> None:
    incident = loop.new_incident()
    sys_id, case_id = open_case(admin, loop, incident)
    loop.engineer_reply(case_id, "We are looking into it.")
    eventually(lambda: "We are looking into it." in tab(admin, incident), what="the message on the tab")

    for change in (
        {"action": "resolve", "close_code": CLOSE_CODES[0], "close_notes": "Queue drained."},
        {"action": "reopen"},
    ):
        csrf = hidden_field(admin.get(f"/incidents/{incident}").text, "csrf_token")
        answer = admin.post(f"/incidents/{incident}", data={"csrf_token": csrf, "tab": "notes", **change})
        assert answer.status_code == 200, answer.text

    page = tab(admin, incident)
    assert f"Case {case_number(loop, sys_id)}" in page
    assert "We are looking into it." in page


def test_an_agent_without_the_administrator_role_gets_no_contact_form(agent: TestClient, loop: Loop) -> None:
    incident = loop.new_incident()
    page = tab(agent, incident)
    assert f'action="/incidents/{incident}/m365/cases"' not in page
    forbidden = agent.post(
        f"/incidents/{incident}/m365/cases",
        data={"csrf_token": hidden_field(page, "csrf_token"), "title": "Mail delayed"},
    )
    assert forbidden.status_code == 403
    assert stored_cases(loop, incident) == []
