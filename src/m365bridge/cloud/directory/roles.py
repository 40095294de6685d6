"""Directory roles. The admin roles are Entra's names; the guide's "Service Request admin" is the
Service Support Administrator. ``support_engineer`` is Microsoft's own staff, across tenants."""

from __future__ import annotations

GLOBAL_ADMIN = "Global Administrator"
HELPDESK_ADMIN = "Helpdesk Administrator"
SERVICE_SUPPORT_ADMIN = "Service Support Administrator"
SUPPORT_ENGINEER = "support_engineer"

TENANT_ADMIN_ROLES = frozenset({GLOBAL_ADMIN, HELPDESK_ADMIN, SERVICE_SUPPORT_ADMIN})
ALL_ROLES = (*sorted(TENANT_ADMIN_ROLES), SUPPORT_ENGINEER)
