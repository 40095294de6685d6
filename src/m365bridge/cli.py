"""``m365bridge``: one command line, grouped by side."""

from __future__ import annotations

import typer

from m365bridge.cloud.cli import app as cloud_app
from m365bridge.connector.cli import app as connector_app
from m365bridge.demo.cli import demo
from m365bridge.shared.cli import run

app = typer.Typer(
    help="m365bridge: an IT service desk bridged to Microsoft 365 support.", no_args_is_help=True
)
app.add_typer(cloud_app, name="cloud")
app.add_typer(connector_app, name="connector")
app.command("demo")(demo)


def main() -> None:
    run(app)
