"""Microsoft 365 support > Troubleshooting: the doctor's report as a page (admin only)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from m365bridge.connector.auth.dependencies import require_ui_user
from m365bridge.connector.auth.principal import Principal
from m365bridge.connector.context import ConnectorContext, get_context
from m365bridge.connector.troubleshooting.instance_rows import INSTANCE_ROWS
from m365bridge.connector.troubleshooting.rows import ROWS
from m365bridge.connector.troubleshooting.service import run_doctor
from m365bridge.connector.users.roles import ADMIN
from m365bridge.connector.web.templating import render

router = APIRouter(tags=["troubleshooting"], include_in_schema=False)


@router.get("/m365/troubleshooting")
def troubleshooting(
    request: Request,
    offline: bool = False,
    _user: Principal = Depends(require_ui_user(ADMIN)),
    context: ConnectorContext = Depends(get_context),
) -> Response:
    # No request session: the live checks wait on other servers and must not hold a database lock.
    report = run_doctor(context, live_checks=not offline)
    return render(
        request,
        "troubleshooting/doctor.html",
        title="Troubleshooting",
        report=report,
        rows={**ROWS, **INSTANCE_ROWS} if report.instance else ROWS,
        offline=offline,
    )
