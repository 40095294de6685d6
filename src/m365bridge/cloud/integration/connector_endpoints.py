"""Connector-facing support integration routes: the setup lookup and the repository probe."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from sqlalchemy.orm import Session

from m365bridge.cloud.context import CloudContext, get_context, get_session
from m365bridge.cloud.integration import probe, service
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
    return probe.run(context, target)
