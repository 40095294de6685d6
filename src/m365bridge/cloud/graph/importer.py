"""Loading Graph JSON as Graph returned it: issues, messages and health overviews with their issues.

Accepts a single resource, a list, or a collection page (``{"value": [...]}``); each resource is recognised
by its ``@odata.type`` or, without one, by the properties only that resource has.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from m365bridge.cloud.graph import repository
from m365bridge.cloud.graph.models import ServiceHealthIssue, ServiceUpdateMessage
from m365bridge.cloud.graph.odata import ODataError, parse_datetime
from m365bridge.cloud.graph.resources import CATEGORIES, CLASSIFICATIONS, HEALTH_STATUSES, SEVERITIES
from m365bridge.shared.errors import UserError


@dataclass
class ImportCounts:
    issues: int = 0
    messages: int = 0


def import_file(session: Session, tenant_id: str, path: Path) -> ImportCounts:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise UserError(f"Cannot read Graph JSON from {path}: {error}") from None
    return import_resources(session, tenant_id, data)


def import_resources(session: Session, tenant_id: str, data: Any) -> ImportCounts:
    counts = ImportCounts()
    for resource in _resources(data):
        kind = _kind(resource)
        if kind == "message":
            upsert_message(session, tenant_id, resource)
            counts.messages += 1
        elif kind == "issue":
            upsert_issue(session, tenant_id, resource)
            counts.issues += 1
        else:
            for issue in resource.get("issues") or []:
                upsert_issue(session, tenant_id, issue)
                counts.issues += 1
    return counts


def _resources(data: Any) -> list[dict[str, Any]]:
    if isinstance(data, dict) and isinstance(data.get("value"), list):
        data = data["value"]
    items = data if isinstance(data, list) else [data]
    if not all(isinstance(item, dict) for item in items):
        raise UserError("Graph JSON must be a resource, a list of resources or a page with a 'value' list.")
    return items


def _kind(resource: dict[str, Any]) -> str:
    odata_type = str(resource.get("@odata.type", ""))
    if odata_type.endswith("serviceUpdateMessage") or "category" in resource:
        return "message"
    if odata_type.endswith("serviceHealthIssue") or "classification" in resource:
        return "issue"
    if odata_type.endswith("serviceHealth") or ("service" in resource and "status" in resource):
        return "health"
    raise UserError(
        f"Unrecognised Graph resource (id {resource.get('id')!r}): not an issue, message or service."
    )


def upsert_message(session: Session, tenant_id: str, document: dict[str, Any]) -> ServiceUpdateMessage:
    """Store a message version exactly as given; a newer version replaces the older one."""
    fields = _message_fields(document)
    message = repository.get_message(session, tenant_id, fields["id"])
    if message is None:
        message = ServiceUpdateMessage(tenant_id=tenant_id, **fields)
        repository.add(session, message)
    else:
        for name, value in fields.items():
            setattr(message, name, value)
    return message


def _message_fields(document: dict[str, Any]) -> dict[str, Any]:
    try:
        fields = {
            "id": str(document["id"]),
            "title": str(document["title"]),
            "category": _member(document["category"], CATEGORIES, "category"),
            "severity": _member(document["severity"], SEVERITIES, "severity"),
            "is_major_change": bool(document.get("isMajorChange", False)),
            "start": _when(document.get("startDateTime")),
            "end": _when(document.get("endDateTime")),
            "last_modified": _when(document["lastModifiedDateTime"]),
            "action_required_by": _when(document.get("actionRequiredByDateTime")),
            "document": {k: v for k, v in document.items() if not k.startswith("@odata.")},
        }
    except KeyError as missing:
        raise UserError(f"The message {document.get('id')!r} lacks the property {missing}.") from None
    if fields["last_modified"] is None:
        raise UserError(f"The message {fields['id']!r} has no lastModifiedDateTime.")
    return fields


def upsert_issue(session: Session, tenant_id: str, document: dict[str, Any]) -> ServiceHealthIssue:
    try:
        fields = {
            "id": str(document["id"]),
            "title": str(document["title"]),
            "service": str(document["service"]),
            "feature": document.get("feature"),
            "feature_group": document.get("featureGroup"),
            "impact_description": str(document.get("impactDescription") or ""),
            "classification": _member(document["classification"], CLASSIFICATIONS, "classification"),
            "origin": str(document.get("origin") or "microsoft"),
            "status": _member(document["status"], HEALTH_STATUSES, "status"),
            "is_resolved": bool(document.get("isResolved", False)),
            "high_impact": document.get("highImpact"),
            "start": _when(document["startDateTime"]),
            "end": _when(document.get("endDateTime")),
            "last_modified": _when(document.get("lastModifiedDateTime") or document["startDateTime"]),
            "details": list(document.get("details") or []),
            "posts": list(document.get("posts") or []),
        }
    except KeyError as missing:
        raise UserError(f"The issue {document.get('id')!r} lacks the property {missing}.") from None
    issue = repository.get_issue(session, tenant_id, fields["id"])
    if issue is None:
        issue = ServiceHealthIssue(tenant_id=tenant_id, incident_report=None, **fields)
        repository.add(session, issue)
    else:
        for name, value in fields.items():
            setattr(issue, name, value)
    return issue


def _member(value: Any, members: frozenset[str], name: str) -> str:
    if value not in members:
        raise UserError(f"Unknown {name} {value!r}; Graph uses {', '.join(sorted(members))}.")
    return str(value)


def _when(value: Any) -> Any:
    if value is None:
        return None
    try:
        return parse_datetime(str(value))
    except ODataError:
        raise UserError(f"The timestamp {value!r} is not ISO 8601.") from None
