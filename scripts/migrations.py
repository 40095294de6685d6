"""Keep each side's Alembic migrations in step with its models.

python scripts/migrations.py check             # fail if models changed without a migration
python scripts/migrations.py new SIDE MESSAGE  # autogenerate the next revision for cloud or connector
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from alembic import command

from m365bridge.shared.migrate import alembic_config, upgrade

SIDES = {
    side: Path(__file__).resolve().parent.parent / "src" / "m365bridge" / side / "migrations"
    for side in ("cloud", "connector")
}


def _scratch_url(folder: str, side: str) -> str:
    return f"sqlite:///{folder}/{side}.db"


def check() -> None:
    for side, migrations in SIDES.items():
        with tempfile.TemporaryDirectory() as folder:
            url = _scratch_url(folder, side)
            upgrade(migrations, url)
            command.check(alembic_config(migrations, url))
        print(f"{side}: migrations match the models")


def new(side: str, message: str) -> None:
    migrations = SIDES[side]
    count = len(list((migrations / "versions").glob("*.py")))
    with tempfile.TemporaryDirectory() as folder:
        url = _scratch_url(folder, side)
        upgrade(migrations, url)
        command.revision(
            alembic_config(migrations, url), message=message, autogenerate=True, rev_id=f"{count + 1:04d}"
        )


def reset_initial() -> None:
    for side, migrations in SIDES.items():
        for old in (migrations / "versions").glob("*.py"):
            old.unlink()
        with tempfile.TemporaryDirectory() as folder:
            url = _scratch_url(folder, side)
            command.revision(
                alembic_config(migrations, url), message="initial schema", autogenerate=True, rev_id="0001"
            )


def _tidy() -> None:
    """Generated revisions follow the project's lint and format rules like any other code."""
    folders = [str(m / "versions") for m in SIDES.values()]
    subprocess.run([sys.executable, "-m", "ruff", "check", "--fix", "--quiet", *folders], check=False)
    subprocess.run([sys.executable, "-m", "ruff", "format", "--quiet", *folders], check=False)


if __name__ == "__main__":
    if sys.argv[1:2] == ["check"]:
        check()
    elif sys.argv[1:2] == ["reset-initial"]:
        reset_initial()
        _tidy()
    elif sys.argv[1:2] == ["new"] and len(sys.argv) == 4:
        new(sys.argv[2], sys.argv[3])
        _tidy()
    else:
        sys.exit(__doc__)
