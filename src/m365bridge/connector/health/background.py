"""The app's service health runner, pointed at whatever outbound OAuth provider and Graph URL setup chose."""

from __future__ import annotations

from m365bridge.connector.context import ConnectorContext
from m365bridge.connector.health.runner import HealthSyncRunner
from m365bridge.connector.setup.gate import current_setup
from m365bridge.connector.setup.modes import Mode
from m365bridge.shared.db import transaction


def background_health_sync(context: ConnectorContext) -> HealthSyncRunner:
    """A runner (not started) that syncs once setup has an outbound provider in a mode with insights."""

    def entity() -> str | None:
        with transaction(context.sessions) as session:
            view = current_setup(session)
        if view is None or view.mode in (None, Mode.NONE):
            return None
        return view.outbound_entity_id

    def graph_url() -> str | None:
        with transaction(context.sessions) as session:
            view = current_setup(session)
        return view.graph_url if view and view.graph_url else None

    return HealthSyncRunner(context, entity, graph_url=graph_url)
