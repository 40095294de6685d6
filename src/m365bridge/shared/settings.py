"""What every side's settings have in common: where its data lives, how it is served, its keys."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import ClassVar

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings

from m365bridge.shared.body_limit import DEFAULT_MAX_BODY_BYTES


class ServiceSettings(BaseSettings):
    """Base of ``CloudSettings`` and ``ConnectorSettings``; each adds its env prefix and its own fields."""

    # The side's name: it names the default SQLite file and folder.
    side: ClassVar[str]

    data_dir: Path = Field(Path("var"), description="Folder for the SQLite database, keys and certificates.")
    database_url: str | None = Field(
        None,
        description="SQLAlchemy URL; default SQLite in data_dir. PostgreSQL: postgresql://user:pw@host/db",
    )
    host: str = Field("127.0.0.1", description="Address to listen on.")
    port: int = Field(0, description="Port to listen on.")
    tls: bool = Field(
        False, description="Serve https with the local CA in data_dir/tls (or tls_cert/tls_key)."
    )
    public_url: str | None = Field(
        None, description="Base URL as clients see it; default derived from host, port and tls."
    )
    encryption_keys: list[str] = Field(
        default_factory=list,
        description="Fernet keys for secrets at rest, newest first; default: data_dir/secret.key (0600).",
    )
    max_request_body_bytes: int = Field(
        DEFAULT_MAX_BODY_BYTES,
        ge=1024,
        description="Largest request body accepted; a larger one is refused with 413 before it is read.",
    )
    metrics_token: SecretStr | None = Field(
        None,
        description="Bearer token that /metrics requires; unset: /metrics answers loopback clients only.",
    )

    @cached_property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / f'{self.side}.db'}"

    @property
    def base_url(self) -> str:
        if self.public_url:
            return self.public_url.rstrip("/")
        scheme = "https" if self.tls else "http"
        host = "localhost" if self.tls and self.host in ("127.0.0.1", "0.0.0.0") else self.host  # noqa: S104
        return f"{scheme}://{host}:{self.port}"

    @property
    def key_file(self) -> Path:
        return self.data_dir / "secret.key"
