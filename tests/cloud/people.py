"""Directory people the cloud tests sign in as."""

from __future__ import annotations

from m365bridge.cloud.context import CloudContext
from m365bridge.cloud.directory import service
from m365bridge.cloud.directory.roles import HELPDESK_ADMIN, SUPPORT_ENGINEER
from m365bridge.shared.db import transaction

TENANT = "11111111-2222-3333-4444-555555555555"
ADMIN = ("admin@contoso.onmicrosoft.com", "Admin-pass-1")
ENGINEER = ("engineer@microsoft.example", "Engineer-pass-1")


def add_person(
    context: CloudContext, email: str, password: str, *, tenant: str | None, roles: list[str]
) -> None:
    with transaction(context.sessions) as session:
        service.create_user(
            session,
            email=email,
            display_name=email.split("@")[0],
            password=password,
            tenant_id=tenant,
            roles=roles,
        )


def add_admin(context: CloudContext, tenant: str = TENANT) -> tuple[str, str]:
    add_person(context, *ADMIN, tenant=tenant, roles=[HELPDESK_ADMIN])
    return ADMIN


def add_engineer(context: CloudContext) -> tuple[str, str]:
    add_person(context, *ENGINEER, tenant=None, roles=[SUPPORT_ENGINEER])
    return ENGINEER
