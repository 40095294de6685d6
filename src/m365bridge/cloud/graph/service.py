"""Service health issues and Message Center posts: their lifecycle and how collections are queried.

Services never commit; the request or the CLI transaction does.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from m365bridge.cloud.graph import repository
from m365bridge.cloud.graph.catalogue import SERVICES, CloudService, service_named
from m365bridge.cloud.graph.models import ServiceHealthIssue, ServiceUpdateMessage
from m365bridge.cloud.graph.odata import OrderKey, parse_filter, parse_orderby, parse_select
from m365bridge.cloud.graph.paging import decode_token, encode_token, key_values
from m365bridge.cloud.graph.resources import (
    CLASSIFICATIONS,
    CLOSED_STATUSES,
    OPEN_STATUSES,
    POST_TYPES,
    STATUS_RANK,
    Collection,
    format_datetime,
    health_resource,
    issue_resource,
)
from m365bridge.shared.errors import NotFound, UserError
from m365bridge.shared.orm import utcnow


@dataclass(frozen=True)
class CollectionQuery:
    """The OData options of one collection request, as given."""

    filter: str | None = None
    orderby: str | None = None
    select: str | None = None
    skip: int = 0
    skiptoken: str | None = None


@dataclass(frozen=True)
class Page:
    rows: list[Any]
    next_token: str | None
    select: list[str] | None
    count: int | None = None


def list_page(
    session: Session,
    collection: Collection,
    tenant_id: str,
    query: CollectionQuery,
    *,
    size: int,
    with_count: bool = False,
) -> Page:
    """One page of a collection; ``next_token`` continues exactly after its last row."""
    properties, type_name = collection.properties, collection.type_name
    condition = parse_filter(query.filter, properties, type_name) if query.filter is not None else None
    keys = parse_orderby(query.orderby, properties, type_name) if query.orderby else []
    if not any(key.prop.name == "id" for key in keys):
        keys.append(OrderKey(properties["id"], descending=False))
    names = parse_select(query.select, collection.fields, type_name) if query.select is not None else None
    after = decode_token(query.skiptoken, keys) if query.skiptoken else None
    if query.skip < 0:
        raise UserError("Invalid value for the $skip query parameter: it must be zero or more.")
    rows = list(
        repository.page(
            session,
            collection.model,
            tenant_id,
            condition,
            keys,
            after=after,
            skip=query.skip,
            limit=size + 1,
        )
    )
    more = len(rows) > size
    rows = rows[:size]
    token = encode_token(keys, key_values(keys, rows[-1])) if more and rows else None
    total = repository.count(session, collection.model, tenant_id, condition) if with_count else None
    return Page(rows, token, names, total)


def get_issue(session: Session, tenant_id: str, issue_id: str) -> ServiceHealthIssue:
    issue = repository.get_issue(session, tenant_id, issue_id)
    if issue is None:
        raise NotFound(f"The service health issue '{issue_id}' does not exist in this tenant.")
    return issue


def get_message(session: Session, tenant_id: str, message_id: str) -> ServiceUpdateMessage:
    message = repository.get_message(session, tenant_id, message_id)
    if message is None:
        raise NotFound(f"The service update message '{message_id}' does not exist in this tenant.")
    return message


def health_overviews(session: Session, tenant_id: str) -> list[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """Each service with its status (its worst open issue, else serviceOperational) and its issues."""
    issues = repository.issues_of(session, tenant_id)
    by_service: dict[str, list[ServiceHealthIssue]] = {}
    for issue in issues:
        by_service.setdefault(service_named(issue.service).id, []).append(issue)
    services: list[CloudService] = list(SERVICES)
    known = {service.id for service in services}
    services += sorted(
        {service_named(i.service) for i in issues if service_named(i.service).id not in known},
        key=lambda s: s.id,
    )
    overviews = []
    for service in services:
        its_issues = by_service.get(service.id, [])
        open_statuses = [i.status for i in its_issues if not i.is_resolved]
        status = max(open_statuses, key=lambda s: STATUS_RANK.get(s, 0), default="serviceOperational")
        overviews.append(
            (health_resource(service.id, service.name, status), [issue_resource(i) for i in its_issues])
        )
    return overviews


def post(text: str, *, when: dt.datetime, post_type: str = "regular") -> dict[str, Any]:
    if post_type not in POST_TYPES:
        raise UserError(f"Unknown post type '{post_type}'; use one of {', '.join(sorted(POST_TYPES))}.")
    return {
        "createdDateTime": format_datetime(when),
        "postType": post_type,
        "description": {"contentType": "html", "content": text},
    }


def create_issue(
    session: Session,
    tenant_id: str,
    *,
    service: str,
    title: str,
    impact_description: str,
    classification: str = "incident",
    status: str = "investigating",
    feature: str | None = None,
    feature_group: str | None = None,
    first_post: str | None = None,
    issue_id: str | None = None,
    when: dt.datetime | None = None,
    rng: random.Random | None = None,
) -> ServiceHealthIssue:
    """A new open issue for a service; its first post (if any) is dated when it starts."""
    if classification not in CLASSIFICATIONS:
        raise UserError(f"Unknown classification '{classification}'; use advisory or incident.")
    _check_open_status(status)
    if not title.strip():
        raise UserError("An issue needs a title.")
    when = when or utcnow()
    known = service_named(service)
    issue_id = issue_id or _new_issue_id(session, tenant_id, known.issue_prefix, rng or random.Random())
    if repository.get_issue(session, tenant_id, issue_id) is not None:
        raise UserError(f"The issue '{issue_id}' exists already; choose another id.", status_code=409)
    issue = ServiceHealthIssue(
        tenant_id=tenant_id,
        id=issue_id,
        title=title,
        service=known.name,
        feature=feature,
        feature_group=feature_group,
        impact_description=impact_description,
        classification=classification,
        origin="microsoft",
        status=status,
        is_resolved=False,
        high_impact=None,
        start=when,
        end=None,
        last_modified=when,
        details=[],
        posts=[post(first_post, when=when)] if first_post else [],
        incident_report=None,
    )
    repository.add(session, issue)
    return issue


def add_post(
    session: Session,
    tenant_id: str,
    issue_id: str,
    text: str,
    *,
    status: str | None = None,
    when: dt.datetime | None = None,
) -> ServiceHealthIssue:
    """An update on an open issue, optionally moving it to another open status."""
    issue = get_issue(session, tenant_id, issue_id)
    if issue.is_resolved:
        raise UserError(f"The issue '{issue_id}' is resolved; it takes no more posts.", status_code=409)
    if status is not None:
        _check_open_status(status)
        issue.status = status
    when = when or utcnow()
    issue.posts = [*issue.posts, post(text, when=when)]
    issue.last_modified = when
    return issue


def resolve_issue(
    session: Session,
    tenant_id: str,
    issue_id: str,
    *,
    text: str | None = None,
    status: str = "serviceRestored",
    incident_report: str | None = None,
    when: dt.datetime | None = None,
) -> ServiceHealthIssue:
    """Close an issue with a final status; a post-incident review makes ``/incidentReport`` available."""
    issue = get_issue(session, tenant_id, issue_id)
    if status not in CLOSED_STATUSES:
        raise UserError(
            f"'{status}' does not resolve an issue; use one of {', '.join(sorted(CLOSED_STATUSES))}."
        )
    when = when or utcnow()
    if text:
        issue.posts = [*issue.posts, post(text, when=when)]
    issue.status = status
    issue.is_resolved = True
    issue.end = issue.end or when
    issue.last_modified = when
    if incident_report is not None:
        issue.incident_report = incident_report
    return issue


def incident_report(session: Session, tenant_id: str, issue_id: str) -> str:
    """The post-incident review's text, once published (Graph answers 404 before that)."""
    issue = get_issue(session, tenant_id, issue_id)
    if issue.status != "postIncidentReviewPublished":
        raise NotFound(f"No post-incident review has been published for the issue '{issue_id}'.")
    if issue.incident_report:
        return issue.incident_report
    lines = [f"Post-incident review: {issue.id} - {issue.title}", "", issue.impact_description, ""]
    lines += [f"{p['createdDateTime']}: {p['description']['content']}" for p in issue.posts]
    return "\n".join(lines)


def _check_open_status(status: str) -> None:
    if status not in OPEN_STATUSES:
        raise UserError(
            f"'{status}' is not a status of an open issue; use one of {', '.join(sorted(OPEN_STATUSES))}."
        )


def _new_issue_id(session: Session, tenant_id: str, prefix: str, rng: random.Random) -> str:
    taken = repository.issue_ids_starting(session, tenant_id, prefix)
    while True:
        candidate = f"{prefix}{rng.randrange(100000, 1000000)}"
        if candidate not in taken:
            return candidate
