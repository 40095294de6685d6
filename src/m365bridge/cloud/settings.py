"""Every setting of the cloud, from ``M365BRIDGE_CLOUD_*`` variables; nothing else reads the environment."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from m365bridge.shared.settings import ServiceSettings


class CloudSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="M365BRIDGE_CLOUD_", extra="forbid")

    side: ClassVar[str] = "cloud"

    data_dir: Path = Field(
        Path("var/cloud"), description="Folder for the SQLite database, keys and certificates."
    )
    port: int = Field(8400, description="Port to listen on.")
    solutions_public_rate_limit: int = Field(
        30, description="Recommended-solutions searches per minute per client address without a token."
    )
    solutions_tenant_rate_limit: int = Field(
        600, description="Recommended-solutions searches per minute per tenant with an outbound-app token."
    )

    ui_idle_timeout_seconds: int = Field(
        1800, ge=60, description="Cloud UI sessions end after this many seconds without a request."
    )
    lockout_window_seconds: int = Field(
        900, ge=1, description="Window in which failed cloud sign-ins (portal, admin API) are counted."
    )
    lockout_account_failures: int = Field(
        5, ge=1, description="Failed sign-ins to one account from one address in the window before 429."
    )
    lockout_address_failures: int = Field(
        20, ge=1, description="Failed sign-ins from one address (any accounts) in the window before 429."
    )
    identity_url: str | None = Field(
        None,
        description="Base URL of the identity service the support service gets AAD tokens from; "
        "default this cloud's base_url.",
    )
    outbound_ca_file: Path | None = Field(
        None, description="Extra CA bundle trusted when calling connectors (e.g. the local demo CA)."
    )
    outbox_worker: bool = Field(
        False, description="Run the case-event delivery worker in a background thread of the app."
    )
    outbox_max_attempts: int = Field(
        8, ge=1, description="Delivery tries of one case event before it is dead-lettered."
    )
    outbox_backoff_base_seconds: float = Field(
        2.0, ge=0, description="First retry delay of a case event; doubles per try, with jitter."
    )
    outbox_backoff_max_seconds: float = Field(
        900.0, ge=0, description="Longest delay between two tries, including a connector's Retry-After."
    )
    outbox_lease_seconds: int = Field(
        120, ge=5, description="How long a worker owns a claimed event before another may take it over."
    )
    outbox_poll_seconds: float = Field(1.0, gt=0, description="Idle wait of the delivery worker.")
    outbox_http_timeout_seconds: float = Field(
        20.0, gt=0, description="Timeout of each call to a connector's endpoint."
    )
    graph_throttle_per_minute: int = Field(
        240, description="Graph requests one app may make for one tenant in any 60 seconds (then 429)."
    )
    graph_throttle_per_hour: int = Field(
        800, description="Graph requests one app may make for one tenant in any hour (then 429)."
    )
    graph_max_page_size: int = Field(
        1000, description="Largest Graph page a client may ask for with Prefer: odata.maxpagesize."
    )
    identity_v1_issuer: str = Field(
        "https://sts.windows.net/{tid}/",
        description="Issuer of v1 access tokens; {tid} is the tenant id, {base_url} this cloud's base URL.",
    )
    identity_v2_issuer: str = Field(
        "{base_url}/{tid}/v2.0",
        description="Issuer of v2 access tokens (Entra: https://login.microsoftonline.com/{tid}/v2.0).",
    )
    identity_key_grace_hours: float = Field(
        24.0, description="Hours a rotated-out signing key stays published and accepted."
    )
    solutions_auth_cache_seconds: float = Field(
        5.0,
        ge=0,
        description="How long the solutions search reuses an accepted bearer token's caller (tenant, app) "
        "without verifying it again; never past the token's expiry. This process's changes to signing keys "
        "or integration settings apply at once; another process's within this time. 0 turns it off.",
    )
    admin_api_token: SecretStr | None = Field(
        None, description="Bearer token for the /admin API; unset = the admin API answers 403."
    )
