"""API shapes of the support integration settings. Secrets go in, never out."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from m365bridge.cloud.integration.models import DEFAULT_REFRESH_TOKEN_EXPIRY, SupportRepository
from m365bridge.cloud.integration.service import RepositoryInput

AuthType = Literal["Basic Auth", "AAD Auth"]


class Camel(BaseModel):
    model_config = ConfigDict(populate_by_name=True)


class BasicInformationIn(Camel):
    support_tool: Literal["ServiceNow"] = Field("ServiceNow", alias="supportTool")
    application_id: str = Field(
        alias="applicationId", description="Application ID to issue Auth Token: the connector's outbound app."
    )


class RepositoryIn(Camel):
    repository: str = Field(description="Repository ID, as shown in the connector's last setup step.")
    endpoint: str = Field(description="The connector's base URL (https; http only for loopback).")
    authentication_type: AuthType = Field(alias="authenticationType")
    client_id: str = Field("", alias="clientId", description="Basic: OAuth client id; AAD: REST user app id.")
    client_secret: SecretStr | None = Field(
        None, alias="clientSecret", description="Write-only. Omit on edit to keep the stored one."
    )
    refresh_token_expiry: int = Field(
        DEFAULT_REFRESH_TOKEN_EXPIRY, alias="refreshTokenExpiry", description="Seconds (Basic Auth)."
    )
    rest_username: str = Field("", alias="restUsername")
    rest_user_password: SecretStr | None = Field(
        None, alias="restUserPassword", description="Write-only. Omit on edit to keep the stored one."
    )
    token_audience: str = Field(
        "", alias="tokenAudience", description="AAD Auth: the REST API app's App ID URI (or app id)."
    )

    def as_input(self) -> RepositoryInput:
        return RepositoryInput(
            repository_id=self.repository.strip(),
            endpoint=self.endpoint,
            auth_type=self.authentication_type,
            client_id=self.client_id,
            client_secret=self.client_secret.get_secret_value() if self.client_secret else None,
            refresh_token_expiry=self.refresh_token_expiry,
            rest_username=self.rest_username,
            rest_password=self.rest_user_password.get_secret_value() if self.rest_user_password else None,
            token_audience=self.token_audience,
        )


class RepositoryOut(Camel):
    repository: str
    endpoint: str
    authentication_type: str = Field(alias="authenticationType")
    client_id: str = Field(alias="clientId")
    client_secret_set: bool = Field(alias="clientSecretSet")
    refresh_token_expiry: int = Field(alias="refreshTokenExpiry")
    rest_username: str = Field(alias="restUsername")
    rest_user_password_set: bool = Field(alias="restUserPasswordSet")
    token_audience: str = Field(alias="tokenAudience")
    deliverable: bool = Field(description="False for Insights-only placeholders: no case can use it.")

    @classmethod
    def of(cls, row: SupportRepository) -> RepositoryOut:
        return cls(
            repository=row.repository_id,
            endpoint=row.endpoint,
            authentication_type=row.auth_type,
            client_id=row.client_id,
            client_secret_set=bool(row.client_secret_encrypted),
            refresh_token_expiry=row.refresh_token_expiry,
            rest_username=row.rest_username,
            rest_user_password_set=bool(row.rest_password_encrypted),
            token_audience=row.token_audience,
            deliverable=row.deliverable,
        )


class IntegrationOut(Camel):
    tenant_id: str = Field(alias="tenantId")
    support_tool: str = Field(alias="supportTool")
    application_id: str | None = Field(alias="applicationId")
    repositories: list[RepositoryOut]


class ProbeOut(Camel):
    ok: bool
    step: Literal["token", "probe", "done"] = Field(description="The step that failed, or 'done'.")
    status_code: int | None = Field(None, alias="statusCode")
    message: str
