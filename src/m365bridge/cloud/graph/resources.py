"""Graph's resource shapes and vocabularies: what each resource looks like, which properties a query reaches.

Enum values are camelCase, exactly as the live API returns them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from m365bridge.cloud.graph.models import ServiceHealthIssue, ServiceUpdateMessage
from m365bridge.cloud.graph.odata import Property

HEALTH_STATUSES = frozenset(
    {
        "serviceOperational",
        "investigating",
        "restoringService",
        "verifyingService",
        "serviceRestored",
        "postIncidentReviewPublished",
        "serviceDegradation",
        "serviceInterruption",
        "extendedRecovery",
        "falsePositive",
        "investigationSuspended",
        "resolved",
        "mitigatedExternal",
        "mitigated",
        "resolvedExternal",
        "confirmed",
        "reported",
        "unknownFutureValue",
    }
)
# How bad an open issue's status is for its service's health overview: the worst open issue wins.
STATUS_RANK = {
    "serviceInterruption": 9,
    "serviceDegradation": 8,
    "extendedRecovery": 7,
    "restoringService": 6,
    "investigating": 5,
    "confirmed": 4,
    "reported": 3,
    "verifyingService": 2,
    "mitigated": 1,
    "mitigatedExternal": 1,
    "investigationSuspended": 1,
}
OPEN_STATUSES = frozenset(STATUS_RANK)
CLOSED_STATUSES = frozenset(
    {"serviceRestored", "postIncidentReviewPublished", "falsePositive", "resolved", "resolvedExternal"}
)
CLASSIFICATIONS = frozenset({"advisory", "incident", "unknownFutureValue"})
ORIGINS = frozenset({"microsoft", "thirdParty", "customer", "unknownFutureValue"})
POST_TYPES = frozenset({"regular", "quick", "strategic", "unknownFutureValue"})
CATEGORIES = frozenset({"preventOrFixIssue", "planForChange", "stayInformed", "unknownFutureValue"})
SEVERITIES = frozenset({"normal", "high", "critical", "unknownFutureValue"})

ISSUE_TYPE = "microsoft.graph.serviceHealthIssue"
MESSAGE_TYPE = "microsoft.graph.serviceUpdateMessage"
HEALTH_TYPE = "microsoft.graph.serviceHealth"

_issue = ServiceHealthIssue
ISSUE_PROPERTIES = {
    p.name: p
    for p in (
        Property("id", _issue.id, "string"),
        Property("title", _issue.title, "string"),
        Property("service", _issue.service, "string"),
        Property("feature", _issue.feature, "string", nullable=True),
        Property("featureGroup", _issue.feature_group, "string", nullable=True),
        Property("classification", _issue.classification, "enum", members=CLASSIFICATIONS),
        Property("origin", _issue.origin, "enum", members=ORIGINS),
        Property("status", _issue.status, "enum", members=HEALTH_STATUSES),
        Property("isResolved", _issue.is_resolved, "boolean"),
        Property("startDateTime", _issue.start, "datetime"),
        Property("endDateTime", _issue.end, "datetime", nullable=True),
        Property("lastModifiedDateTime", _issue.last_modified, "datetime"),
    )
}
_message = ServiceUpdateMessage
MESSAGE_PROPERTIES = {
    p.name: p
    for p in (
        Property("id", _message.id, "string"),
        Property("title", _message.title, "string"),
        Property("category", _message.category, "enum", members=CATEGORIES),
        Property("severity", _message.severity, "enum", members=SEVERITIES),
        Property("isMajorChange", _message.is_major_change, "boolean"),
        Property("startDateTime", _message.start, "datetime", nullable=True),
        Property("endDateTime", _message.end, "datetime", nullable=True),
        Property("lastModifiedDateTime", _message.last_modified, "datetime"),
        Property("actionRequiredByDateTime", _message.action_required_by, "datetime", nullable=True),
    )
}
ISSUE_FIELDS = frozenset(
    {
        "startDateTime",
        "endDateTime",
        "lastModifiedDateTime",
        "title",
        "id",
        "impactDescription",
        "classification",
        "origin",
        "status",
        "service",
        "feature",
        "featureGroup",
        "isResolved",
        "highImpact",
        "details",
        "posts",
    }
)
MESSAGE_FIELDS = frozenset(
    {
        "startDateTime",
        "endDateTime",
        "lastModifiedDateTime",
        "title",
        "id",
        "category",
        "severity",
        "tags",
        "isMajorChange",
        "actionRequiredByDateTime",
        "services",
        "expiryDateTime",
        "hasAttachments",
        "viewPoint",
        "details",
        "body",
    }
)
HEALTH_FIELDS = frozenset({"service", "status", "id", "issues"})


@dataclass(frozen=True)
class Collection:
    """What a query needs to know about one of Graph's collections."""

    model: type[ServiceHealthIssue] | type[ServiceUpdateMessage]
    properties: Mapping[str, Property]
    fields: frozenset[str]
    type_name: str


ISSUES = Collection(ServiceHealthIssue, ISSUE_PROPERTIES, ISSUE_FIELDS, ISSUE_TYPE)
MESSAGES = Collection(ServiceUpdateMessage, MESSAGE_PROPERTIES, MESSAGE_FIELDS, MESSAGE_TYPE)


def format_datetime(value: dt.datetime | None) -> str | None:
    """Graph's DateTimeOffset form: UTC with a ``Z``, fractions only when there are any."""
    if value is None:
        return None
    value = value.astimezone(dt.UTC)
    text = value.strftime("%Y-%m-%dT%H:%M:%S")
    if value.microsecond:
        text += f".{value.microsecond:06d}".rstrip("0")
    return text + "Z"


def issue_resource(issue: ServiceHealthIssue) -> dict[str, Any]:
    return {
        "startDateTime": format_datetime(issue.start),
        "endDateTime": format_datetime(issue.end),
        "lastModifiedDateTime": format_datetime(issue.last_modified),
        "title": issue.title,
        "id": issue.id,
        "impactDescription": issue.impact_description,
        "classification": issue.classification,
        "origin": issue.origin,
        "status": issue.status,
        "service": issue.service,
        "feature": issue.feature,
        "featureGroup": issue.feature_group,
        "isResolved": issue.is_resolved,
        "highImpact": issue.high_impact,
        "details": list(issue.details),
        "posts": list(issue.posts),
    }


def message_resource(message: ServiceUpdateMessage) -> dict[str, Any]:
    return dict(message.document)


def health_resource(service_id: str, name: str, status: str) -> dict[str, Any]:
    return {"service": name, "status": status, "id": service_id}


def select(resource: dict[str, Any], names: list[str] | None) -> dict[str, Any]:
    return resource if names is None else {name: resource.get(name) for name in names}
