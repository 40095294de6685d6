"""``m365bridge cloud …``: run and administer the cloud."""

from __future__ import annotations

from collections.abc import Callable

import typer

from m365bridge.cloud.cases.cli import app as outbox_cli
from m365bridge.cloud.context import MIGRATIONS
from m365bridge.cloud.directory.cli import app as directory_cli
from m365bridge.cloud.graph import cli as graph_cli
from m365bridge.cloud.identity.cli import app as identity_app
from m365bridge.cloud.knowledge.cli import app as kb_app
from m365bridge.cloud.settings import CloudSettings
from m365bridge.shared.side_cli import add_side_commands

app = typer.Typer(help="The cloud.", no_args_is_help=True)
app.add_typer(directory_cli, name="directory")
app.add_typer(outbox_cli, name="outbox")
app.add_typer(graph_cli.app, name="graph")
app.command("replay")(graph_cli.replay_command)
app.add_typer(kb_app, name="kb")
app.add_typer(identity_app, name="identity")


def _app_factory() -> Callable[[CloudSettings], object]:
    from m365bridge.cloud.app import create_app

    return lambda settings: create_app(settings)


add_side_commands(
    app, side="cloud", settings_class=CloudSettings, migrations=MIGRATIONS, app_factory=_app_factory
)
