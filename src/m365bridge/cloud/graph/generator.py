"""Demo service health issues: plausible incidents and advisories across the main Microsoft 365 services.

Every issue goes through the same service calls an admin's would (create, post, resolve), so the data has
the shape real issues have: an opening post, updates that promise the next one, and for resolved issues a
final post with the root cause. ``generate`` is deterministic for a seed and a ``now``.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from m365bridge.cloud.graph import repository, service
from m365bridge.cloud.graph.models import ServiceHealthIssue
from m365bridge.shared.db import transaction
from m365bridge.shared.orm import utcnow


@dataclass(frozen=True)
class Scenario:
    service: str
    feature_group: str
    feature: str
    title: str
    impact: str
    cause: str


SCENARIOS = (
    Scenario(
        "Exchange Online",
        "E-Mail and calendar access",
        "Outlook on the web",
        "Users can't send email from Outlook on the web",
        "Users may see an error when they select Send on a new message in Outlook on the web.",
        "A recent configuration change to the mail submission service caused requests to time out.",
    ),
    Scenario(
        "Exchange Online",
        "E-Mail timely delivery",
        "Mail flow",
        "Some users may experience delays receiving email from external senders",
        "Inbound messages from outside the organization may take longer than usual to arrive.",
        "A section of infrastructure that processes inbound mail was running below expected capacity.",
    ),
    Scenario(
        "Microsoft Teams",
        "Teams Components",
        "Meetings",
        "Teams meetings recordings not available",
        "Meeting recordings may not appear in the meeting chat or in OneDrive after a meeting ends.",
        "A code issue in the recording upload service stopped some recordings from being saved.",
    ),
    Scenario(
        "Microsoft Teams",
        "Teams Components",
        "Chat (Teams)",
        "Users may be unable to load chat messages in Microsoft Teams",
        "Users may see a spinning icon instead of their recent chat messages in the desktop and web clients.",
        "A caching component failed to refresh after a routine update.",
    ),
    Scenario(
        "SharePoint Online",
        "SharePoint Features",
        "Search",
        "Users may see incomplete search results in SharePoint Online",
        "Recently uploaded documents may not appear in SharePoint search results.",
        "An indexing process stopped processing new content in part of the service.",
    ),
    Scenario(
        "SharePoint Online",
        "SharePoint Features",
        "Sites",
        "Users can't access some SharePoint Online sites",
        "Users may receive a 503 error when opening some team sites.",
        "A database supporting a subset of sites experienced high resource utilization.",
    ),
    Scenario(
        "OneDrive for Business",
        "OneDrive for Business",
        "Sync",
        "OneDrive sync client doesn't upload changed files",
        "Users may notice that the OneDrive sync client shows files as pending and doesn't upload them.",
        "A service dependency rejected some upload requests after a certificate rotation.",
    ),
    Scenario(
        "Microsoft Entra",
        "Microsoft Entra",
        "Sign-in",
        "Users may experience intermittent sign-in failures",
        "Users may be prompted repeatedly for credentials or see sign-in errors in Microsoft 365 apps.",
        "A token issuance component in one region was degraded after an update.",
    ),
    Scenario(
        "Outlook",
        "Outlook clients",
        "Outlook for Windows",
        "Outlook desktop client crashes when opening shared calendars",
        "Users may find that Outlook closes unexpectedly when they open a calendar shared with them.",
        "A recent Outlook build contained a regression in shared calendar rendering.",
    ),
)
UPDATES = (
    "We're reviewing service telemetry to understand the cause of the impact.",
    "We've identified a likely cause and are developing a fix.",
    "We're deploying the fix to the affected environments.",
    "The fix has reached most of the affected environments and we're monitoring the service.",
)
OPEN_STATUSES = ("investigating", "serviceDegradation", "serviceInterruption", "restoringService")


def generate(
    session: Session, tenant_id: str, count: int, seed: int = 0, *, now: dt.datetime | None = None
) -> list[ServiceHealthIssue]:
    """``count`` issues over the last 60 days; about a fifth (the newest) stay open."""
    rng = random.Random(seed)
    now = now or utcnow()
    starts = sorted(now - dt.timedelta(minutes=rng.randrange(30, 60 * 24 * 60)) for _ in range(count))
    open_from = count - max(1, count // 5) if count else 0
    return [
        _one_issue(session, tenant_id, rng, start, now, resolve=position < open_from)
        for position, start in enumerate(starts)
    ]


def generate_demo_issues(sessions: sessionmaker[Session], tenant_id: str, count: int = 30) -> None:
    """The demo's issues, made once: a restarted demo keeps the issues it made before."""
    with transaction(sessions, write=True) as session:
        if not repository.issues_of(session, tenant_id):
            generate(session, tenant_id, count, seed=2026)


def _one_issue(
    session: Session,
    tenant_id: str,
    rng: random.Random,
    start: dt.datetime,
    now: dt.datetime,
    *,
    resolve: bool,
) -> ServiceHealthIssue:
    scenario = rng.choice(SCENARIOS)
    issue = service.create_issue(
        session,
        tenant_id,
        service=scenario.service,
        title=scenario.title,
        impact_description=scenario.impact,
        classification=rng.choice(("incident", "advisory")),
        status="investigating",
        feature=scenario.feature,
        feature_group=scenario.feature_group,
        first_post=_opening(scenario, start + dt.timedelta(hours=1)),
        when=start,
        rng=rng,
    )
    when = start
    for update in UPDATES[: rng.randrange(1, len(UPDATES) + 1)]:
        when += dt.timedelta(minutes=rng.randrange(20, 180))
        if when >= now:
            break
        next_update = _round_up(when + dt.timedelta(hours=rng.choice((1, 2, 4))))
        service.add_post(
            session,
            tenant_id,
            issue.id,
            f"Current status: {update} We'll provide an update by {_stamp(next_update)}.",
            status=rng.choice(OPEN_STATUSES),
            when=when,
        )
    if resolve:
        when = min(when + dt.timedelta(minutes=rng.randrange(30, 240)), now)
        service.resolve_issue(
            session,
            tenant_id,
            issue.id,
            text=f"Final status: We've confirmed the fix resolved the impact. Root cause: {scenario.cause}",
            status=rng.choice(("serviceRestored", "serviceRestored", "postIncidentReviewPublished")),
            when=when,
        )
    return issue


def _opening(scenario: Scenario, next_update: dt.datetime) -> str:
    return (
        f"Title: {scenario.title}\nUser impact: {scenario.impact}\n"
        f"Current status: We're investigating reports of this issue. "
        f"We'll provide an update by {_stamp(_round_up(next_update))}."
    )


def _round_up(when: dt.datetime) -> dt.datetime:
    whole_hour = when.replace(minute=0, second=0, microsecond=0)
    return whole_hour if whole_hour == when else whole_hour + dt.timedelta(hours=1)


def _stamp(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
