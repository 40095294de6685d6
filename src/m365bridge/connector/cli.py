"""``m365bridge connector …``: run and administer the connector."""

from __future__ import annotations

from collections.abc import Callable

import typer

from m365bridge.connector.auth.allowlist import cli as allowlist_cli
from m365bridge.connector.auth.oauth import cli as oauth_cli
from m365bridge.connector.auth.oidc import cli as oidc_cli
from m365bridge.connector.auth.servicenow import cli as servicenow_signin_cli
from m365bridge.connector.context import MIGRATIONS
from m365bridge.connector.health.cli import app as health_app
from m365bridge.connector.incidents.cli import app as incidents_app
from m365bridge.connector.keys.cli import rotate_key
from m365bridge.connector.logs import cli as logs_cli
from m365bridge.connector.registry.cli import app as oauth_entities_app
from m365bridge.connector.servicenow.cli import app as servicenow_app
from m365bridge.connector.settings import ConnectorSettings
from m365bridge.connector.setup.cli import app as setup_app
from m365bridge.connector.troubleshooting.cli import doctor
from m365bridge.connector.users import cli as users_cli
from m365bridge.shared.side_cli import add_side_commands

app = typer.Typer(help="The connector.", no_args_is_help=True)
app.add_typer(users_cli.app, name="users")
app.add_typer(oauth_cli.app, name="oauth-clients")
app.add_typer(oidc_cli.app, name="oidc")
app.add_typer(allowlist_cli.app, name="allowlist")
app.add_typer(logs_cli.app, name="logs")
app.add_typer(incidents_app, name="incidents")
app.add_typer(oauth_entities_app, name="oauth-entities")
app.add_typer(health_app, name="health")
app.add_typer(setup_app, name="setup")
app.add_typer(servicenow_app, name="servicenow")
app.add_typer(servicenow_signin_cli.app, name="servicenow-signin")
app.command("rotate-key")(rotate_key)
app.command("doctor")(doctor)


def _app_factory() -> Callable[[ConnectorSettings], object]:
    from m365bridge.connector.app import create_app

    return lambda settings: create_app(settings)


add_side_commands(
    app, side="connector", settings_class=ConnectorSettings, migrations=MIGRATIONS, app_factory=_app_factory
)
