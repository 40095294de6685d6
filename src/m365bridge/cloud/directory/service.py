"""Directory logic: people, their roles, and the question cases ask: is this email a tenant admin?"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache

from sqlalchemy.orm import Session

from m365bridge.cloud.directory import repository
from m365bridge.cloud.directory.models import DirectoryUser, UISession
from m365bridge.cloud.directory.roles import ALL_ROLES, SUPPORT_ENGINEER, TENANT_ADMIN_ROLES
from m365bridge.shared.errors import Conflict, NotFound, UserError
from m365bridge.shared.orm import utcnow
from m365bridge.shared.passwords import hash_password, verify_password
from m365bridge.shared.tokens import new_token, token_digest

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD = 8


def _checked_roles(roles: Iterable[str]) -> list[str]:
    wanted = list(dict.fromkeys(roles))
    unknown = [r for r in wanted if r not in ALL_ROLES]
    if unknown:
        raise UserError(f"unknown role {unknown[0]!r}; choose from: {', '.join(ALL_ROLES)}")
    return wanted


def create_user(
    session: Session,
    *,
    email: str,
    display_name: str,
    password: str,
    tenant_id: str | None,
    roles: Iterable[str] = (),
) -> DirectoryUser:
    email = email.strip().lower()
    if not EMAIL.match(email):
        raise UserError(f"{email!r} is not an email address; give the person's UPN, e.g. admin@contoso.com")
    if len(password) < MIN_PASSWORD:
        raise UserError(f"the password is too short; use at least {MIN_PASSWORD} characters")
    checked = _checked_roles(roles)
    if tenant_id is None and set(checked) & TENANT_ADMIN_ROLES:
        raise UserError("tenant admin roles need a tenant; give --tenant")
    if repository.user_by_email(session, email):
        raise Conflict(f"{email} already exists; use 'grant' to change its roles")
    user = DirectoryUser(
        email=email,
        display_name=display_name or email,
        password_hash=hash_password(password),
        tenant_id=tenant_id,
        roles_text=",".join(checked),
        active=True,
    )
    session.add(user)
    session.flush()
    return user


def find_user(session: Session, email: str) -> DirectoryUser | None:
    return repository.user_by_email(session, email.strip())


def get_user(session: Session, email: str) -> DirectoryUser:
    user = repository.user_by_email(session, email)
    if user is None:
        raise NotFound(f"no person {email} in the directory; create it first")
    return user


def grant(session: Session, email: str, roles: Iterable[str]) -> DirectoryUser:
    user = get_user(session, email)
    added = _checked_roles(roles)
    if user.tenant_id is None and set(added) & TENANT_ADMIN_ROLES:
        raise UserError(f"{email} has no tenant, so it cannot hold a tenant admin role")
    user.roles_text = ",".join(dict.fromkeys([*sorted(user.roles), *added]))
    return user


def set_active(session: Session, email: str, active: bool) -> DirectoryUser:
    user = get_user(session, email)
    user.active = active
    return user


def list_users(session: Session, tenant_id: str | None = None) -> Sequence[DirectoryUser]:
    return repository.list_users(session, tenant_id)


def is_tenant_admin(session: Session, tenant_id: str, email: str) -> bool:
    """True when ``email`` is an active person of ``tenant_id`` holding a Microsoft 365 admin role."""
    user = repository.user_by_email(session, email.strip())
    return bool(user and user.active and user.tenant_id == tenant_id and user.roles & TENANT_ADMIN_ROLES)


def is_support_engineer(user: DirectoryUser) -> bool:
    return user.active and SUPPORT_ENGINEER in user.roles


@cache
def _dummy_hash() -> str:
    """A hash of a password nobody knows, with the same parameters as real ones."""
    return hash_password(secrets.token_urlsafe(16))


def authenticate(session: Session, email: str, password: str) -> DirectoryUser | None:
    """The active person with ``email`` and ``password``, or ``None``.

    An unknown or deactivated e-mail is verified against a dummy argon2 hash, so it costs what a known one
    costs and the answer time does not tell which e-mails exist.
    """
    user = repository.user_by_email(session, email.strip())
    known = user is not None and user.active
    matches = verify_password(user.password_hash if user is not None and known else _dummy_hash(), password)
    return user if known and matches else None


@dataclass(frozen=True)
class SignedIn:
    user: DirectoryUser
    csrf_token: str

    @property
    def is_tenant_admin(self) -> bool:
        return bool(self.user.roles & TENANT_ADMIN_ROLES)

    @property
    def is_support_engineer(self) -> bool:
        return SUPPORT_ENGINEER in self.user.roles


def start_ui_session(session: Session, user: DirectoryUser) -> str:
    """Open a browser session; returns the cookie value (only its digest is stored)."""
    token = new_token()
    session.add(
        UISession(token_digest=token_digest(token), user_id=user.id, csrf_token=secrets.token_urlsafe(24))
    )
    session.flush()
    return token


LAST_SEEN_RESOLUTION_SECONDS = 60  # the idle timeout is measured in minutes; finer stamps buy nothing


def resume_ui_session(session: Session, token: str, idle_timeout_seconds: int) -> SignedIn | None:
    """The signed-in person for a cookie, or None when unknown, idle too long or deactivated."""
    row = repository.ui_session(session, token_digest(token))
    if row is None:
        return None
    now = utcnow()
    user = repository.user_by_id(session, row.user_id)
    if user is None or not user.active or (now - row.last_seen_at).total_seconds() > idle_timeout_seconds:
        repository.delete_ui_session(session, row.token_digest)
        return None
    if (now - row.last_seen_at).total_seconds() >= LAST_SEEN_RESOLUTION_SECONDS:
        # Written at most once a minute (each write is a little work more); the caller takes the write lock
        # first, so a write never fails with "database is locked" (directory/dependencies.py).
        row.last_seen_at = now
    return SignedIn(user=user, csrf_token=row.csrf_token)


def end_ui_session(session: Session, token: str) -> None:
    repository.delete_ui_session(session, token_digest(token))
