import pytest
from sqlalchemy import text

from m365bridge.shared.db import create_db_engine


@pytest.mark.sqlite
def test_sqlite_runs_in_wal_with_a_busy_timeout(tmp_path):
    engine = create_db_engine(f"sqlite:///{tmp_path}/x/db.sqlite")
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 30000
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
