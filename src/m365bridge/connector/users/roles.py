"""The roles the connector knows. ``admin`` passes every role check, as in ServiceNow."""

from __future__ import annotations

ADMIN = "admin"
ITIL = "itil"
INCIDENT_MANAGER = "incident_manager"
INSIGHTS_USER = "x_mioms_m365_assis.insights_user"
APP_ADMINISTRATOR = "x_mioms_m365_assis.administrator"

ALL_ROLES: tuple[str, ...] = (ADMIN, ITIL, INCIDENT_MANAGER, INSIGHTS_USER, APP_ADMINISTRATOR)
