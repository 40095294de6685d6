"""What a running cloud holds (``shared.context.ServiceContext`` with the cloud's settings)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from fastapi import Request
from sqlalchemy.orm import Session

from m365bridge.cloud.settings import CloudSettings
from m365bridge.shared.context import ServiceContext
from m365bridge.shared.context import get_session as get_session
from m365bridge.shared.db import intend_to_write, unit_of_work
from m365bridge.shared.metrics import Metrics

MIGRATIONS = Path(__file__).parent / "migrations"


@dataclass
class CloudContext(ServiceContext[CloudSettings]):
    metrics: Metrics = field(default_factory=lambda: Metrics("m365bridge_cloud"))

    migrations: ClassVar[Path] = MIGRATIONS


def get_context(request: Request) -> CloudContext:
    return request.app.state.context


def get_write_session(request: Request) -> Iterator[Session]:
    """``get_session`` (declared the same way) whose transaction is a writer from the start, whatever
    the method: for endpoints that read then write under concurrency and never call out over HTTP."""
    yield from unit_of_work(intend_to_write(get_context(request).sessions()))
