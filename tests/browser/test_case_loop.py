"""Contact Microsoft support from the incident, a support engineer's reply, and the reply back on the tab:
the whole loop through both sides' pages, in the modes that open cases."""

import time

import pytest

from m365bridge.demo.browser import contact_support, engineer_reply, open_incident, open_support_tab, sign_in

LATE_MAIL_INCIDENT = "External email arrives late"
DELIVERY_WAIT = 60.0  # seconds; the outbox worker delivers case events in the background


@pytest.fixture(params=["basic", "aad"])
def case_demo(request, demos):
    return demos(request.param)


def test_a_support_engineers_reply_reaches_the_incident(new_page, case_demo):
    connector, cloud = case_demo["connector_url"], case_demo["identity_url"]
    desk, console = new_page(), new_page()  # the escalation admin and the engineer, each signed in
    sign_in(desk, connector, case_demo["users"]["escalation"])
    open_incident(desk, connector, LATE_MAIL_INCIDENT)
    open_support_tab(desk)
    number = contact_support(desk)
    case = desk.locator("article.case").filter(has_text=f"Case {number}")
    assert case.get_by_text("Status:").is_visible()

    sign_in(console, cloud, case_demo["users"]["support_engineer"])
    reply = f"Engineer reply for {number}: please send a message trace for one late message."
    engineer_reply(console, cloud, number, reply)
    assert console.get_by_text(reply).is_visible()

    deadline = time.monotonic() + DELIVERY_WAIT
    while not case.get_by_text(reply).is_visible() and time.monotonic() < deadline:
        time.sleep(1)
        desk.reload()
    assert case.get_by_text(reply).is_visible(), "the engineer's reply never reached the incident's tab"
