"""Alembic driven from code, so each side migrates its own database with no ini file to find."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config


def alembic_config(migrations_dir: Path, database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir))
    # ConfigParser interpolation would choke on '%' in passwords inside URLs.
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    config.attributes["database_url"] = database_url
    return config


def upgrade(migrations_dir: Path, database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(migrations_dir, database_url), revision)


def check(migrations_dir: Path, database_url: str) -> None:
    """Fail when the models have changes that no migration carries (``alembic check``)."""
    command.check(alembic_config(migrations_dir, database_url))
