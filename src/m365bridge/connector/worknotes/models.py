"""What the work-note feature remembers per incident: what it last posted, and which issues it follows."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from m365bridge.connector.db import Base
from m365bridge.shared.orm import UTCDateTime, utcnow


class InsightNoteLedger(Base):
    """One row per incident the handler has looked at. ``short_description`` is the text last looked at (an
    incident whose short description did not change is not looked at again); ``digest`` names the content
    of the last note posted ("" before the first) and ``content`` lists it (``{"issues": [ids], "articles":
    [ids]}``), so findings that add nothing to it are not posted again."""

    __tablename__ = "x_mioms_m365_assis_worknote"

    incident_sys_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    incident_number: Mapped[str] = mapped_column(String(40), default="")
    short_description: Mapped[str] = mapped_column(Text, default="")
    digest: Mapped[str] = mapped_column(String(64), default="")
    content: Mapped[dict[str, list[str]]] = mapped_column(JSON, default=dict)
    # Notes posted so far: with the digest, the next note's idempotency key, unique on the incident even when
    # its findings come back to those of an earlier note (which a remote desk's outbox would take as a retry).
    notes_posted: Mapped[int] = mapped_column(Integer, default=0)
    posted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class IssueFollow(Base):
    """An incident whose insights note named a service health issue: the issue's later posts become work
    notes on it. ``posts_posted`` counts the issue's posts already covered (by the note or as updates)."""

    __tablename__ = "x_mioms_m365_assis_worknote_issue"

    incident_sys_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    issue_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    posts_posted: Mapped[int] = mapped_column(Integer, default=0)
