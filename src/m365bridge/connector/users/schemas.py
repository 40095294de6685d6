"""API shapes for users. Passwords go in, never out."""

from __future__ import annotations

from pydantic import BaseModel, Field

from m365bridge.connector.users.models import User


class UserCreate(BaseModel):
    user_name: str = Field(min_length=1, max_length=255)
    name: str = ""
    email: str = ""
    password: str | None = None
    roles: list[str] = Field(default_factory=list)
    web_service_access_only: bool = False


class UserPatch(BaseModel):
    name: str | None = None
    email: str | None = None
    active: bool | None = None
    locked: bool | None = None
    web_service_access_only: bool | None = None
    m365_admin_email: str | None = None


class PasswordChange(BaseModel):
    password: str


class RoleGrant(BaseModel):
    role: str


class UserOut(BaseModel):
    sys_id: str
    user_name: str
    name: str
    email: str
    active: bool
    locked: bool
    web_service_access_only: bool
    m365_admin_email: str | None
    roles: list[str]

    @classmethod
    def of(cls, user: User) -> UserOut:
        return cls(
            sys_id=user.id,
            user_name=user.user_name,
            name=user.name,
            email=user.email,
            active=user.active,
            locked=user.locked,
            web_service_access_only=user.web_service_access_only,
            m365_admin_email=user.m365_admin_email,
            roles=sorted(user.roles),
        )
