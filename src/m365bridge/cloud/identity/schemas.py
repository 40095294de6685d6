"""Shapes of the identity admin API."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field


class TenantCreate(BaseModel):
    domain: str = Field(description="The initial domain, <name>.onmicrosoft.com.")
    id: str | None = Field(None, description="Tenant GUID; generated when omitted.")
    display_name: str | None = None


class TenantOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    domain: str
    display_name: str


class AppCreate(BaseModel):
    display_name: str
    app_id_uri: str | None = Field(None, description="May contain {client_id}, e.g. api://{client_id}.")
    accepted_version: int = Field(1, description="accessTokenAcceptedVersion: 1 or 2.")
    app_roles: list[str] = Field(default_factory=list, description="Application roles this app defines.")


class GrantOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    resource_app_id: str
    role: str


class AppOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    client_id: str
    tenant_id: str
    display_name: str
    app_id_uri: str | None
    accepted_version: int
    app_roles: list[str]


class SecretCreate(BaseModel):
    days: int = Field(365, description="Validity in days (1-730).")
    display_name: str = ""


class SecretOut(BaseModel):
    key_id: str
    hint: str
    expires_at: dt.datetime
    secret_text: str = Field(description="The secret's value; shown once, never stored in clear.")


class GrantCreate(BaseModel):
    resource: str = Field(description="Resource App ID URI or appId, e.g. https://graph.microsoft.com.")
    roles: list[str]


class SigningKeyOut(BaseModel):
    kid: str
    created_at: dt.datetime
