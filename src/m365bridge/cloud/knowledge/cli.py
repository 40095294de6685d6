"""``m365bridge cloud kb …``: fill the knowledge base."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from m365bridge.cloud.context import CloudContext
from m365bridge.cloud.knowledge import searcher
from m365bridge.cloud.knowledge.importer import (
    STARTER_FOLDER,
    STARTER_OPTIONS,
    ImportOptions,
    import_folder,
    iter_report_lines,
)
from m365bridge.cloud.settings import CloudSettings
from m365bridge.shared.db import transaction
from m365bridge.shared.errors import UserError

app = typer.Typer(help="The support service's knowledge base.", no_args_is_help=True)


@app.command("import")
def import_command(
    path: Path | None = typer.Argument(None, help="Folder of markdown articles with YAML front matter."),
    starter: bool = typer.Option(False, "--starter", help="Import the starter KB shipped with m365bridge."),
    tenant: str | None = typer.Option(None, help="Make the articles private to this tenant id."),
    source_url: str | None = typer.Option(
        None, help="Published URL prefix of the articles (default: Microsoft Learn troubleshoot)."
    ),
    attribution: str | None = typer.Option(None, help="Attribution shown with every article."),
    data_dir: Path | None = typer.Option(None, "--data-dir", help="The cloud's data folder."),
) -> None:
    """Import (or re-import) a folder of articles; unchanged files are skipped, bad files reported."""
    if starter == (path is not None):
        raise UserError("give either a folder PATH or --starter")
    options = STARTER_OPTIONS if starter else ImportOptions()
    overrides = {"tenant_id": tenant, "public": tenant is None}
    if source_url is not None:
        overrides["articles_url"] = source_url
    if attribution is not None:
        overrides["attribution"] = attribution
    options = ImportOptions(**{**vars(options), **overrides})
    folder = STARTER_FOLDER if starter else path
    assert folder is not None
    settings = CloudSettings(data_dir=data_dir) if data_dir else CloudSettings()
    context = CloudContext.build(settings)
    try:
        with Progress(
            TextColumn("importing"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()
        ) as progress:
            task = progress.add_task("import", total=None)
            with transaction(context.sessions, write=True) as session:
                report = import_folder(
                    session,
                    folder,
                    options,
                    on_start=lambda total: progress.update(task, total=total),
                    advance=lambda: progress.advance(task),
                )
        if report.changed:
            # After the import's commit: the search index is written from what every process now sees.
            with transaction(context.sessions) as session:
                searcher.rebuild(context, session)
    finally:
        context.close()
    for line in iter_report_lines(report):
        typer.echo(line)


@app.command("reindex")
def reindex_command(
    data_dir: Path | None = typer.Option(None, "--data-dir", help="The cloud's data folder."),
) -> None:
    """Rewrite the search index from the stored articles (running servers switch to it within a second)."""
    context = CloudContext.build(CloudSettings(data_dir=data_dir) if data_dir else CloudSettings())
    try:
        with transaction(context.sessions) as session:
            generation = searcher.rebuild(context, session)
    finally:
        context.close()
    typer.echo(f"search index {generation} written")
