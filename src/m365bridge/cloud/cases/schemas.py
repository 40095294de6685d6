"""API shapes of support cases (camelCase on the wire)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from m365bridge.cloud.cases.models import CaseMessage, SupportCase
from m365bridge.cloud.cases.service import (
    DESCRIPTION_MAX,
    EMAIL_MAX,
    MESSAGE_MAX,
    NAME_MAX,
    PHONE_MAX,
    TITLE_MAX,
    Contact,
    NewCase,
)


class Camel(BaseModel):
    model_config = ConfigDict(populate_by_name=True)


class IncidentRef(Camel):
    sys_id: str = Field(alias="sysId", min_length=1, max_length=32)
    number: str = Field(min_length=1, max_length=40)


class ContactIn(Camel):
    name: str = Field(max_length=NAME_MAX)
    email: str = Field(max_length=EMAIL_MAX)
    phone: str = Field("", max_length=PHONE_MAX)


class CaseIn(Camel):
    repository_id: str = Field(alias="repositoryId")
    incident: IncidentRef
    title: str = Field(min_length=1, max_length=TITLE_MAX)
    description: str = Field("", max_length=DESCRIPTION_MAX)
    contact: ContactIn
    preferred_contact_method: Literal["email", "phone"] = Field("email", alias="preferredContactMethod")
    admin_email: str = Field(alias="adminEmail", description="The Microsoft 365 admin account opening it.")
    test_environment: bool = Field(False, alias="testEnvironment")

    def as_new(self) -> NewCase:
        return NewCase(
            repository_id=self.repository_id,
            incident_sys_id=self.incident.sys_id,
            incident_number=self.incident.number,
            title=self.title,
            description=self.description,
            contact=Contact(
                self.contact.name, self.contact.email, self.contact.phone, self.preferred_contact_method
            ),
            admin_email=self.admin_email,
            test_environment=self.test_environment,
        )


class ContactUpdate(ContactIn):
    preferred_contact_method: Literal["email", "phone"] = Field("email", alias="preferredContactMethod")

    def as_contact(self) -> Contact:
        return Contact(self.name, self.email, self.phone, self.preferred_contact_method)


class MessageIn(Camel):
    client_message_id: str = Field(alias="clientMessageId", min_length=1, max_length=200)
    body: str = Field(min_length=1, max_length=MESSAGE_MAX)
    author: str = Field(max_length=320, description="Who wrote it on the customer's side.")


class MessageOut(Camel):
    id: str
    author_kind: str = Field(alias="authorKind")
    author: str
    body: str
    client_message_id: str | None = Field(alias="clientMessageId")
    created_at: dt.datetime = Field(alias="createdAt")

    @classmethod
    def of(cls, row: CaseMessage) -> MessageOut:
        return cls(
            id=row.id,
            author_kind=row.author_kind,
            author=row.author,
            body=row.body,
            client_message_id=row.client_message_id,
            created_at=row.created_at,
        )


class CaseOut(Camel):
    id: str
    number: str
    tenant_id: str = Field(alias="tenantId")
    repository_id: str = Field(alias="repositoryId")
    incident: IncidentRef
    title: str
    description: str
    contact: ContactIn
    preferred_contact_method: str = Field(alias="preferredContactMethod")
    admin_email: str = Field(alias="adminEmail")
    test_environment: bool = Field(alias="testEnvironment")
    status: str
    created_at: dt.datetime = Field(alias="createdAt")
    updated_at: dt.datetime = Field(alias="updatedAt")
    messages: list[MessageOut] | None = None

    @classmethod
    def of(cls, row: SupportCase, messages: list[CaseMessage] | None = None) -> CaseOut:
        return cls(
            id=row.id,
            number=row.number,
            tenant_id=row.tenant_id,
            repository_id=row.repository_id,
            incident=IncidentRef(sys_id=row.incident_sys_id, number=row.incident_number),
            title=row.title,
            description=row.description,
            contact=ContactIn(name=row.contact_name, email=row.contact_email, phone=row.contact_phone),
            preferred_contact_method=row.preferred_contact_method,
            admin_email=row.admin_email,
            test_environment=row.test_environment,
            status=row.status,
            created_at=row.created_at,
            updated_at=row.updated_at,
            messages=[MessageOut.of(m) for m in messages] if messages is not None else None,
        )
