"""``m365bridge connector logs …``: the connector's logs."""

from __future__ import annotations

import typer

from m365bridge.connector.logs.http_log_cli import http

app = typer.Typer(help="The connector's logs.", no_args_is_help=True)
app.command("http")(http)
