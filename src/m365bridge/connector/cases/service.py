"""Contact Microsoft support from an incident, reply on the case, save its ticket details, link an admin.

Each call to the support service happens between two short transactions of its own (read what is needed,
call, store the answer): no database transaction is held open across the network, so the case events the
cloud delivers meanwhile are never blocked by, or hidden from, the request that caused them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from m365bridge.connector.cases import repository
from m365bridge.connector.cases.models import CaseMessage, SupportCase
from m365bridge.connector.context import ConnectorContext
from m365bridge.connector.incidents import service as incidents
from m365bridge.connector.logs import system_log
from m365bridge.connector.registry.token_client import TokenError, TokenRetriableError
from m365bridge.connector.setup.gate import SetupView, require_setup
from m365bridge.connector.support.client import (
    SupportClient,
    SupportError,
    SupportRetriableError,
    open_support_client,
)
from m365bridge.connector.users import service as users
from m365bridge.connector.users.service import UserChanges
from m365bridge.shared.db import transaction
from m365bridge.shared.errors import NotFound, UserError, check_max_length
from m365bridge.shared.orm import utcnow

T = TypeVar("T")

NOT_AN_ADMIN = (
    "{email} is not a valid Microsoft 365 admin account. You need Microsoft 365 admin privileges to open a "
    "service request. In the app, link the admin account."
)
TICKET_NOT_SAVED = "Unable to save ticket details. Please contact App support."
CONTACT_METHODS = ("email", "phone")
# The support service's lengths for a case's texts (its API refuses anything longer).
TITLE_MAX = 300
DESCRIPTION_MAX = 32000
MESSAGE_MAX = 32000
NAME_MAX = 200
EMAIL_MAX = 320
PHONE_MAX = 60


class NotAnAdmin(UserError):
    """Message #8: the Microsoft 365 admin email sent with the case is not a tenant admin."""

    status_code = 403

    def __init__(self, email: str) -> None:
        super().__init__(NOT_AN_ADMIN.format(email=email))


class TicketNotSaved(UserError):
    """Message #16: the ticket (contact) details could not be saved on the case."""

    status_code = 502

    def __init__(self) -> None:
        super().__init__(TICKET_NOT_SAVED)


class SupportUnavailable(UserError):
    """The support service (or its token service) could not be reached: the call may be retried."""

    status_code = 503


class SupportRefused(UserError):
    """The support service refused the call; ``code`` is its error code when it gave one."""

    status_code = 502

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class ContactRequest:
    """What the tab's forms and the cases API send; held to the support service's lengths (cloud side
    ``cases/service.py``) so that a too-long field is refused here, with the form kept, not by the cloud."""

    title: str
    description: str
    contact_name: str
    contact_email: str
    contact_phone: str = ""
    preferred_contact_method: str = "email"

    def check(self) -> None:
        if not self.title.strip():
            raise UserError("Give the service request a title.")
        if not self.contact_name.strip() or not self.contact_email.strip():
            raise UserError("Give the contact's name and email.")
        if self.preferred_contact_method not in CONTACT_METHODS:
            raise UserError("The preferred contact method is email or phone.")
        if self.preferred_contact_method == "phone" and not self.contact_phone.strip():
            raise UserError("Give a phone number when the preferred contact method is phone.")
        check_max_length("Title", self.title, TITLE_MAX)
        check_max_length("Description", self.description, DESCRIPTION_MAX)
        self.check_contact_lengths()

    def check_contact_lengths(self) -> None:
        check_max_length("Contact name", self.contact_name.strip(), NAME_MAX)
        check_max_length("Contact email", self.contact_email.strip(), EMAIL_MAX)
        check_max_length("Contact phone", self.contact_phone.strip(), PHONE_MAX)

    def contact(self) -> dict[str, str]:
        return {
            "name": self.contact_name.strip(),
            "email": self.contact_email.strip(),
            "phone": self.contact_phone.strip(),
            "preferredContactMethod": self.preferred_contact_method,
        }


def admin_email_for(session: Session, user_id: str, setup: SetupView) -> str:
    """The user's linked Microsoft 365 admin account, else the app's configured admin email."""
    return users.get_user(session, user_id).m365_admin_email or setup.admin_email


def cases_for_incident(session: Session, incident_sys_id: str) -> Sequence[SupportCase]:
    return repository.for_incident(session, incident_sys_id)


def thread(session: Session, case: SupportCase) -> Sequence[CaseMessage]:
    return repository.thread(session, case.sys_id)


def get_case(session: Session, sys_id: str) -> SupportCase:
    found = repository.get(session, sys_id)
    if found is None:
        raise NotFound(f"No Microsoft support case has sys_id {sys_id!r}.")
    return found


def contact_support(
    context: ConnectorContext,
    incident_sys_id: str,
    user_id: str,
    request: ContactRequest,
    idempotency_key: str,
) -> SupportCase:
    """Open a case for the incident; a repeated ``idempotency_key`` returns the same case, never two."""
    with transaction(context.sessions) as session:
        setup = require_setup(session, feature="cases")
        incident = incidents.get_incident(session, incident_sys_id)
        request.check()
        admin_email = admin_email_for(session, user_id, setup)
        opened_by = users.get_user(session, user_id).user_name
        body = {
            "repositoryId": setup.repository_id,
            "incident": {"sysId": incident.sys_id, "number": incident.number},
            "title": request.title.strip(),
            "description": request.description,
            "contact": {k: v for k, v in request.contact().items() if k != "preferredContactMethod"},
            "preferredContactMethod": request.preferred_contact_method,
            "adminEmail": admin_email,
            "testEnvironment": setup.test_environment,
        }
    if not admin_email:
        raise UserError("No Microsoft 365 admin email: link the admin account, or set it in the app's setup.")
    try:
        answer = _call(context, setup, lambda s: s.open_case(body, idempotency_key=idempotency_key))
    except SupportRefused as error:
        if error.code == "NotTenantAdmin":
            raise NotAnAdmin(admin_email) from None
        raise
    with transaction(context.sessions, write=True) as session:
        case = _store(session, answer, opened_by)
        session.flush()
        session.expunge(case)
        return case


