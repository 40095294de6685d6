"""``m365bridge connector rotate-key``."""

from __future__ import annotations

from pathlib import Path

import typer

from m365bridge.connector.context import cli_context
from m365bridge.connector.keys.rotation import rotate_key as rotate


def rotate_key(
    data_dir: Path | None = typer.Option(None, "--data-dir", help="The connector's data folder."),
) -> None:
    """Generate a new encryption key, re-encrypt every stored secret with it, and drop the old keys."""
    with cli_context(data_dir) as context:
        report = rotate(context)
    typer.echo(f"re-encrypted {report.values} value(s) in {report.columns} column(s); old keys removed")
