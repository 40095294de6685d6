"""Serving the real Message Center history as it stood at a moment of its timeline.

The replay file (``datasets/m365-message-center/replay.jsonl``) holds, oldest first, events
``{"observedAt": T, "message": {...}}`` (this version of a message was in the feed at T) and
``{"observedAt": T, "removed": "MC…"}`` (the message had left the feed at T). A message can leave and come
back. ``apply_until`` sets a tenant's messages to the state after every event up to T: the last event of each
message decides whether it is live, and in which version. It is idempotent and works in either direction, so a
test can advance the cloud through the timeline one step at a time.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from m365bridge.cloud.graph import repository
from m365bridge.cloud.graph.importer import upsert_message
from m365bridge.cloud.graph.odata import parse_datetime
from m365bridge.shared.errors import UserError


@dataclass(frozen=True)
class ReplayResult:
    events: int  # events at or before T
    live: int  # messages in the feed at T
    written: int  # messages added or replaced by this call
    deleted: int  # messages removed by this call


def load_events(path: Path) -> list[dict[str, Any]]:
    """The events of a replay file, in file order."""
    try:
        with path.open(encoding="utf-8") as lines:
            return [json.loads(line) for line in lines if line.strip()]
    except (OSError, json.JSONDecodeError) as error:
        raise UserError(f"Cannot read the replay file {path}: {error}") from None


def state_at(events: Iterable[dict[str, Any]], until: dt.datetime) -> tuple[int, dict[str, Any], set[str]]:
    """(events applied, live messages by id, ids that exist in the timeline but are not live at ``until``)."""
    live: dict[str, Any] = {}
    absent: set[str] = set()
    applied = 0
    for event in events:
        message = event.get("message")
        message_id = message["id"] if message else event.get("removed")
        if not message_id:
            raise UserError(f"A replay event has neither 'message' nor 'removed': {event!r:.200}")
        if parse_datetime(event["observedAt"]) > until:
            if message_id not in live:
                absent.add(message_id)
            continue
        applied += 1
        if message:
            live[message_id] = message
            absent.discard(message_id)
        else:
            live.pop(message_id, None)
            absent.add(message_id)
    return applied, live, absent


def apply_until(
    session: Session, tenant_id: str, events: Iterable[dict[str, Any]], until: dt.datetime
) -> ReplayResult:
    """Make the tenant's messages those of the timeline at ``until`` (each in its latest version by then)."""
    if until.tzinfo is None:
        raise UserError("The replay time needs a time zone, e.g. 2026-01-01T00:00:00Z.")
    applied, live, absent = state_at(events, until)
    stored = repository.messages_by_id(session, tenant_id, [*live, *absent])
    written = 0
    for message_id, document in live.items():
        current = stored.get(message_id)
        if current is None or current.document != document:
            upsert_message(session, tenant_id, document)
            written += 1
    gone = sorted(message_id for message_id in absent if message_id in stored)
    repository.delete_messages(session, tenant_id, gone)
    session.flush()
    return ReplayResult(events=applied, live=len(live), written=written, deleted=len(gone))
