"""Who may change a tenant's support integration: its Global, Helpdesk or Service Support admins.

The admin API takes the directory person's credentials with HTTP Basic over TLS, the way the admin
center's own API would take a signed-in admin; pages use the UI session instead.
"""

from __future__ import annotations

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPBasic, HTTPBasicCredentials

from m365bridge.cloud.context import get_context
from m365bridge.cloud.directory import throttle
from m365bridge.cloud.directory.models import DirectoryUser
from m365bridge.cloud.directory.roles import TENANT_ADMIN_ROLES

basic = HTTPBasic(auto_error=False, description="A tenant admin's directory email and password.")


def require_tenant_admin(
    request: Request, tenant: str, credentials: HTTPBasicCredentials | None = Depends(basic)
) -> DirectoryUser:
    """The admin calling for ``tenant`` (path parameter); 401 without valid credentials, 429 after too many
    failures from the caller's address (``directory.throttle``), 403 otherwise."""
    user = None
    if credentials is not None:
        address = request.client.host if request.client else "unknown"
        try:
            user = throttle.sign_in(get_context(request), credentials.username, credentials.password, address)
        except throttle.TooManyFailures as refused:
            raise HTTPException(
                status.HTTP_429_TOO_MANY_REQUESTS,
                str(refused),
                headers={"Retry-After": str(refused.retry_after)},
            ) from refused
    if user is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "Sign in with a tenant admin's email and password.",
            headers={"WWW-Authenticate": 'Basic realm="m365bridge cloud"'},
        )
    if user.tenant_id != tenant or not user.roles & TENANT_ADMIN_ROLES:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            f"{user.email} is not a Global, Helpdesk or Service Support admin of tenant {tenant}.",
        )
    return user
