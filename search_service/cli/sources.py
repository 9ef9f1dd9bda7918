"""The sync command: bring the index up to date with the sources of a sources file."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import click

from ..errors import SearchServiceError
from ..sources import spec as source_spec
from ..sources.schedule import sync_all
from ..sources.sync import Report, SyncResult, open_reader
from .context import EXIT_REJECTED, Context, index_dir_option, run
from .progress import SyncProgress

EXAMPLE_SOURCES = """\
[[sources]]
name = "cms"
kind = "database"
url_env = "CMS_DATABASE_URL"   # postgresql+psycopg://user:password@host/db
table = "articles"
deleted = "is_deleted"

[sources.columns]
id = "id"
title = "title"
body = "body"
updated = "updated_at"
"""


class SourcesFileProblem(click.ClickException):
    """A sources file that cannot be used: a usage error (exit 2), like a wrong option."""

    exit_code = 2


@click.command()
@click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Sources file (TOML; default: $SEARCH_SOURCES_FILE).",
)
@click.option("--source", "only", metavar="NAME", help="Sync only the source with this name.")
@click.option("--full", is_flag=True, help="Re-read everything and remove what is gone.")
@click.option(
    "--every",
    type=click.FloatRange(min=0, min_open=True),
    metavar="SECONDS",
    help="Keep running: a pass every SECONDS (a full one every $SEARCH_SYNC_FULL_INTERVAL).",
)
@index_dir_option
def sync(
    config_file: Path | None,
    only: str | None,
    full: bool,
    every: float | None,
    index_dir: Path | None,
) -> None:
    """Bring the index up to date with the sources in a sources file, then exit.

    Exit status: 0 when everything was applied, 1 when a record was rejected or a source
    failed (each is named, with the reason), 2 for a usage or sources-file problem.

    \b
    Example:
        search-service sync --config sources.toml
        search-service sync --config sources.toml --source cms --full
        search-service sync --every 60          # with SEARCH_SOURCES_FILE set
    """

    context = Context(index_dir)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    logger = logging.getLogger("search_service")
    logger.addHandler(handler)
    logger.setLevel(context.config.log_level.upper())
    try:
        _sync(context, config_file, only, full, every)
    finally:
        logger.removeHandler(handler)


def _sync(
    context: Context, config_file: Path | None, only: str | None, full: bool, every: float | None
) -> None:
    path = config_file or (
        Path(context.config.sources_file) if context.config.sources_file else None
    )
    if path is None:
        raise SourcesFileProblem(
            "no sources file: give --config FILE or set SEARCH_SOURCES_FILE.\n"
            "It lists one [[sources]] table per source, for example:\n\n"
            + EXAMPLE_SOURCES
            + "\nsources.example.toml in the repository shows every kind "
            "(database, sitemap, feed, pages) and every option."
        )
    try:
        specs = source_spec.load(path)
        if only is not None:
            specs = [spec for spec in specs if spec.name == only]
            if not specs:
                raise SearchServiceError(f"{path} has no source named {only!r}")
        readers = {spec.name: open_reader(spec, context.config) for spec in specs}
    except SearchServiceError as exc:
        raise SourcesFileProblem(str(exc)) from exc
    progress = SyncProgress()
    report = Report(
        reject=lambda error: (progress.clear(), click.echo(f"rejected {error}", err=True)),
        error=lambda name, message: (progress.clear(), click.echo(f"{name}: {message}", err=True)),
        progress=progress.show,
    )

    def summarise(spec: source_spec.SourceSpec, result: SyncResult) -> None:
        progress.clear()
        pass_kind = "full pass" if result.full else "pass"
        click.echo(f"{spec.name} ({spec.kind}, {pass_kind}): {result.summary()}")

    ok = run(
        lambda: sync_all(
            context.store,
            context.config,
            specs,
            readers,
            full=full,
            every=every,
            report=report,
            on_result=summarise,
        )
    )
    if not ok:
        click.echo("Some records were rejected or a source failed (listed above).", err=True)
        sys.exit(EXIT_REJECTED)
