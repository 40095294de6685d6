"""Which tenant's data a command or admin call means: a tenant id or domain the identity service knows."""

from __future__ import annotations

from sqlalchemy.orm import Session

from m365bridge.cloud.identity import service as identity


def tenant_id_of(session: Session, id_or_domain: str) -> str:
    return identity.resolve_tenant(session, id_or_domain).id
