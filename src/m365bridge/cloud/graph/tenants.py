"""Which tenant's data a command means: a tenant id, or a domain the identity service knows."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from m365bridge.shared.errors import UserError


def tenant_id_of(session: Session, id_or_domain: str) -> str:
    try:
        return str(uuid.UUID(id_or_domain))
    except ValueError:
        raise UserError(f"'{id_or_domain}' is not a tenant id (a GUID).") from None
