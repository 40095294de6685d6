"""``POST /api/x_mioms_m365_assis/v1/servicenow/changes``: the instance's push (a business rule's outbound
REST message, docs/servicenow.md) saying an incident changed. The body is only a hint: it wakes the runner,
whose poll reads the changes from the instance itself, so nothing in it is trusted as data."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from m365bridge.connector.auth.dependencies import require_roles
from m365bridge.connector.auth.principal import Principal
from m365bridge.connector.servicenow.schemas import ChangeHint, ChangeHintAccepted
from m365bridge.connector.users.roles import INCIDENT_MANAGER

router = APIRouter(prefix="/api/x_mioms_m365_assis/v1/servicenow", tags=["ServiceNow instance"])


@router.post("/changes", status_code=202, response_model=ChangeHintAccepted)
def post_changes(
    request: Request,
    hint: ChangeHint,
    user: Principal = Depends(require_roles(INCIDENT_MANAGER)),
) -> ChangeHintAccepted:
    """Wake the poll now (202); ``polling`` is false when no runner runs here (``servicenow_poll_seconds``
    is 0), in which case the change arrives with the next ``sync-now``."""
    runner = getattr(request.app.state, "servicenow_runner", None)
    if runner is None or not runner.running:
        return ChangeHintAccepted(polling=False)
    runner.wake()
    return ChangeHintAccepted(polling=True)
