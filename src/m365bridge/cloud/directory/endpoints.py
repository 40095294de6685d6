"""Connector-facing directory lookup: is this email an active Microsoft 365 admin of the caller's tenant?

A connector's Link Account page asks before it saves an administrator's Microsoft 365 admin email, so that
a wrong address is caught there rather than when a case is opened. Only the caller's own tenant is looked
at; another tenant's people read as "not an admin".
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from m365bridge.cloud.context import get_session
from m365bridge.cloud.directory import service
from m365bridge.cloud.integration.dependencies import ConnectorCaller, require_connector_app

router = APIRouter(prefix="/support/v1", tags=["directory (connector)"])


class TenantAdminOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    email: str
    is_tenant_admin: bool = Field(alias="isTenantAdmin")


@router.get("/tenant-admins", response_model=TenantAdminOut, response_model_by_alias=True)
def tenant_admin(
    email: str = Query(min_length=3, max_length=320),
    caller: ConnectorCaller = Depends(require_connector_app),
    session: Session = Depends(get_session, scope="function"),
) -> TenantAdminOut:
    return TenantAdminOut(
        email=email, is_tenant_admin=service.is_tenant_admin(session, caller.tenant_id, email)
    )
