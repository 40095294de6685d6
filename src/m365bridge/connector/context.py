"""What a running connector holds (``shared.context.ServiceContext`` with the connector's settings)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from fastapi import Request

from m365bridge.connector.settings import ConnectorSettings
from m365bridge.shared.context import ServiceContext
from m365bridge.shared.context import get_session as get_session
from m365bridge.shared.metrics import Metrics

MIGRATIONS = Path(__file__).parent / "migrations"


@dataclass
class ConnectorContext(ServiceContext[ConnectorSettings]):
    metrics: Metrics = field(default_factory=lambda: Metrics("m365bridge_connector"))

    migrations: ClassVar[Path] = MIGRATIONS


def get_context(request: Request) -> ConnectorContext:
    return request.app.state.context


@contextmanager
def cli_context(data_dir: Path | None, *, read_only: bool = False) -> Iterator[ConnectorContext]:
    """A context for one CLI command (migrated database, keys), closed when the command ends.

    ``read_only`` commands create nothing: see ``ServiceContext.build``.
    """
    settings = ConnectorSettings(data_dir=data_dir) if data_dir else ConnectorSettings()
    context = ConnectorContext.build(settings, read_only=read_only)
    try:
        yield context
    finally:
        context.close()
