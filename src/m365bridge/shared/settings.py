"""What every side's settings have in common: where its data lives, how it is served, its keys."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Any, ClassVar

from pydantic import Field, SecretStr
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, DotEnvSettingsSource, PydanticBaseSettingsSource

from m365bridge.shared.body_limit import DEFAULT_MAX_BODY_BYTES
from m365bridge.shared.outbound import OutboundPolicy

# A side's settings may also live in its data folder, as ``NAME=value`` lines with the side's prefix (the
# demo writes one), so that a command given only ``--data-dir`` runs with the settings of that installation.
SETTINGS_FILE = "settings.env"


class DataDirSettingsFile(PydanticBaseSettingsSource):
    """``{data_dir}/settings.env``: below arguments and the environment, above the defaults.

    The data folder is the one the arguments or the environment name (else the default), so the file
    cannot move the folder it is read from.
    """

    def __init__(
        self,
        settings_cls: type[BaseSettings],
        init: PydanticBaseSettingsSource,
        env: PydanticBaseSettingsSource,
    ) -> None:
        super().__init__(settings_cls)
        self._init = init
        self._env = env

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False  # unused: __call__ reads the whole file at once

    def __call__(self) -> dict[str, Any]:
        default = self.settings_cls.model_fields["data_dir"].default
        data_dir = self._init().get("data_dir") or self._env().get("data_dir") or default
        path = Path(data_dir) / SETTINGS_FILE
        if not path.is_file():
            return {}
        values = DotEnvSettingsSource(self.settings_cls, env_file=path)()
        values.pop("data_dir", None)
        return values


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
    allow_private_endpoints: bool = Field(
        False,
        description="Development only: let URLs that admins enter (repository Endpoints, token, Graph, "
        "support and OIDC URLs) use plain http and loopback or private addresses. Off: https to public "
        "addresses only, so an admin cannot make this server call into its own network.",
    )
    metrics_token: SecretStr | None = Field(
        None,
        description="Bearer token that /metrics requires; unset: /metrics answers loopback clients only.",
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        data_dir_file = DataDirSettingsFile(settings_cls, init_settings, env_settings)
        return init_settings, env_settings, data_dir_file, dotenv_settings, file_secret_settings

    @property
    def settings_file(self) -> Path:
        return self.data_dir / SETTINGS_FILE

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
    def outbound_policy(self) -> OutboundPolicy:
        """Where URLs that admins enter may lead (``shared.outbound``): public https only, unless
        ``allow_private_endpoints``."""
        return OutboundPolicy(allow_private=self.allow_private_endpoints)

    @property
    def key_file(self) -> Path:
        return self.data_dir / "secret.key"
