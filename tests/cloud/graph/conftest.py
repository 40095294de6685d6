"""A cloud database session with a tenant's issues made through the service, for the Graph tests."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session

from m365bridge.cloud.context import CloudContext
from m365bridge.cloud.graph import service

TENANT = "11111111-1111-1111-1111-111111111111"
START = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)


@pytest.fixture
def session(cloud_context: CloudContext) -> Iterator[Session]:
    with cloud_context.sessions() as session:
        yield session


def make_issues(session: Session, tenant_id: str, count: int) -> None:
    """``count`` issues an hour apart; every third resolved, advisories and incidents alternating."""
    services = ["Exchange Online", "Microsoft Teams", "SharePoint Online"]
    for number in range(count):
        when = START + dt.timedelta(hours=number)
        service.create_issue(
            session,
            tenant_id,
            service=services[number % 3],
            title=f"Issue number {number}",
            impact_description="Users may be affected.",
            classification="advisory" if number % 2 else "incident",
            status="investigating" if number % 5 else "serviceDegradation",
            issue_id=f"T{number:05d}",
            when=when,
        )
        if number % 3 == 0:
            service.resolve_issue(session, tenant_id, f"T{number:05d}", text="Fixed.", when=when)
    session.flush()
