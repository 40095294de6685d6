"""The Service Health page's logic: the auto-incident settings (validated as a whole) and the issue list."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from m365bridge.connector.health.auto_incidents import settings_of
from m365bridge.connector.health.models import AutoIncidentSettings, ServiceHealthIssue
from m365bridge.connector.health.repository import issues_with_incidents
from m365bridge.connector.incidents.table import CATEGORY_LABELS
from m365bridge.connector.users import repository as users
from m365bridge.shared.errors import UserError


class InvalidSettings(UserError):
    """Every problem of a submitted settings form at once, so the admin fixes them in one go."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(" ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class SettingsForm:
    """The form as typed: ``assigned_to`` is a user name, as the admin knows the user."""

    enabled: bool = False
    assignment_group: str = ""
    category: str = ""
    assigned_to: str = ""
    subcategory: str = ""
    auto_resolve: bool = False


@dataclass(frozen=True)
class IssueRow:
    issue: ServiceHealthIssue
    incident_number: str | None
    incident_sys_id: str | None


def current_form(session: Session) -> SettingsForm:
    config = settings_of(session)
    assignee = users.by_id(session, config.assigned_to) if config.assigned_to else None
    return SettingsForm(
        enabled=config.enabled,
        assignment_group=config.assignment_group,
        category=config.category,
        assigned_to=assignee.user_name if assignee else "",
        subcategory=config.subcategory,
        auto_resolve=config.auto_resolve,
    )


def save_settings(session: Session, form: SettingsForm) -> AutoIncidentSettings:
    """Store the settings if the whole form is valid; otherwise raise, leaving the stored ones unchanged."""
    group, category = form.assignment_group.strip(), form.category.strip()
    subcategory, assignee_name = form.subcategory.strip(), form.assigned_to.strip()
    problems = []
    if form.enabled and not group:
        problems.append("Assignment group is required when incidents are created automatically.")
    if form.enabled and not category:
        problems.append("Category is required when incidents are created automatically.")
    if category and category not in CATEGORY_LABELS:
        problems.append(f"Category '{category}' is not one of: {', '.join(CATEGORY_LABELS)}.")
    if len(group) > 80:
        problems.append("Assignment group is longer than 80 characters; shorten it.")
    if len(subcategory) > 40:
        problems.append("Subcategory is longer than 40 characters; shorten it.")
    assignee = users.by_user_name(session, assignee_name) if assignee_name else None
    if assignee_name and assignee is None:
        problems.append(f"Assigned to: there is no user '{assignee_name}'; type an existing user name.")
    if problems:
        raise InvalidSettings(problems)
    config = session.get(AutoIncidentSettings, 1)
    if config is None:
        config = AutoIncidentSettings(id=1)
        session.add(config)
    config.enabled, config.auto_resolve = form.enabled, form.auto_resolve
    config.assignment_group, config.category, config.subcategory = group, category, subcategory
    config.assigned_to = assignee.id if assignee else None
    session.flush()
    return config


def issue_rows(session: Session) -> list[IssueRow]:
    return [IssueRow(issue, number, sys_id) for issue, number, sys_id in issues_with_incidents(session)]