def reply(
    context: ConnectorContext, case_sys_id: str, user_id: str, body: str, client_message_id: str
) -> None:
    """An agent's reply, sent to the case (idempotent on ``client_message_id``) and kept in the thread."""
    if not body.strip():
        raise UserError("Write the reply first.")
    check_max_length("Reply", body, MESSAGE_MAX)
    with transaction(context.sessions) as session:
        setup = require_setup(session, feature="cases")
        case = get_case(session, case_sys_id)
        case_id = case.case_id
        author = users.get_user(session, user_id).user_name
    _call(
        context,
        setup,
        lambda s: s.add_message(case_id, body=body, author=author, client_message_id=client_message_id),
    )
    with transaction(context.sessions, write=True) as session:
        if repository.message_by_client_id(session, case_sys_id, client_message_id) is None:
            session.add(
                CaseMessage(
                    case_sys_id=case_sys_id,
                    author_kind="customer",
                    author=author,
                    body=body,
                    client_message_id=client_message_id,
                )
            )


def save_contact(context: ConnectorContext, case_sys_id: str, request: ContactRequest) -> None:
    """Save the ticket details on the case; any failure is message #16 (details in the system log)."""
    with transaction(context.sessions) as session:
        setup = require_setup(session, feature="cases")
        case_id = get_case(session, case_sys_id).case_id
    try:
        if not request.contact_name.strip() or not request.contact_email.strip():
            raise UserError("the contact's name and email are required")
        request.check_contact_lengths()
        answer = _call(context, setup, lambda s: s.update_contact(case_id, request.contact()))
    except UserError as error:
        with transaction(context.sessions, write=True) as session:
            system_log.write(
                session, "error", TICKET_NOT_SAVED, context={"case": case_id, "reason": str(error)}
            )
        raise TicketNotSaved() from None
    with transaction(context.sessions, write=True) as session:
        _store(session, answer, None)


def link_account(context: ConnectorContext, user_id: str, email: str) -> str | None:
    """Set (validated with the support service) or clear the user's Microsoft 365 admin email."""
    email = email.strip()
    if email:
        with transaction(context.sessions, write=True) as session:
            setup = require_setup(session, feature="cases")
        if "@" not in email:
            raise UserError(f"{email} is not an email address.")
        if not _call(context, setup, lambda s: s.tenant_admin(email)):
            raise NotAnAdmin(email)
    with transaction(context.sessions, write=True) as session:
        user = users.get_user(session, user_id)
        users.update_user(session, user, UserChanges(m365_admin_email=email))
    return email or None


def _call(context: ConnectorContext, setup: SetupView, call: Callable[[SupportClient], T]) -> T:
    """One call to the support service, its failures turned into errors a user can act on."""
    if not setup.outbound_entity_id:
        raise UserError("The app has no outbound OAuth provider; finish the setup.")
    with _support(context, setup) as support:
        try:
            return call(support)
        except (SupportRetriableError, TokenRetriableError) as error:
            raise SupportUnavailable(f"The Microsoft 365 support service is unreachable: {error}") from error
        except SupportError as error:
            raise SupportRefused(str(error), error.code) from error
        except TokenError as error:
            raise SupportRefused(str(error)) from error


@contextmanager
def _support(context: ConnectorContext, setup: SetupView) -> Iterator[SupportClient]:
    client = open_support_client(
        context, base_url=setup.support_url, entity_id=setup.outbound_entity_id or ""
    )
    try:
        yield client
    finally:
        client.close()


def _store(session: Session, answer: dict[str, Any], opened_by: str | None) -> SupportCase:
    """The case as the service answered, merged into the row case events may already have started."""
    case = repository.by_case_id(session, str(answer["id"]))
    if case is None:
        try:
            with session.begin_nested():
                case = SupportCase(case_id=str(answer["id"]), last_sequence=0, status=str(answer["status"]))
                _describe(case, answer, opened_by)
                session.add(case)
        except IntegrityError:  # case.created was applied meanwhile: update that row instead
            case = repository.by_case_id(session, str(answer["id"]))
            if case is None:
                raise
    _describe(case, answer, opened_by)
    return case


def _describe(case: SupportCase, answer: dict[str, Any], opened_by: str | None) -> None:
    contact = answer.get("contact") or {}
    case.number = str(answer["number"])
    case.incident_sys_id = str(answer["incident"]["sysId"])
    case.title = str(answer.get("title", ""))
    case.description = str(answer.get("description", ""))
    case.contact_name = str(contact.get("name", ""))
    case.contact_email = str(contact.get("email", ""))
    case.contact_phone = str(contact.get("phone", ""))
    case.preferred_contact_method = str(answer.get("preferredContactMethod") or "email")
    case.admin_email = str(answer.get("adminEmail", ""))
    case.test_environment = bool(answer.get("testEnvironment"))
    case.created_at = _when(answer.get("createdAt"))
    if opened_by is not None:
        case.opened_by = opened_by


def _when(value: Any) -> dt.datetime:
    if isinstance(value, str):
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    return utcnow()
