"""An agent on the incident's Microsoft 365 support tab, in every setup mode that offers insights."""

from m365bridge.demo.browser import open_incident, open_support_tab, run_insights, sign_in

# The demo's first sample incident matches its live Exchange issue EX900001.
OUTLOOK_INCIDENT = "Users can't send mail from Outlook on the web"
OUTLOOK_ISSUE = "Users can't send email from Outlook on the web"


def test_an_agent_gets_matching_service_health_and_solutions(page, mode_demo):
    connector = mode_demo["connector_url"]
    sign_in(page, connector, mode_demo["users"]["agent"])
    open_incident(page, connector, OUTLOOK_INCIDENT)
    assert page.get_by_role("heading", name="Incident INC").is_visible()
    open_support_tab(page)

    answer = run_insights(page)

    issues = answer.locator("article.insight-issue")
    assert issues.filter(has_text=OUTLOOK_ISSUE).filter(has_text="EX900001").count() == 1
    solutions = answer.locator("article.insight-solution")
    assert solutions.count() >= 1
    assert solutions.first.get_by_role("link").inner_text().strip()


def test_the_outlook_incident_lists_only_its_own_issue_and_unrelated_text_lists_none(page, demo):
    connector = demo["connector_url"]
    sign_in(page, connector, demo["users"]["agent"])
    open_incident(page, connector, OUTLOOK_INCIDENT)
    open_support_tab(page)

    answer = run_insights(page)

    issues = answer.locator("article.insight-issue")
    assert [issues.nth(i).locator("h3").inner_text() for i in range(issues.count())] == [
        f"{OUTLOOK_ISSUE} EX900001"
    ]
    assert issues.filter(has_text="Microsoft Teams").count() == 0

    page.get_by_label("Search recommended solutions").fill("printer jam on the third floor")
    page.get_by_role("button", name="Search", exact=True).click()
    page.wait_for_load_state()
    searched = page.get_by_role("region", name="Microsoft 365 Insights")
    assert "Search: printer jam on the third floor" in searched.inner_text()
    assert searched.locator("article.insight-issue").count() == 0
    assert searched.get_by_text("No matching service health incidents.").is_visible()
