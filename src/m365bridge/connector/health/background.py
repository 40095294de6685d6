"""The app's service health runs, pointed at whatever outbound OAuth provider and Graph URL setup chose:
the periodic runner, and the Service Health page's "Sync now"."""

from __future__ import annotations

import math

from m365bridge.connector.context import ConnectorContext
from m365bridge.connector.health import repository
from m365bridge.connector.health.auto_incidents import AutoIncidentOutcome, apply_auto_incidents
from m365bridge.connector.health.runner import HealthSyncRunner
from m365bridge.connector.health.sync import SyncOutcome, sync_service_health
from m365bridge.connector.setup.gate import current_setup
from m365bridge.connector.setup.modes import Mode
from m365bridge.connector.worknotes.health_updates import post_health_updates
from m365bridge.shared.db import transaction
from m365bridge.shared.errors import UserError
from m365bridge.shared.orm import utcnow


def _outbound_entity(context: ConnectorContext) -> str | None:
    with transaction(context.sessions) as session:
        view = current_setup(session)
    if view is None or view.mode in (None, Mode.NONE):
        return None
    return view.outbound_entity_id


def _graph_url(context: ConnectorContext) -> str | None:
    with transaction(context.sessions) as session:
        view = current_setup(session)
    return view.graph_url if view and view.graph_url else None


def sync_lag_seconds(context: ConnectorContext) -> float:
    """Seconds since the last sync that finished without an error; NaN before the first."""
    with transaction(context.sessions) as session:
        last = repository.last_successful_sync(session)
    return (utcnow() - last).total_seconds() if last else math.nan


def background_health_sync(context: ConnectorContext) -> HealthSyncRunner:
    """A runner (not started) that syncs once setup has an outbound provider in a mode with insights."""
    context.metrics.gauge(
        "health_sync_lag_seconds",
        "Seconds since the last successful service health sync (NaN before the first).",
        function=lambda: sync_lag_seconds(context),
    )
    return HealthSyncRunner(
        context,
        lambda: _outbound_entity(context),
        graph_url=lambda: _graph_url(context),
        after_sync=after_sync,
    )


def after_sync(context: ConnectorContext) -> AutoIncidentOutcome:
    """What follows a sync that ran: v2.1's auto-incidents, then the work-note mode's health updates on the
    incidents whose insights note named an issue (nothing when no such note was posted)."""
    incidents = apply_auto_incidents(context)
    post_health_updates(context)
    return incidents


def sync_now(context: ConnectorContext) -> tuple[SyncOutcome, AutoIncidentOutcome]:
    """One sync and the auto-incidents after it, now; a job (own transactions), safe beside the runner."""
    entity_id = _outbound_entity(context)
    if entity_id is None:
        raise UserError(
            "Service health cannot be synced yet: complete the setup's outbound OAuth provider step "
            "(Microsoft 365 support > Setup) in a mode with insights."
        )
    outcome = sync_service_health(context, entity_id=entity_id, graph_url=_graph_url(context))
    incidents = after_sync(context) if outcome.ran else AutoIncidentOutcome()
    return outcome, incidents
