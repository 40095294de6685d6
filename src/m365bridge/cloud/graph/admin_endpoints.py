"""``/admin/graph/tenants/{tenant}/issues``: a tenant admin opens, updates and resolves service health issues.

Guarded by the cloud's admin API token (``admin_api_token`` setting): the identity admin API's own guard.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from sqlalchemy.orm import Session

from m365bridge.cloud.context import get_session
from m365bridge.cloud.graph import repository, service
from m365bridge.cloud.graph.resources import issue_resource
from m365bridge.cloud.graph.schemas import IssueCreate, IssuePost, IssueResolve
from m365bridge.cloud.graph.tenants import tenant_id_of
from m365bridge.cloud.identity.admin import require_admin_token

router = APIRouter(prefix="/admin/graph/tenants/{tenant}", dependencies=[Depends(require_admin_token)])


@router.get("/issues")
def list_issues(
    tenant: str, session: Session = Depends(get_session, scope="function")
) -> list[dict[str, Any]]:
    return [issue_resource(issue) for issue in repository.issues_of(session, tenant_id_of(session, tenant))]


@router.post("/issues", status_code=201)
def create_issue(
    tenant: str, body: IssueCreate, session: Session = Depends(get_session, scope="function")
) -> dict[str, Any]:
    issue = service.create_issue(
        session,
        tenant_id_of(session, tenant),
        service=body.service,
        title=body.title,
        impact_description=body.impact_description,
        classification=body.classification,
        status=body.status,
        feature=body.feature,
        feature_group=body.feature_group,
        first_post=body.post,
        issue_id=body.id,
    )
    return issue_resource(issue)


@router.post("/issues/{issue_id}/posts")
def add_post(
    tenant: str, issue_id: str, body: IssuePost, session: Session = Depends(get_session, scope="function")
) -> dict[str, Any]:
    issue = service.add_post(session, tenant_id_of(session, tenant), issue_id, body.text, status=body.status)
    return issue_resource(issue)


@router.post("/issues/{issue_id}/resolve")
def resolve_issue(
    tenant: str, issue_id: str, body: IssueResolve, session: Session = Depends(get_session, scope="function")
) -> dict[str, Any]:
    issue = service.resolve_issue(
        session,
        tenant_id_of(session, tenant),
        issue_id,
        text=body.text,
        status=body.status,
        incident_report=body.incident_report,
    )
    return issue_resource(issue)
