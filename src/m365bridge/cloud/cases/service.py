"""Support case logic: open, read, talk, change status. Never commits; every change that the connector
must hear about records its outbox event in the same transaction."""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Sequence
from dataclasses import asdict, dataclass

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from m365bridge.cloud.cases import events, repository
from m365bridge.cloud.cases.models import DEAD, PENDING, STATUSES, CaseMessage, OutboxEvent, SupportCase
from m365bridge.cloud.directory import service as directory
from m365bridge.cloud.integration import service as integration
from m365bridge.shared.errors import Conflict, NotFound, UserError, check_max_length
from m365bridge.shared.orm import utcnow

CONTACT_METHODS = ("email", "phone")


class NotTenantAdmin(UserError):
    """The admin email opening a case is not an active Microsoft 365 admin of the tenant."""

    status_code = 403
    code = "NotTenantAdmin"

    def __init__(self, email: str) -> None:
        super().__init__(
            f"{email} is not a valid Microsoft 365 admin account. You need Microsoft 365 admin privileges "
            "to open a service request. In the app, link the admin account."
        )
        self.email = email


# Longest texts a case holds (the support service's own contract, also its columns' lengths): every way in
# (API, console, the connector's pages through the API) is held to them.
TITLE_MAX = 300
DESCRIPTION_MAX = 32000
MESSAGE_MAX = 32000
NAME_MAX = 200
EMAIL_MAX = 320
PHONE_MAX = 60


@dataclass(frozen=True)
class Contact:
    name: str
    email: str
    phone: str = ""
    preferred_contact_method: str = "email"


@dataclass(frozen=True)
class NewCase:
    repository_id: str
    incident_sys_id: str
    incident_number: str
    title: str
    description: str
    contact: Contact
    admin_email: str
    test_environment: bool = False


def _digest(new: NewCase) -> str:
    return hashlib.sha256(json.dumps(asdict(new), sort_keys=True).encode()).hexdigest()


def _new_number(session: Session) -> str:
    """16 digits: the UTC date (YYMMDD) then 10 random digits, e.g. 2611270010001234."""
    prefix = utcnow().strftime("%y%m%d")
    while True:
        number = f"{prefix}{secrets.randbelow(10**10):010d}"
        if not repository.number_taken(session, number):
            return number


def _check_contact(contact: Contact) -> None:
    check_max_length("contact name", contact.name, NAME_MAX)
    check_max_length("contact email", contact.email, EMAIL_MAX)
    check_max_length("contact phone", contact.phone, PHONE_MAX)
    if contact.preferred_contact_method not in CONTACT_METHODS:
        raise UserError("preferredContactMethod must be 'email' or 'phone'")
    if contact.preferred_contact_method == "phone" and not contact.phone.strip():
        raise UserError("give a phone number when the preferred contact method is phone")


def create_case(
    session: Session, tenant_id: str, app_id: str, new: NewCase, idempotency_key: str | None
) -> tuple[SupportCase, bool]:
    """Open a case (or return the one this Idempotency-Key opened before); True when newly created."""
    digest = _digest(new)
    if idempotency_key:
        earlier = repository.case_by_idempotency_key(session, tenant_id, idempotency_key)
        if earlier is not None:
            return _same_request(earlier, digest), False
    if not new.title.strip():
        raise UserError("give the case a title")
    check_max_length("title", new.title, TITLE_MAX)
    check_max_length("description", new.description, DESCRIPTION_MAX)
    _check_contact(new.contact)
    found = integration.get_repository(session, tenant_id, new.repository_id)
    if not found.deliverable:
        raise UserError(
            f"repository {new.repository_id!r} is set up for Insights only and cannot receive cases; "
            "give it a real endpoint in the admin center"
        )
    if not directory.is_tenant_admin(session, tenant_id, new.admin_email):
        raise NotTenantAdmin(new.admin_email)
    case = SupportCase(
        number=_new_number(session),
        tenant_id=tenant_id,
        repository_id=new.repository_id,
        idempotency_key=idempotency_key or None,
        request_digest=digest,
        created_by_app_id=app_id,
        incident_sys_id=new.incident_sys_id,
        incident_number=new.incident_number,
        title=new.title.strip(),
        description=new.description,
        contact_name=new.contact.name,
        contact_email=new.contact.email,
        contact_phone=new.contact.phone,
        preferred_contact_method=new.contact.preferred_contact_method,
        admin_email=new.admin_email.strip().lower(),
        test_environment=new.test_environment,
        status="new",
        last_sequence=0,
    )
    try:
        with session.begin_nested():
            session.add(case)
            session.flush()
    except IntegrityError:
        # A concurrent retry with the same key won the race: answer with its case.
        earlier = repository.case_by_idempotency_key(session, tenant_id, idempotency_key or "")
        if earlier is None:
            raise
        return _same_request(earlier, digest), False
    events.record(session, case, events.CASE_CREATED, {"status": case.status, "title": case.title})
    return case, True


