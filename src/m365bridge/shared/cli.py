"""Running a Typer app so that a ``UserError`` becomes one clear line and a non-zero exit."""

from __future__ import annotations

import sys

import typer
from rich.console import Console

from m365bridge.shared.errors import UserError

err_console = Console(stderr=True)


def run(app: typer.Typer) -> None:
    try:
        app()
    except UserError as error:
        err_console.print(f"[bold red]error:[/] {error}", highlight=False)
        sys.exit(1)
