"""What can go wrong when calling a ServiceNow instance, each failure with what to do about it.

Every error says whether trying again later can help (``retriable``); the caller (a poller, a writer, the
worker of a later step) decides what to do with that, the client never loops forever on its own.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from m365bridge.connector.logs import system_log


class ServiceNowError(Exception):
    """A failed call to the instance: ``str(error)`` is safe to show and to log (never a credential)."""

    kind = "error"
    retriable = False

    def __init__(self, message: str, *, fix: str, status: int | None = None, detail: str = "") -> None:
        super().__init__(message)
        self.fix = fix
        self.status = status
        self.detail = detail

    def explain(self) -> str:
        """One line for a person: what happened, then what to do."""
        return f"{self} {self.fix}"


class InstanceUnreachable(ServiceNowError):
    """DNS, connection or TLS failure: the URL is wrong, or the instance (or the network) is down."""

    kind = "unreachable"
    retriable = True


class NotJson(ServiceNowError):
    """An HTML page (or anything else) where the Table API answers JSON: a hibernating developer instance,
    a login or SSO page in front of the instance, or a URL that is not the instance's."""

    kind = "not_json"
    retriable = True


class Unauthorized(ServiceNowError):
    """401: the password, client secret or token was refused."""

    kind = "unauthorized"


class Forbidden(ServiceNowError):
    """403: the account is known but an ACL (or a missing role) refuses the operation."""

    kind = "forbidden"


class MissingRoles(Forbidden):
    """The account's roles (``sys_user_has_role``) lack one the connector needs; found before any write."""

    kind = "missing_roles"


class ClockSkew(ServiceNowError):
    """The instance's ``Date`` header and this machine's clock disagree beyond the allowed skew."""

    kind = "clock_skew"


class RecordNotFound(ServiceNowError):
    """404 on a record: it does not exist, or an ACL hides it (ServiceNow does not say which)."""

    kind = "not_found"


class Throttled(ServiceNowError):
    """429 after the client's bounded retries, or a Retry-After longer than it is willing to wait."""

    kind = "throttled"
    retriable = True

    def __init__(self, message: str, *, fix: str, retry_after: float | None) -> None:
        super().__init__(message, fix=fix, status=429)
        self.retry_after = retry_after


class InstanceFailed(ServiceNowError):
    """5xx: the instance failed (or a proxy in front of it); a later try may work."""

    kind = "server_error"
    retriable = True


class RequestRefused(ServiceNowError):
    """Any other 4xx: the request itself is wrong; repeating it will not help."""

    kind = "refused"


class TokenRefused(ServiceNowError):
    """``/oauth_token.do`` refused the grant (wrong client, wrong password, expired refresh token)."""

    kind = "token_refused"


def log_failure(session: Session, error: ServiceNowError, *, operation: str, instance_url: str) -> None:
    """The system-log line every failure gets, under the app's source, so that D1 of the guide finds it."""
    system_log.write(
        session,
        "error" if not error.retriable else "warning",
        f"ServiceNow instance: {operation} failed: {error.explain()}",
        context={
            "instance": instance_url,
            "kind": error.kind,
            "status": error.status,
            "retriable": error.retriable,
            "detail": error.detail[:500],
        },
    )
