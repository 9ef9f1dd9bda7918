"""The commands that build and change the index: reindex, add, delete, merge, rollback, stats."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import click

from ..errors import ArticleError
from ..indexing import merging, writer
from ..indexing.stats import index_stats
from ..sources import SAMPLE_CORPUS, read_sources
from .context import EXIT_REJECTED, Context, counts, index_dir_option, run
from .progress import Progress

strict_option = click.option(
    "--strict",
    is_flag=True,
    help="Reject the whole input if any record is invalid; nothing is written.",
)
input_argument = click.argument(
    "files", nargs=-1, type=click.Path(exists=True, dir_okay=False, allow_dash=True)
)


@click.command()
@input_argument
@click.option("--sample", is_flag=True, help="Index the built-in sample corpus.")
@click.option("--if-missing", is_flag=True, help="Do nothing when a live index already exists.")
@strict_option
@index_dir_option
def reindex(
    files: tuple[str, ...], sample: bool, if_missing: bool, strict: bool, index_dir: Path | None
) -> None:
    """Rebuild the whole index from JSON Lines FILES ('-' reads standard input).

    The new build is written beside the live one and switched in atomically only when it is
    complete and checked; the live index keeps serving meanwhile and is kept for rollback.

    \b
    Example:
        search-service reindex articles-en.jsonl articles-ru.jsonl
        zcat dump.jsonl.gz | search-service reindex -
    """
    context = Context(index_dir)
    if if_missing and context.store.current() is not None:
        click.echo(f"An index already exists in {context.store.root}; nothing to do.")
        return
    sources: list[Any] = list(files) + ([SAMPLE_CORPUS] if sample else [])
    if not sources:
        raise click.UsageError("give one or more FILES, '-' for standard input, or --sample")
    _write(
        context,
        sources,
        lambda records, on_reject: writer.rebuild(
            context.store, records, context.config, strict=strict, on_reject=on_reject
        ),
    )


@click.command()
@click.argument(
    "files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, allow_dash=True)
)
@strict_option
@index_dir_option
def add(files: tuple[str, ...], strict: bool, index_dir: Path | None) -> None:
    """Insert or replace (by id) the articles in FILES, without a rebuild.

    \b
    Example:
        search-service add corrections.jsonl
    """
    context = Context(index_dir)
    _write(
        context,
        list(files),
        lambda records, on_reject: writer.add(
            context.store, records, context.config, strict=strict, on_reject=on_reject
        ),
    )


@click.command()
@click.argument("ids", nargs=-1, required=True)
@index_dir_option
def delete(ids: tuple[str, ...], index_dir: Path | None) -> None:
    """Delete the articles with these IDS from the live index.

    \b
    Example:
        search-service delete en-001 ru-017
    """
    context = Context(index_dir)
    summary = run(lambda: writer.delete(context.store, ids, context.config))
    click.echo(f"Deleted {summary.deleted} article(s) from build {summary.build_id}.")
    if summary.missing:
        click.echo(f"Not in the index: {', '.join(summary.missing)}", err=True)


@click.command()
@index_dir_option
def merge(index_dir: Path | None) -> None:
    """Merge the live build's small segments until none is due (SEARCH_MERGE_FACTOR).

    Searches and updates go on meanwhile: the write lock is held only to swap the merged
    segment in. Under SEARCH_MERGE=background a commit starts this by itself; run it by hand
    (or from a timer) under SEARCH_MERGE=off. Exits at once if another merge is running.

    \b
    Example:
        search-service merge
    """
    context = Context(index_dir)
    result = run(lambda: merging.merge(context.store, merging.Policy.of(context.config)))
    if result.skipped:
        click.echo(f"Nothing merged: {result.skipped}.")
        return
    click.echo(
        f"{result.merges} merge(s), {result.documents} document(s) copied, "
        f"{result.expunged} deleted document(s) dropped; segments {result.segments_before} → "
        f"{result.segments_after} in {result.seconds:.1f} s."
    )


@click.command()
@index_dir_option
def rollback(index_dir: Path | None) -> None:
    """Make the previous build live again (and the current one the previous).

    \b
    Example:
        search-service rollback
    """
    context = Context(index_dir)

    def swap():
        with context.store.writing("rollback"):
            return context.store.rollback()

    build = run(swap)
    click.echo(f"Rolled back: build {build.id} is live.")


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@index_dir_option
def stats(as_json: bool, index_dir: Path | None) -> None:
    """Show what the live index holds.

    \b
    Example:
        search-service stats --json
    """
    context = Context(index_dir)
    report = run(lambda: index_stats(context.store))
    if as_json:
        click.echo(json.dumps(report, ensure_ascii=False, indent=2))
        return
    newest = report["newest"]
    click.echo(f"Index:      {report['index_dir']}")
    click.echo(f"Build:      {report['build']} (created {report['build_created']})")
    click.echo(f"Previous:   {report['previous_build'] or '-'}")
    click.echo(f"Documents:  {report['documents']}")
    click.echo(f"Languages:  {counts(report['languages'])}")
    click.echo(f"Categories: {counts(report['categories'])}")
    if newest:
        click.echo(f"Newest:     {newest['published']}  {newest['id']}  {newest['title']}")
    click.echo(f"Size:       {report['size_bytes'] / 1e6:.1f} MB")


def _write(
    context: Context,
    sources: list[Any],
    write: Callable[[Iterator[Any], Callable[[ArticleError], None]], writer.Summary],
) -> None:
    """Read sources with progress, report every rejection, print the summary, set the exit."""
    progress = Progress(sum(_size(s) for s in sources))
    records = read_sources(
        sources,
        on_unknown_field=lambda name: click.echo(
            f"warning: unknown field {name!r} is ignored", err=True
        ),
        on_bytes=progress.advance,
    )

    def reject(error: ArticleError) -> None:
        progress.clear()
        click.echo(f"rejected {error}", err=True)

    try:
        summary = run(lambda: write(records, reject))
    finally:
        progress.close()
    languages = counts(dict(summary.languages.most_common()))
    rate = summary.indexed / summary.seconds if summary.seconds else 0.0
    click.echo(
        f"Indexed {summary.indexed}, rejected {summary.rejected} "
        f"in {summary.seconds:.1f} s ({rate:.0f} articles/s) into build "
        f"{summary.build_id}."
    )
    click.echo(f"Languages: {languages}")
    if summary.generic:
        click.echo(
            "Generic analyzer (no dedicated one): " + counts(dict(summary.generic.most_common()))
        )
    if summary.detected:
        click.echo(
            "Language detected (no 'lang' given): " + counts(dict(summary.detected.most_common()))
        )
    if summary.rejected:
        click.echo(f"{summary.rejected} record(s) were rejected (listed above).", err=True)
        sys.exit(EXIT_REJECTED)


def _size(source: Any) -> int:
    try:
        return Path(str(source)).stat().st_size if str(source) != "-" else 0
    except OSError:
        return 0
