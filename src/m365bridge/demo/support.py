"""The demo's support side: Contoso's Helpdesk admin, a Microsoft support engineer, and the admin
center's Support integration basic information (the outbound app may call the support service)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from m365bridge.cloud.context import CloudContext
from m365bridge.cloud.directory import service as directory
from m365bridge.cloud.directory.roles import HELPDESK_ADMIN, SUPPORT_ENGINEER
from m365bridge.cloud.integration import service as integration
from m365bridge.demo.record import DemoRecord
from m365bridge.shared.db import transaction

TENANT_ADMIN = ("admin@contoso.onmicrosoft.com", "Contoso-Admin-2026", "Contoso Admin")
ENGINEER = ("engineer@support.microsoft.example", "Support-Engineer-2026", "Microsoft Support Engineer")


def provision_support(record: DemoRecord, cloud: CloudContext) -> None:
    tenant_id = record.tenant.get("id")
    with transaction(cloud.sessions, write=True) as session:
        if tenant_id:
            _person(session, TENANT_ADMIN, tenant_id, [HELPDESK_ADMIN])
            record.users["tenant_admin"] = _entry(TENANT_ADMIN, [HELPDESK_ADMIN])
            outbound = record.apps.get("outbound", {}).get("client_id")
            if outbound:
                integration.save_basic_information(session, tenant_id, app_id=outbound)
        _person(session, ENGINEER, None, [SUPPORT_ENGINEER])
        record.users["support_engineer"] = _entry(ENGINEER, [SUPPORT_ENGINEER])


def _person(session: Session, who: tuple[str, str, str], tenant_id: str | None, roles: list[str]) -> None:
    email, password, name = who
    if directory.find_user(session, email) is not None:
        return  # a restarted demo keeps the people it made
    directory.create_user(
        session, email=email, display_name=name, password=password, tenant_id=tenant_id, roles=roles
    )


def _entry(who: tuple[str, str, str], roles: list[str]) -> dict[str, object]:
    return {"user_name": who[0], "password": who[1], "roles": roles}
