"""Backup and restore of a side's database (SQLite's online backup API; pg_dump/pg_restore in the PostgreSQL
pass): back up, change the data, restore, and the data is as it was at the backup."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from m365bridge.cli import app
from m365bridge.connector.context import ConnectorContext
from m365bridge.connector.logs import system_log
from m365bridge.connector.logs.models import SystemLogLine
from m365bridge.connector.settings import ConnectorSettings
from m365bridge.shared import backup
from m365bridge.shared.db import transaction
from m365bridge.shared.errors import UserError


def log_lines(context: ConnectorContext) -> list[str]:
    with transaction(context.sessions) as session:
        return list(session.scalars(select(SystemLogLine.message).order_by(SystemLogLine.message)).all())


def add_line(context: ConnectorContext, message: str) -> None:
    with transaction(context.sessions) as session:
        system_log.write(session, "info", message)


def test_restore_brings_back_the_data_as_it_was_at_the_backup(
    connector_settings: ConnectorSettings, tmp_path: Path
) -> None:
    context = ConnectorContext.build(connector_settings)
    add_line(context, "before the backup")
    copy = tmp_path / "backup" / "connector.backup"
    backup.backup(connector_settings.db_url, copy)
    add_line(context, "after the backup")
    with transaction(context.sessions) as session:
        session.execute(SystemLogLine.__table__.delete().where(SystemLogLine.message == "before the backup"))
    context.close()  # the service is stopped for a restore

    backup.restore(connector_settings.db_url, copy)

    restored = ConnectorContext.build(connector_settings)
    try:
        assert "before the backup" in log_lines(restored)
        assert "after the backup" not in log_lines(restored)
    finally:
        restored.close()


def test_db_backup_and_restore_commands_on_the_cloud_side(tmp_path: Path) -> None:
    data_dir, copy = tmp_path / "cloud", tmp_path / "cloud.backup"
    runner = CliRunner()
    assert runner.invoke(app, ["cloud", "db", "upgrade", "--data-dir", str(data_dir)]).exit_code == 0
    backed_up = runner.invoke(app, ["cloud", "db", "backup", str(copy), "--data-dir", str(data_dir)])
    assert backed_up.exit_code == 0, backed_up.output
    assert copy.stat().st_size > 0
    restored = runner.invoke(app, ["cloud", "db", "restore", str(copy), "--data-dir", str(data_dir)])
    assert restored.exit_code == 0, restored.output
    nowhere = str(tmp_path / "none")
    missing = runner.invoke(app, ["cloud", "db", "restore", nowhere, "--data-dir", str(data_dir)])
    assert missing.exit_code != 0 and "No backup at" in f"{missing.output}{missing.exception}"


def test_counts_survive_a_restore_exactly(connector_settings: ConnectorSettings, tmp_path: Path) -> None:
    context = ConnectorContext.build(connector_settings)
    for n in range(25):
        add_line(context, f"line {n}")
    with transaction(context.sessions) as session:
        before = session.scalar(select(func.count()).select_from(SystemLogLine))
    copy = tmp_path / "connector.backup"
    backup.backup(connector_settings.db_url, copy)
    add_line(context, "one more")
    context.close()
    backup.restore(connector_settings.db_url, copy)
    restored = ConnectorContext.build(connector_settings)
    try:
        with transaction(restored.sessions) as session:
            assert session.scalar(select(func.count()).select_from(SystemLogLine)) == before
    finally:
        restored.close()


def test_a_backup_of_a_folder_without_a_database_creates_nothing(tmp_path: Path) -> None:
    missing = tmp_path / "mistyped"
    with pytest.raises(UserError, match=f"No database at {missing}"):
        backup.backup(f"sqlite:///{missing / 'connector.db'}", tmp_path / "out" / "copy.db")
    assert not missing.exists() and not (tmp_path / "out").exists()
