"""Fault tests: after each, every event of the case arrived exactly once and in order."""

from __future__ import annotations

from tests.e2e.loop import Loop


def test_an_unreachable_connector_during_a_burst_gets_every_event_once_in_order(basic_loop: Loop) -> None:
    loop = basic_loop
    incident = loop.new_incident()
    case = loop.escalate(incident)
    loop.stop_connector()
    for n in range(20):
        loop.engineer_reply(case["caseId"], f"update {n}")
    loop.engineer_status(case["caseId"], "inProgress")
    loop.start_connector()
    loop.assert_exactly_once_in_order(case["caseId"])
    notes = loop.work_notes(incident)
    assert sum("update " in n for n in notes) == 20
