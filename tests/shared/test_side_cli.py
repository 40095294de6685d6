import pytest
from sqlalchemy import create_engine, inspect
from typer.testing import CliRunner

from m365bridge.cli import app


@pytest.mark.parametrize(("side", "table"), [("cloud", "identity_tenants"), ("connector", "incident")])
def test_db_upgrade_then_backup_of_each_side(tmp_path, side, table):
    runner = CliRunner()
    upgraded = runner.invoke(app, [side, "db", "upgrade", "--data-dir", str(tmp_path)])
    assert upgraded.exit_code == 0, upgraded.output
    backed_up = runner.invoke(
        app, [side, "db", "backup", str(tmp_path / "copy.db"), "--data-dir", str(tmp_path)]
    )
    assert backed_up.exit_code == 0, backed_up.output
    assert table in inspect(create_engine(f"sqlite:///{tmp_path / 'copy.db'}")).get_table_names()
