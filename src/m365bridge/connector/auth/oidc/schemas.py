"""API shapes for OIDC provider configurations and OIDC entities."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class OIDCProviderIn(BaseModel):
    name: str = Field(min_length=1, max_length=255)
    metadata_url: str = Field(min_length=1, max_length=1024, description="…/.well-known/openid-configuration")
    user_claim: str = Field("appid", description="Token claim naming the user (appid; azp for v2 tokens).")
    user_field: str = Field("user_name", description="User field matched: user_name|email.")
    clock_skew: int = Field(300, description="Seconds of leeway on exp/nbf/iat.")
    extra_issuer: str | None = Field(None, description="A second accepted iss, e.g. the v1 sts.windows.net.")
    active: bool = True


class OIDCProviderOut(OIDCProviderIn):
    model_config = ConfigDict(from_attributes=True)

    id: str


class OIDCEntityIn(BaseModel):
    name: str = Field("", max_length=255)
    client_id: str = Field(min_length=1, max_length=255, description="The expected audience (aud).")
    provider_id: str = Field(min_length=1, description="The provider's id or name.")
    active: bool = True


class OIDCEntityOut(OIDCEntityIn):
    model_config = ConfigDict(from_attributes=True)

    id: str
