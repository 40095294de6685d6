"""Who a request acts as, whichever door it came through; every auth capability produces one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from m365bridge.connector.users.models import User
from m365bridge.connector.users.roles import ADMIN

Method = Literal["session", "basic", "bearer", "oidc"]


@dataclass(frozen=True)
class Principal:
    user_id: str
    user_name: str
    roles: frozenset[str]
    method: Method

    def has_role(self, *roles: str) -> bool:
        """True when holding any of ``roles`` (or none asked); ``admin`` holds every role."""
        return not roles or ADMIN in self.roles or any(role in self.roles for role in roles)

    @classmethod
    def of(cls, user: User, method: Method) -> Principal:
        return cls(user_id=user.id, user_name=user.user_name, roles=user.roles, method=method)
