"""Every connector setting, from ``M365BRIDGE_CONNECTOR_*`` variables; nothing else reads the environment."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import ClassVar

from pydantic import Field, field_validator
from pydantic_settings import SettingsConfigDict

from m365bridge.shared.settings import ServiceSettings


class ConnectorSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="M365BRIDGE_CONNECTOR_", extra="forbid")

    side: ClassVar[str] = "connector"

    data_dir: Path = Field(
        Path("var/connector"), description="Folder for the SQLite database, keys and certificates."
    )
    port: int = Field(8500, description="Port to listen on.")

    session_idle_minutes: int = Field(
        30, ge=1, description="Minutes without a request after which a UI session ends."
    )
    cookie_secure: bool | None = Field(
        None, description="Mark the session cookie Secure; default: when the request came over https."
    )
    lockout_account_failures: int = Field(
        5,
        ge=1,
        description="Failed logins per account from one client address within lockout_window_seconds before "
        "that address gets 429 for that account (failures from other addresses never lock it).",
    )
    lockout_address_failures: int = Field(
        20, ge=1, description="Failed logins per client address within lockout_window_seconds before 429."
    )
    lockout_window_seconds: int = Field(900, ge=1, description="Window over which failed logins count.")
    refresh_grace_seconds: int = Field(
        30,
        ge=0,
        description="A rotated refresh token reused within this many seconds returns the same successor.",
    )
    jwks_cooldown_seconds: int = Field(
        300, ge=0, description="Least time between two JWKS refetches caused by an unknown key id."
    )
    jwks_max_age_seconds: int = Field(
        3600,
        ge=0,
        description="Longest time a fetched JWKS (and a token validated with it) is trusted before the "
        "keys are fetched again, so a key the provider retired stops working (keep it below its grace).",
    )
    ca_bundle: Path | None = Field(
        None, description="CA bundle (PEM) for verifying outbound TLS; default: the system's trust store."
    )
    inbound_allowlist_enabled: bool = Field(
        False, description="Refuse inbound REST calls from addresses outside the stored allowlist."
    )
    trusted_proxies: list[str] = Field(
        default_factory=list,
        description="Addresses or CIDRs of reverse proxies whose X-Forwarded-For is believed.",
    )
    oidc_metadata_cooldown_seconds: int = Field(
        60,
        ge=0,
        description="After an OIDC provider's metadata or keys could not be fetched, wait this long before "
        "trying again (tokens of that provider are refused meanwhile).",
    )
    oidc_validated_cache_size: int = Field(
        1000, ge=1, description="Most validated OIDC tokens remembered (least recently used go first)."
    )
    inbound_event_batch_max: int = Field(
        200,
        ge=1,
        le=5000,  # a batch's look-ups bind one parameter per event; SQLite allows 32,766 per statement
        description="Most inbound case events applied in one transaction (group commit): events that "
        "arrive while a batch is being written are applied together in the next one, and each request is "
        "answered once its batch has committed.",
    )
    auth_cache_seconds: float = Field(
        5.0,
        ge=0,
        description="How long a validated bearer token's user and the setup's mode are reused without "
        "reading the database again (this process's own changes apply at once; another process's, such as "
        "a CLI command, within this time). 0 turns the cache off.",
    )
    oauth_grants_kept_per_user: int = Field(
        20,
        ge=1,
        description="Live password grants kept per OAuth client and user; a new grant revokes the oldest.",
    )
    housekeeping_interval_seconds: int = Field(
        3600,
        ge=0,
        description="How often the app purges old log lines, login failures and dead tokens (0 disables).",
    )
    system_log_retention_days: int = Field(
        30, ge=1, description="Days to keep system-log lines; older ones are purged."
    )
    table_api_default_limit: int = Field(
        1000, ge=1, description="Rows a Table API list returns when the caller gives no sysparm_limit."
    )
    table_api_max_limit: int = Field(
        10000, ge=1, description="Most rows one Table API list returns, whatever sysparm_limit asks."
    )
    outbound_timeout_seconds: float = Field(30.0, description="Timeout of each outbound HTTP request.")
    token_expiry_skew_seconds: int = Field(
        300, description="Outbound access tokens are renewed this long before they expire."
    )
    http_log_retention_days: int = Field(30, description="Outbound HTTP log rows older than this are purged.")
    graph_url: str = Field(
        "https://graph.microsoft.com",
        description="Microsoft Graph base URL (the cloud side serves it at {cloud}/graph).",
    )
    support_url: str = Field(
        "https://connector.rave.microsoft.com/support",
        description="Microsoft 365 support service base URL (a placeholder for Microsoft's service; the "
        "cloud side serves it at {cloud}/support). Setup step 1 may override it.",
    )
    health_sync_interval_seconds: int = Field(
        300, description="How often the app's background runner syncs service health (0 disables it)."
    )
    health_sync_autostart: bool = Field(
        True,
        description="Start the service health runner with the app once setup has an outbound OAuth provider "
        "(tests turn it off).",
    )
    health_watermark_skew_seconds: int = Field(
        300, description="Incremental syncs ask for changes since the last watermark minus this much."
    )
    health_full_sync_hours: int = Field(
        24, description="A full sync (which also drops messages gone from the feed) runs at least this often."
    )
    health_max_retry_after_seconds: int = Field(
        120, description="Longest Retry-After a sync waits for; a longer one ends the run as retriable."
    )

    servicenow_allow_loopback_http: bool = Field(
        False,
        description="Allow a ServiceNow instance URL with plain http when it points at a loopback address "
        "(the demo and tests); every other instance URL must be https.",
    )
    servicenow_max_retry_after_seconds: float = Field(
        60.0,
        ge=0,
        description="Longest Retry-After a call to a ServiceNow instance waits for before retrying; a longer "
        "one (or a fourth 429 in a row) ends the call as retriable.",
    )
    servicenow_poll_seconds: float = Field(
        30.0,
        ge=0,
        description="How often the connector polls the ServiceNow instance in use for changed incidents and "
        "delivers its queued writes (0 disables the background runner; push and sync-now still work).",
    )
    servicenow_roles_insights_user: list[str] = Field(
        ["itil", "sn_incident_write", "x_mioms_m365_assis.insights_user"],
        description="Agents who sign in with their ServiceNow account get the connector's insights_user role "
        "when they hold any of these instance roles (a JSON list in the environment).",
    )
    servicenow_roles_administrator: list[str] = Field(
        ["admin", "x_mioms_m365_assis.administrator"],
        description="Agents who sign in with their ServiceNow account get the connector's administrator role "
        "(x_mioms_m365_assis.administrator: contact Microsoft support) when they hold any of these instance "
        "roles (a JSON list in the environment).",
    )
    servicenow_max_clock_skew_seconds: int = Field(
        60,
        ge=1,
        description="Test connection fails the clock check when the instance's Date header differs from "
        "this machine's clock by more than this.",
    )

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies_are_networks(cls, entries: list[str]) -> list[str]:
        """A typo here would silently disable (or widen) X-Forwarded-For trust; refuse it at start-up."""
        bad = []
        for entry in entries:
            try:
                ipaddress.ip_network(entry.strip(), strict=False)
            except ValueError:
                bad.append(entry)
        if bad:
            raise ValueError(
                f"trusted_proxies: {', '.join(map(repr, bad))} is not an IP address or CIDR "
                "(use e.g. 10.0.0.5 or 10.0.0.0/24)"
            )
        return [entry.strip() for entry in entries if entry.strip()]
