"""Contact Microsoft support from an incident, reply on the case, save its ticket details, link an admin.

Each call to the support service happens between two short transactions of its own (read what is needed,
call, store the answer): no database transaction is held open across the network, so the case events the
cloud delivers meanwhile are never blocked by, or hidden from, the request that caused them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TypeVar

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from m365bridge.connector.cases import repository
from m365bridge.connector.cases.contact import MESSAGE_MAX, ContactRequest
from m365bridge.connector.cases.models import CaseMessage, SupportCase
from m365bridge.connector.context import ConnectorContext
from m365bridge.connector.logs import system_log
from m365bridge.connector.registry.token_client import TokenError, TokenRetriableError
from m365bridge.connector.servicedesk import desk_for
from m365bridge.connector.setup.gate import SetupView, require_setup
from m365bridge.connector.support.client import (
    SupportClient,
    SupportError,
    SupportRetriableError,
    open_support_client,
)
from m365bridge.connector.support.schemas import Case, Contact, IncidentRef, NewCase
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
        incident = desk_for(context).get_incident(session, incident_sys_id)
        request.check()
        admin_email = admin_email_for(session, user_id, setup)
        opened_by = users.get_user(session, user_id).user_name
        contact = request.contact()
        body = NewCase(
            repository_id=setup.repository_id,
            incident=IncidentRef(sys_id=incident.sys_id, number=incident.number),
            title=request.title.strip(),
            description=request.description,
            contact=Contact(name=contact.name, email=contact.email, phone=contact.phone),
            preferred_contact_method=request.preferred_contact_method,
            admin_email=admin_email,
            test_environment=setup.test_environment,
        )
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


def _store(session: Session, answer: Case, opened_by: str | None) -> SupportCase:
    """The case as the service answered, merged into the row case events may already have started."""
    case = repository.by_case_id(session, answer.id)
    if case is None:
        # Started the one way case rows are (``repository.new_case_row``), as a case.created event does.
        row = repository.new_case_row(
            case_id=answer.id,
            number=answer.number,
            incident_sys_id=answer.incident.sys_id,
            status=answer.status,
            created_at=answer.created_at or utcnow(),
        )
        try:
            with session.begin_nested():
                repository.insert_cases(session.connection(), [row])
        except IntegrityError:
            pass  # case.created was applied meanwhile: that row is the one to update
        case = repository.by_case_id(session, answer.id)
        assert case is not None  # inserted just now, or by the case.created that got in first
    _describe(case, answer, opened_by)
    return case


def _describe(case: SupportCase, answer: Case, opened_by: str | None) -> None:
    case.number = answer.number
    case.incident_sys_id = answer.incident.sys_id
    case.incident_number = answer.incident.number
    case.title = answer.title
    case.description = answer.description
    case.contact_name = answer.contact.name
    case.contact_email = answer.contact.email
    case.contact_phone = answer.contact.phone
    case.preferred_contact_method = answer.preferred_contact_method or "email"
    case.admin_email = answer.admin_email
    case.test_environment = answer.test_environment
    case.created_at = answer.created_at or utcnow()
    if opened_by is not None:
        case.opened_by = opened_by
