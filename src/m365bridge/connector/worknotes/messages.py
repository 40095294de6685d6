"""The text of the work notes: plain and short, for ServiceNow's activity stream (which shows a work note as
typed: no HTML, no Markdown), and never longer than the desk's work_notes field takes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from m365bridge.connector.health.labels import enum_label
from m365bridge.connector.health.matching import IssueMatch
from m365bridge.connector.incidents.table import TEXT_MAX_LENGTHS, Journal

NOTE_LIMIT = TEXT_MAX_LENGTHS[Journal.WORK_NOTES]
TITLE_LIMIT = 200
UPDATE_LIMIT = 300
ELLIPSIS = "…"


def clip(text: str, limit: int) -> str:
    """``text`` on one line, cut to ``limit`` characters (an ellipsis marks a cut)."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + ELLIPSIS


def issue_line(issue: IssueMatch) -> str:
    state = "resolved" if issue.is_resolved else enum_label(issue.status)
    return f"{issue.id} {clip(issue.title, TITLE_LIMIT)} ({state}; {clip(issue.service, 80)})"


def insights_note(issues: Sequence[IssueMatch], articles: Sequence[dict[str, Any]], tab_url: str) -> str:
    lines = ["Microsoft 365 support found insights for this incident."]
    if issues:
        lines += ["", "Microsoft service health:"]
        for issue in issues:
            lines.append(f"- {issue_line(issue)}")
            if issue.last_update:
                lines.append(f"  Latest update: {clip(issue.last_update, UPDATE_LIMIT)}")
    if articles:
        lines += ["", "Recommended articles:"]
        for article in articles:
            lines.append(f"- {clip(article.get('title') or article['id'], TITLE_LIMIT)}")
            if article.get("link"):
                lines.append(f"  {clip(article['link'], 500)}")
    footer = f"\n\nAll insights, search and contact support: {tab_url}"
    return _bounded("\n".join(lines), footer)


def health_update_note(issue_id: str, title: str, status: str, post: str) -> str:
    head = (
        f"Microsoft service health update for {issue_id} {clip(title, TITLE_LIMIT)} ({enum_label(status)}):"
    )
    return _bounded(f"{head}\n{post.strip()}", "")


def _bounded(body: str, footer: str) -> str:
    """``body`` cut so that it and the footer (the tab link, which must survive) fit in a work note."""
    room = NOTE_LIMIT - len(footer)
    if len(body) > room:
        body = body[: room - 1].rstrip() + ELLIPSIS
    return body + footer
