"""The whole escalation loop, both real apps over https, in Basic and in AAD mode."""

from __future__ import annotations

from tests.e2e.loop import API, Loop, eventually


def test_escalate_talk_and_resolve_round_trip(loop: Loop) -> None:
    incident = loop.new_incident()
    case = loop.escalate(incident)
    assert case["number"] and case["testEnvironment"] is True

    loop.engineer_reply(case["caseId"], "Please send the message trace.")
    eventually(
        lambda: any("Please send the message trace." in n for n in loop.work_notes(incident)),
        what="the engineer's message as a work note",
    )

    with loop.agent() as agent:
        sent = agent.post(
            f"{API}/cases/{case['sys_id']}/messages",
            json={"body": "Trace attached.", "clientMessageId": "reply-1"},
        )
    assert sent.status_code == 201, sent.text
    assert "Trace attached." in loop.engineer_sees(case["caseId"])

    loop.engineer_status(case["caseId"], "resolved")

    def resolved_on_the_tab() -> bool:
        with loop.agent() as agent:
            cases = agent.get(f"{API}/incidents/{incident}/cases").json()["result"]
        return bool(cases and cases[0]["resolved"])

    eventually(resolved_on_the_tab, what="the case resolved on the incident")
    notes = loop.work_notes(incident)
    assert any("status changed from" in n and "resolved" in n for n in notes)
    loop.assert_exactly_once_in_order(case["caseId"])
