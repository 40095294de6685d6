"""Shared helpers for the incident tests."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from m365bridge.connector.context import ConnectorContext
from m365bridge.connector.incidents import service
from m365bridge.shared.db import transaction


def make_incident(context: ConnectorContext, **fields: Any) -> tuple[str, str]:
    """Create an incident as the system; returns (sys_id, number)."""
    values: Mapping[str, Any] = {"short_description": "Mail is slow", **fields}
    with transaction(context.sessions) as session:
        incident = service.create_incident(session, values, service.SYSTEM)
        return incident.sys_id, incident.number
