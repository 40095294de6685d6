"""Admin API of the support integration settings: ``/support/v1/tenants/{tenant}/integration``."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Response, status
from sqlalchemy.orm import Session

from m365bridge.cloud.connectors.client import outbound_policy
from m365bridge.cloud.context import CloudContext, get_context, get_session
from m365bridge.cloud.integration import service
from m365bridge.cloud.integration.admin_auth import require_tenant_admin
from m365bridge.cloud.integration.schemas import (
    BasicInformationIn,
    IntegrationOut,
    RepositoryIn,
    RepositoryOut,
)

router = APIRouter(
    prefix="/support/v1/tenants/{tenant}/integration",
    tags=["support integration (admin)"],
    dependencies=[Depends(require_tenant_admin)],
)


def integration_view(session: Session, tenant: str) -> IntegrationOut:
    found = service.get_integration(session, tenant)
    return IntegrationOut(
        tenant_id=tenant,
        support_tool=found.support_tool,
        application_id=found.app_id or None,
        repositories=[RepositoryOut.of(r) for r in service.list_repositories(session, tenant)],
    )


@router.get("", response_model=IntegrationOut)
def read_integration(
    tenant: str, session: Session = Depends(get_session, scope="function")
) -> IntegrationOut:
    return integration_view(session, tenant)


@router.put("", response_model=IntegrationOut)
def save_basic_information(
    tenant: str, body: BasicInformationIn, session: Session = Depends(get_session, scope="function")
) -> IntegrationOut:
    service.save_basic_information(
        session, tenant, app_id=body.application_id, support_tool=body.support_tool
    )
    return integration_view(session, tenant)


@router.get("/repositories", response_model=list[RepositoryOut])
def list_repositories(
    tenant: str, session: Session = Depends(get_session, scope="function")
) -> list[RepositoryOut]:
    return [RepositoryOut.of(r) for r in service.list_repositories(session, tenant)]


@router.post("/repositories", response_model=RepositoryOut, status_code=status.HTTP_201_CREATED)
def add_repository(
    tenant: str,
    body: RepositoryIn,
    session: Session = Depends(get_session, scope="function"),
    context: CloudContext = Depends(get_context),
) -> RepositoryOut:
    return RepositoryOut.of(
        service.add_repository(
            session, tenant, body.as_input(), context.secrets, outbound_policy(context.settings)
        )
    )


@router.get("/repositories/{repository}", response_model=RepositoryOut)
def read_repository(
    tenant: str, repository: str, session: Session = Depends(get_session, scope="function")
) -> RepositoryOut:
    return RepositoryOut.of(service.get_repository(session, tenant, repository))


@router.put("/repositories/{repository}", response_model=RepositoryOut)
def update_repository(
    tenant: str,
    repository: str,
    body: RepositoryIn,
    session: Session = Depends(get_session, scope="function"),
    context: CloudContext = Depends(get_context),
) -> RepositoryOut:
    policy = outbound_policy(context.settings)
    updated = service.update_repository(session, tenant, repository, body.as_input(), context.secrets, policy)
    return RepositoryOut.of(updated)


@router.delete("/repositories/{repository}", status_code=status.HTTP_204_NO_CONTENT)
def delete_repository(
    tenant: str, repository: str, session: Session = Depends(get_session, scope="function")
) -> Response:
    service.delete_repository(session, tenant, repository)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
