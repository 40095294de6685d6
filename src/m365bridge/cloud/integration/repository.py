"""All SQL of the support integration settings."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from m365bridge.cloud.integration.models import SupportIntegration, SupportRepository


def integration(session: Session, tenant_id: str) -> SupportIntegration | None:
    return session.get(SupportIntegration, tenant_id)


def repositories(session: Session, tenant_id: str) -> Sequence[SupportRepository]:
    query = (
        select(SupportRepository)
        .where(SupportRepository.tenant_id == tenant_id)
        .order_by(SupportRepository.repository_id)
    )
    return session.scalars(query).all()


def repository(session: Session, tenant_id: str, repository_id: str) -> SupportRepository | None:
    query = select(SupportRepository).where(
        SupportRepository.tenant_id == tenant_id, SupportRepository.repository_id == repository_id
    )
    return session.scalars(query).first()
