import datetime as dt

from m365bridge.cloud.graph import generator, repository, service

from .conftest import TENANT

NOW = dt.datetime(2026, 11, 27, 12, tzinfo=dt.UTC)


def test_generated_issues_mix_open_and_resolved_with_promised_updates(session):
    made = generator.generate(session, TENANT, 40, seed=7, now=NOW)
    stored = repository.issues_of(session, TENANT)
    assert len(stored) == len(made) == 40
    assert {issue.is_resolved for issue in stored} == {True, False}
    assert len({issue.service for issue in stored}) >= 5
    open_posts = [post for issue in stored if not issue.is_resolved for post in issue.posts]
    assert any("We'll provide an update by" in post["description"]["content"] for post in open_posts)
    assert all(issue.start <= NOW and issue.last_modified <= NOW for issue in stored)


def test_the_same_seed_makes_the_same_issues(session):
    first = [(i.id, i.title, i.status) for i in generator.generate(session, TENANT, 10, seed=3, now=NOW)]
    again = [
        (i.id, i.title, i.status)
        for i in generator.generate(session, "22222222-2222-2222-2222-222222222222", 10, seed=3, now=NOW)
    ]
    assert first == again


def test_a_service_with_an_open_issue_reports_its_worst_status(session):
    service.create_issue(session, TENANT, service="Exchange Online", title="A", impact_description="")
    worst = service.create_issue(session, TENANT, service="Exchange Online", title="B", impact_description="")
    service.add_post(session, TENANT, worst.id, "Mail is down.", status="serviceInterruption")
    gone = service.create_issue(session, TENANT, service="Microsoft Teams", title="C", impact_description="")
    service.resolve_issue(session, TENANT, gone.id)
    statuses = {
        overview["id"]: overview["status"] for overview, _ in service.health_overviews(session, TENANT)
    }
    assert statuses["Exchange"] == "serviceInterruption"
    assert statuses["microsoftteams"] == "serviceOperational"
