"""Graph's service health enum values and times as people read them on screen.

Graph returns camelCase enum members (``serviceDegradation``); the Microsoft 365 admin center shows
them as words ("Service degradation"). Pages render every value through ``enum_label`` and every time
through ``local_time``: a ``<time>`` element holding the ISO UTC instant, with UTC text that
``/static/local-time.js`` rewrites in the viewer's own time zone (the text stays readable without it).
"""

from __future__ import annotations

import datetime as dt
import re

from markupsafe import Markup

# serviceHealthStatus (serviceHealth.status and serviceHealthIssue.status) and
# serviceHealthClassificationType (serviceHealthIssue.classification), in the admin center's words.
ENUM_LABELS: dict[str, str] = {
    "serviceOperational": "Service operational",
    "investigating": "Investigating",
    "restoringService": "Restoring service",
    "verifyingService": "Verifying service",
    "serviceRestored": "Service restored",
    "postIncidentReviewPublished": "Post-incident report published",
    "serviceDegradation": "Service degradation",
    "serviceInterruption": "Service interruption",
    "extendedRecovery": "Extended recovery",
    "falsePositive": "False positive",
    "investigationSuspended": "Investigation suspended",
    "resolved": "Resolved",
    "mitigatedExternal": "Mitigated externally",
    "mitigated": "Mitigated",
    "resolvedExternal": "Resolved externally",
    "confirmed": "Confirmed",
    "reported": "Reported",
    "unknownFutureValue": "Unknown",
    "advisory": "Advisory",
    "incident": "Incident",
}

_WORD_START = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def enum_label(value: object) -> str:
    """The on-screen words for a Graph enum value; a value Graph adds later is split into words."""
    text = "" if value is None else str(value)
    if text in ENUM_LABELS:
        return ENUM_LABELS[text]
    words = _WORD_START.sub(" ", text).lower()
    return words[:1].upper() + words[1:]


def _instant(value: dt.datetime | str) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        moment = value
    else:
        try:
            moment = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)).astimezone(dt.UTC)


def local_time(value: dt.datetime | str | None, empty: str = "") -> Markup:
    """``<time datetime="…Z">2026-12-04 11:29 UTC</time>``, shown in the viewer's zone by local-time.js."""
    if value is None or value == "":
        return Markup.escape(empty)
    moment = _instant(value)
    if moment is None:
        return Markup.escape(str(value))  # not a time after all: shown as it came
    iso = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    return Markup('<time class="local-time" datetime="{}">{}</time>').format(
        iso, moment.strftime("%Y-%m-%d %H:%M UTC")
    )
