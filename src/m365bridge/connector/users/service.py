"""User management: creating users, passwords, roles, locking. Services never commit."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

from sqlalchemy.orm import Session

from m365bridge.connector.auth.oauth import repository as oauth_tokens
from m365bridge.connector.auth.sessions import repository as ui_sessions
from m365bridge.connector.users import repository
from m365bridge.connector.users.models import User, UserRole
from m365bridge.connector.users.roles import ALL_ROLES
from m365bridge.shared.errors import Conflict, NotFound, UserError
from m365bridge.shared.orm import utcnow
from m365bridge.shared.passwords import hash_password, needs_rehash, verify_password

MIN_PASSWORD_LENGTH = 8
# Verifying against a hash keeps the time of "no such user" close to "wrong password". This one was made
# beforehand (hashing at import cost every process start an argon2 run); a verification costs what the
# hash's parameters say, so when the hasher's parameters change, a new dummy is made once instead.
_STORED_DUMMY_HASH = (
    "$argon2id$v=19$m=65536,t=3,p=4$sz1LGJLTq6neVwJRiYvk+g$XF5lexY6fmQYIOnHscrLpW0zwIoSdWVm/srAiRlb/bk"
)


@cache
def _dummy_hash() -> str:
    if needs_rehash(_STORED_DUMMY_HASH):
        return hash_password("m365bridge-timing-equaliser")
    return _STORED_DUMMY_HASH


@dataclass
class UserChanges:
    """Fields an administrator may change; ``None`` leaves a field as it is."""

    name: str | None = None
    email: str | None = None
    active: bool | None = None
    locked: bool | None = None
    web_service_access_only: bool | None = None
    m365_admin_email: str | None = None


def check_role(role: str) -> str:
    if role not in ALL_ROLES:
        raise UserError(f"unknown role {role!r}; known roles: {', '.join(ALL_ROLES)}")
    return role


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"the password is too short; use at least {MIN_PASSWORD_LENGTH} characters")
    return password


def get_user(session: Session, user_id: str) -> User:
    user = repository.by_id(session, user_id) or repository.by_user_name(session, user_id)
    if user is None:
        raise NotFound(f"no user {user_id!r}; list users to see the existing User IDs")
    return user


def create_user(
    session: Session,
    user_name: str,
    *,
    password: str | None = None,
    name: str = "",
    email: str = "",
    roles: Iterable[str] = (),
    web_service_access_only: bool = False,
) -> User:
    user_name = user_name.strip()
    if not user_name:
        raise UserError("a User ID is required")
    wanted_roles = sorted({check_role(r) for r in roles})
    if repository.by_user_name(session, user_name) is not None:
        raise Conflict(f"a user with User ID {user_name!r} already exists; pick another User ID")
    user = User(
        user_name=user_name,
        name=name.strip(),
        email=email.strip(),
        password_hash=hash_password(check_password(password)) if password else None,
        web_service_access_only=web_service_access_only,
        role_grants=[UserRole(role=r) for r in wanted_roles],
    )
    session.add(user)
    session.flush()
    return user


def update_user(session: Session, user: User, changes: UserChanges) -> User:
    """Apply ``changes``. A user who can no longer sign in (deactivated or locked) loses every OAuth token
    and UI session; one made web-service-only loses the UI sessions."""
    for field in ("name", "email", "active", "locked", "web_service_access_only"):
        value = getattr(changes, field)
        if value is not None:
            setattr(user, field, value.strip() if isinstance(value, str) else value)
    if changes.m365_admin_email is not None:
        user.m365_admin_email = changes.m365_admin_email.strip() or None
    session.flush()
    if not can_sign_in(user):
        revoke_access(session, user)
    elif user.web_service_access_only:
        ui_sessions.delete_user_sessions(session, user.id)
    return user


def set_password(session: Session, user: User, password: str) -> None:
    """Set a new password; whatever was granted with the old one (tokens, sessions) stops working."""
    user.password_hash = hash_password(check_password(password))
    session.flush()
    revoke_access(session, user)


def revoke_access(session: Session, user: User) -> None:
    """End the user's UI sessions and revoke their OAuth access and refresh tokens, everywhere."""
    ui_sessions.delete_user_sessions(session, user.id)
    oauth_tokens.revoke_user_tokens(session, user.id, utcnow())


def grant(session: Session, user: User, role: str) -> None:
    if check_role(role) not in user.roles:
        user.role_grants.append(UserRole(role=role))
        session.flush()


def revoke(session: Session, user: User, role: str) -> None:
    user.role_grants = [g for g in user.role_grants if g.role != check_role(role)]
    session.flush()


def password_matches(stored_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches ``stored_hash``; with no hash (no such user, or no password), a dummy
    is verified instead, so the answer takes as long either way. Slow by design (argon2): call it outside
    any database transaction."""
    if stored_hash is None:
        verify_password(_dummy_hash(), password)
        return False
    return verify_password(stored_hash, password)


def upgraded_hash(stored_hash: str, password: str) -> str | None:
    """A new hash of a password that just matched, when the stored one has outdated parameters."""
    return hash_password(password) if needs_rehash(stored_hash) else None


def can_sign_in(user: User) -> bool:
    return user.active and not user.locked
