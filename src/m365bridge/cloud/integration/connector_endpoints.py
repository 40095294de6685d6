"""Connector-facing support integration routes: the setup lookup, the repository probe, and the Link
Account page's check of an admin e-mail."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from m365bridge.cloud.connectors import probe
from m365bridge.cloud.context import CloudContext, get_context, get_session
from m365bridge.cloud.directory import service as directory
from m365bridge.cloud.integration import service
from m365bridge.cloud.integration.dependencies import ConnectorCaller, require_connector_app
from m365bridge.cloud.integration.endpoints import integration_view
from m365bridge.cloud.integration.schemas import IntegrationOut, ProbeOut
from m365bridge.shared.db import transaction

router = APIRouter(prefix="/support/v1", tags=["support integration (connector)"])


@router.get("/integration", response_model=IntegrationOut)
def my_integration(
    caller: ConnectorCaller = Depends(require_connector_app),
    session: Session = Depends(get_session, scope="function"),
) -> IntegrationOut:
    """The caller's tenant id, configured application id and repositories (never their secrets)."""
    return integration_view(session, caller.tenant_id)


@router.post("/repositories/{repository}/probe", response_model=ProbeOut)
def probe_repository(
    repository: str,
    caller: ConnectorCaller = Depends(require_connector_app),
    context: CloudContext = Depends(get_context),
) -> ProbeOut:
    """Authenticate to the repository's Endpoint as case delivery would, then GET ``{endpoint}/probe``."""
    # No request session: a POST's is a writer, and the probe calls the connector (which may be in the
    # middle of its Test connection) and stores tokens in units of its own; hold no write lock meanwhile.
    with transaction(context.sessions) as session:
        target = service.get_repository(session, caller.tenant_id, repository)
    result = probe.run(context, target)
    return ProbeOut(ok=result.ok, step=result.step, status_code=result.status_code, message=result.message)


class TenantAdminOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    email: str
    is_tenant_admin: bool = Field(alias="isTenantAdmin")


@router.get(
    "/tenant-admins",
    response_model=TenantAdminOut,
    response_model_by_alias=True,
    tags=["directory (connector)"],
)
def tenant_admin(
    email: str = Query(min_length=3, max_length=320),
    caller: ConnectorCaller = Depends(require_connector_app),
    session: Session = Depends(get_session, scope="function"),
) -> TenantAdminOut:
    """Is ``email`` an active Microsoft 365 admin of the caller's tenant?

    A connector's Link Account page asks before it saves an administrator's Microsoft 365 admin email, so
    that a wrong address is caught there rather than when a case is opened. Only the caller's own tenant
    is looked at; another tenant's people read as "not an admin".
    """
    return TenantAdminOut(
        email=email, is_tenant_admin=directory.is_tenant_admin(session, caller.tenant_id, email)
    )
