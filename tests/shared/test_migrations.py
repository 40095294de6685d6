"""Every migration of each side, walked on an empty database: upgrade to each revision, then to head (the
tables are exactly the models'), then downgrade to base (nothing is left)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, inspect

from m365bridge.cloud.context import MIGRATIONS as CLOUD_MIGRATIONS
from m365bridge.cloud.models import Base as CloudBase
from m365bridge.connector.context import MIGRATIONS as CONNECTOR_MIGRATIONS
from m365bridge.connector.models import Base as ConnectorBase
from m365bridge.shared.db import create_db_engine
from m365bridge.shared.migrate import alembic_config

SIDES = {
    "cloud": (CLOUD_MIGRATIONS, CloudBase.metadata),
    "connector": (CONNECTOR_MIGRATIONS, ConnectorBase.metadata),
}


def tables(url: str) -> set[str]:
    engine = create_db_engine(url)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


@pytest.mark.parametrize("side", SIDES)
def test_every_revision_upgrades_to_head_and_downgrades_to_base(
    side: str, tmp_path: Path, new_database_url: Callable[[str], str | None]
) -> None:
    migrations, metadata = SIDES[side]
    assert isinstance(metadata, MetaData)
    url = new_database_url(f"{side}_walk") or f"sqlite:///{tmp_path / f'{side}.db'}"
    config = alembic_config(migrations, url)
    revisions = [
        script.revision for script in reversed(list(ScriptDirectory.from_config(config).walk_revisions()))
    ]
    assert revisions, f"{side} has no migrations"
    for revision in revisions:
        command.upgrade(config, revision)
        command.upgrade(config, "head")
        assert tables(url) == set(metadata.tables)
        command.downgrade(config, "base")
        assert tables(url) == set(), f"downgrading {side} from {revision} left tables behind"
