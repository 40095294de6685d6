"""What the connector sends to the support service and what it answers, as typed values: the client turns them
into JSON and back, so the rest of the connector never sees the wire format.

Unknown fields of an answer are ignored (the service may add some); a field the connector relies on and
the answer lacks makes the client raise ``SupportPermanentError``.
"""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field


class Answer(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="ignore", frozen=True)


class Repository(Answer):
    """A repository as the admin center lists it: where cases of this connector are delivered."""

    repository: str
    endpoint: str = ""
    authentication_type: str = Field("", alias="authenticationType")
    client_id: str = Field("", alias="clientId")
    token_audience: str = Field("", alias="tokenAudience")


class Integration(Answer):
    """This tenant's Support integration: the app allowed to call the service, and the repositories."""

    tenant_id: str = Field(alias="tenantId")
    application_id: str | None = Field(None, alias="applicationId")
    repositories: list[Repository] = []

    def repository(self, repository_id: str) -> Repository | None:
        return next((found for found in self.repositories if found.repository == repository_id), None)


class ProbeOutcome(Answer):
    """The service's attempt to call the connector's ``/probe``: ``step`` is where it failed, or ``done``."""

    ok: bool
    step: str = ""
    status_code: int | None = Field(None, alias="statusCode")
    message: str = ""


class Solution(Answer):
    """A recommended solution (a knowledge article) with the passage that matched."""

    id: str
    title: str = ""
    summary: str = ""
    link: str = ""
    score: float | None = None
    passage: str = ""


class Solutions(Answer):
    value: list[Solution] = []
    public_only: bool = False


class IncidentRef(Answer):
    sys_id: str = Field(alias="sysId")
    number: str = ""


class Contact(Answer):
    name: str = ""
    email: str = ""
    phone: str = ""


class Case(Answer):
    """A support case as the service holds it (without its thread)."""

    id: str
    number: str
    status: str
    incident: IncidentRef
    title: str = ""
    description: str = ""
    contact: Contact = Contact()
    preferred_contact_method: str = Field("email", alias="preferredContactMethod")
    admin_email: str = Field("", alias="adminEmail")
    test_environment: bool = Field(False, alias="testEnvironment")
    created_at: dt.datetime | None = Field(None, alias="createdAt")


class ContactDetails(Contact):
    """A case's ticket details as the connector changes them."""

    preferred_contact_method: str = Field("email", alias="preferredContactMethod")


class NewCase(Answer):
    """A case the connector opens for an incident."""

    repository_id: str | None = Field(alias="repositoryId")
    incident: IncidentRef
    title: str
    description: str
    contact: Contact
    preferred_contact_method: str = Field(alias="preferredContactMethod")
    admin_email: str = Field(alias="adminEmail")
    test_environment: bool = Field(alias="testEnvironment")