def _same_request(earlier: SupportCase, digest: str) -> SupportCase:
    if earlier.request_digest != digest:
        raise Conflict("this Idempotency-Key was already used for a different case; use a new key")
    return earlier


def get_case(session: Session, case_id: str, tenant_id: str | None = None) -> SupportCase:
    """A case; with ``tenant_id``, only that tenant's (another tenant's case reads as not found)."""
    found = repository.case(session, case_id)
    if found is None or (tenant_id is not None and found.tenant_id != tenant_id):
        raise NotFound(f"no case {case_id}")
    return found


def list_cases(
    session: Session,
    *,
    tenant_id: str | None = None,
    repository_id: str | None = None,
    status: str | None = None,
    include_test: bool = True,
) -> Sequence[SupportCase]:
    if status is not None and status not in STATUSES:
        raise UserError(f"unknown status {status!r}; choose from {', '.join(STATUSES)}")
    return repository.cases(
        session, tenant_id=tenant_id, repository_id=repository_id, status=status, include_test=include_test
    )


def messages(session: Session, case: SupportCase) -> Sequence[CaseMessage]:
    return repository.messages(session, case.id)


def add_customer_message(
    session: Session, case: SupportCase, *, body: str, author: str, client_message_id: str
) -> tuple[CaseMessage, bool]:
    """A message from the customer's side; a repeated ``client_message_id`` returns the first one."""
    earlier = repository.message_by_client_id(session, case.id, client_message_id)
    if earlier is not None:
        return earlier, False
    if not body.strip():
        raise UserError("the message is empty")
    check_max_length("message", body, MESSAGE_MAX)
    message = CaseMessage(
        case_id=case.id, author_kind="customer", author=author, body=body, client_message_id=client_message_id
    )
    session.add(message)
    if case.status == "waitingOnCustomer":
        _set_status(session, case, "inProgress")
    session.flush()
    return message, True


def update_contact(session: Session, case: SupportCase, contact: Contact) -> SupportCase:
    _check_contact(contact)
    case.contact_name = contact.name
    case.contact_email = contact.email
    case.contact_phone = contact.phone
    case.preferred_contact_method = contact.preferred_contact_method
    events.record(session, case, events.CASE_CONTACT_UPDATED, contact_data(case))
    return case


def contact_data(case: SupportCase) -> dict[str, str]:
    return {
        "name": case.contact_name,
        "email": case.contact_email,
        "phone": case.contact_phone,
        "preferredContactMethod": case.preferred_contact_method,
    }


def engineer_reply(session: Session, case: SupportCase, *, author: str, body: str) -> CaseMessage:
    if not body.strip():
        raise UserError("the reply is empty")
    check_max_length("reply", body, MESSAGE_MAX)
    message = CaseMessage(case_id=case.id, author_kind="engineer", author=author, body=body)
    session.add(message)
    session.flush()
    data = {
        "messageId": message.id,
        "author": author,
        "authorKind": "engineer",
        "body": body,
        "createdAt": message.created_at.isoformat().replace("+00:00", "Z"),
    }
    events.record(session, case, events.CASE_MESSAGE, data)
    return message


def change_status(session: Session, case: SupportCase, status: str) -> SupportCase:
    if status not in STATUSES:
        raise UserError(f"unknown status {status!r}; choose from {', '.join(STATUSES)}")
    if status != case.status:
        _set_status(session, case, status)
    return case


def _set_status(session: Session, case: SupportCase, status: str) -> None:
    previous, case.status = case.status, status
    events.record(session, case, events.CASE_STATUS_CHANGED, {"previousStatus": previous, "status": status})
    if status == "resolved":
        events.record(session, case, events.CASE_RESOLVED, {"status": status})


def dead_events(session: Session) -> Sequence[OutboxEvent]:
    return repository.dead_events(session)


def retry_event(session: Session, event_id: str) -> OutboxEvent:
    """Put a dead-lettered event back in line, with a fresh allowance of tries."""
    found = repository.event(session, event_id)
    if found is None:
        raise NotFound(f"no event {event_id}")
    if found.state != DEAD:
        raise Conflict(f"event {event_id} is {found.state}, not dead; only dead events can be retried")
    found.state = PENDING
    found.attempts = 0
    found.next_attempt_at = utcnow()
    return found
