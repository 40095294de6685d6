"""API shapes of the OAuth registry. The client secret goes in, never out."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from m365bridge.connector.registry.service import CLIENT_CREDENTIALS


class OAuthEntityCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(description="Unique name, e.g. 'Azure'.")
    client_id: str = Field(description="The outbound app's application (client) id.")
    client_secret: SecretStr = Field(description="The outbound app's client secret; stored encrypted.")
    grant_type: str = Field(CLIENT_CREDENTIALS, description="Only client_credentials is usable outbound.")
    token_url: str = Field(description="e.g. https://login.microsoftonline.com/{tenant}/oauth2/token")
    redirect_url: str | None = None
    extra_params: dict[str, str] = Field(default_factory=dict, description="e.g. {'resource': '…'}")


class OAuthProfileOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    is_default: bool


class OAuthEntityOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    client_id: str
    grant_type: str
    token_url: str
    redirect_url: str | None
    extra_params: dict[str, str]
    profiles: list[OAuthProfileOut]
    created_at: dt.datetime
    updated_at: dt.datetime
