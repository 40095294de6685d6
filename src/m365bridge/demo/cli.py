"""The ``m365bridge demo`` command."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import typer


class Mode(StrEnum):
    basic = "basic"
    aad = "aad"
    insights = "insights"
    none = "none"


class Itsm(StrEnum):
    servicenow = "servicenow"


def demo(
    mode: Mode = typer.Option(Mode.basic, help="Setup mode to complete: basic, aad, insights or none."),
    data_dir: Path = typer.Option(Path("demo-data"), help="Folder for both sides' data and demo.json."),
    cloud_port: int = typer.Option(8400, help="Port of the cloud side (identity, Graph, support)."),
    connector_port: int = typer.Option(8500, help="Port of the connector."),
    fresh: bool = typer.Option(False, help="Delete data_dir first."),
    itsm: Itsm | None = typer.Option(
        None,
        help="Also start a second built-in service desk as a customer's ServiceNow instance (own port and "
        "data folder, own users and incidents) and connect the connector to it in instance mode.",
    ),
    instance_port: int = typer.Option(8600, help="Port of the stand-in ServiceNow instance (with --itsm)."),
) -> None:
    """Run both sides on loopback with demo data, until Ctrl-C."""
    from m365bridge.demo.runner import run_demo

    run_demo(
        mode=mode.value,
        data_dir=data_dir,
        cloud_port=cloud_port,
        connector_port=connector_port,
        fresh=fresh,
        itsm=itsm.value if itsm else None,
        instance_port=instance_port,
    )
