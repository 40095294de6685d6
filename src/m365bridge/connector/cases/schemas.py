"""API shapes of cases on the connector (camelCase, as the support service's) and of inbound case events."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from m365bridge.connector.cases.contact import (
    DESCRIPTION_MAX,
    EMAIL_MAX,
    MESSAGE_MAX,
    NAME_MAX,
    PHONE_MAX,
    TITLE_MAX,
    ContactRequest,
)
from m365bridge.connector.cases.events import Event
from m365bridge.connector.cases.models import CaseMessage, SupportCase


class Camel(BaseModel):
    model_config = ConfigDict(populate_by_name=True)


class ContactIn(Camel):
    name: str = Field(min_length=1, max_length=NAME_MAX)
    email: str = Field(min_length=3, max_length=EMAIL_MAX)
    phone: str = Field("", max_length=PHONE_MAX)


class CaseIn(Camel):
    title: str = Field(min_length=1, max_length=TITLE_MAX)
    description: str = Field("", max_length=DESCRIPTION_MAX)
    contact: ContactIn
    preferred_contact_method: Literal["email", "phone"] = Field("email", alias="preferredContactMethod")

    def as_request(self) -> ContactRequest:
        return ContactRequest(
            title=self.title,
            description=self.description,
            contact_name=self.contact.name,
            contact_email=self.contact.email,
            contact_phone=self.contact.phone,
            preferred_contact_method=self.preferred_contact_method,
        )


class ContactUpdate(ContactIn):
    preferred_contact_method: Literal["email", "phone"] = Field("email", alias="preferredContactMethod")

    def as_request(self) -> ContactRequest:
        return ContactRequest("-", "", self.name, self.email, self.phone, self.preferred_contact_method)


class ReplyIn(Camel):
    body: str = Field(min_length=1, max_length=MESSAGE_MAX)
    client_message_id: str = Field(alias="clientMessageId", min_length=1, max_length=200)


class MessageOut(Camel):
    author_kind: str = Field(alias="authorKind")
    author: str
    body: str
    created_at: dt.datetime = Field(alias="createdAt")

    @classmethod
    def of(cls, row: CaseMessage) -> MessageOut:
        return cls(author_kind=row.author_kind, author=row.author, body=row.body, created_at=row.created_at)


class CaseOut(Camel):
    sys_id: str
    number: str
    case_id: str = Field(alias="caseId")
    incident: str
    status: str
    resolved: bool
    title: str
    description: str
    contact: ContactIn
    preferred_contact_method: str = Field(alias="preferredContactMethod")
    admin_email: str = Field(alias="adminEmail")
    test_environment: bool = Field(alias="testEnvironment")
    created_at: dt.datetime = Field(alias="createdAt")
    updated_at: dt.datetime = Field(alias="updatedAt")
    messages: list[MessageOut] = []

    @classmethod
    def of(cls, row: SupportCase, messages: list[CaseMessage] | None = None) -> CaseOut:
        return cls(
            sys_id=row.sys_id,
            number=row.number,
            case_id=row.case_id,
            incident=row.incident_sys_id,
            status=row.status,
            resolved=row.resolved,
            title=row.title,
            description=row.description,
            contact=ContactIn.model_construct(
                name=row.contact_name, email=row.contact_email, phone=row.contact_phone
            ),
            preferred_contact_method=row.preferred_contact_method,
            admin_email=row.admin_email,
            test_environment=row.test_environment,
            created_at=row.created_at,
            updated_at=row.updated_at,
            messages=[MessageOut.of(m) for m in messages or []],
        )


class CaseEventIn(Camel):
    """The envelope the support service posts to ``{Endpoint}/v1/events``."""

    id: str = Field(min_length=1, max_length=36)
    sequence: int = Field(ge=1, description="Gap-free per case, starting at 1.")
    type: str = Field(min_length=1, max_length=40, description="case.created, case.statusChanged, …")
    case_id: str = Field(alias="caseId", min_length=1, max_length=36)
    case_number: str = Field(alias="caseNumber", min_length=1, max_length=40)
    incident_sys_id: str = Field(alias="incidentSysId", min_length=1, max_length=32)
    occurred_at: dt.datetime = Field(alias="occurredAt")
    data: dict[str, Any] = Field(default_factory=dict)

    def as_event(self) -> Event:
        occurred = self.occurred_at if self.occurred_at.tzinfo else self.occurred_at.replace(tzinfo=dt.UTC)
        return Event(
            self.id,
            self.sequence,
            self.type,
            self.case_id,
            self.case_number,
            self.incident_sys_id,
            occurred,
            self.data,
        )


class EventAck(Camel):
    id: str
    applied: bool = Field(description="False when the event had been applied before (a redelivery).")
