"""The ``search-service`` command line: build, update, inspect and query the index."""

from __future__ import annotations

import html
import json
import re
import sys
import time
import unicodedata
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import click

from . import config as settings
from .errors import ArticleError, InvalidRule, MissingQuery, SearchServiceError
from .indexing import merging, replication, writer
from .indexing.stats import index_stats
from .indexing.store import IndexHandle, IndexStore
from .searching import rules as editorial_rules
from .searching import synonyms
from .searching.searcher import SORTS, SearchRequest, search, settings_options
from .sources import SAMPLE_CORPUS, read_sources

EXIT_REJECTED = 1

index_dir_option = click.option(
    "--index-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Index directory (default: $SEARCH_INDEX_DIR, else ./index).",
)
strict_option = click.option(
    "--strict",
    is_flag=True,
    help="Reject the whole input if any record is invalid; nothing is written.",
)
input_argument = click.argument(
    "files", nargs=-1, type=click.Path(exists=True, dir_okay=False, allow_dash=True)
)


class Context:
    """Settings and store shared by the commands, built after options are parsed."""

    def __init__(self, index_dir: Path | None) -> None:
        try:
            self.config = settings.load(index_dir=index_dir)
        except SearchServiceError as exc:
            raise click.ClickException(str(exc)) from exc
        self.store = IndexStore(
            self.config.index_dir,
            lock_timeout=self.config.lock_timeout,
            keep_builds=self.config.keep_builds,
        )


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="search_service")
def main() -> None:
    """Build, update, inspect and query the search index.

    Every command takes --index-dir; settings come from SEARCH_* environment variables
    (see the README).
    """


@main.command()
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


@main.command()
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


@main.command()
@click.argument("ids", nargs=-1, required=True)
@index_dir_option
def delete(ids: tuple[str, ...], index_dir: Path | None) -> None:
    """Delete the articles with these IDS from the live index.

    \b
    Example:
        search-service delete en-001 ru-017
    """
    context = Context(index_dir)
    summary = _run(lambda: writer.delete(context.store, ids, context.config))
    click.echo(f"Deleted {summary.deleted} article(s) from build {summary.build_id}.")
    if summary.missing:
        click.echo(f"Not in the index: {', '.join(summary.missing)}", err=True)


@main.command()
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
    result = _run(lambda: merging.merge(context.store, merging.Policy.of(context.config)))
    if result.skipped:
        click.echo(f"Nothing merged: {result.skipped}.")
        return
    click.echo(
        f"{result.merges} merge(s), {result.documents} document(s) copied, "
        f"{result.expunged} deleted document(s) dropped; segments {result.segments_before} → "
        f"{result.segments_after} in {result.seconds:.1f} s."
    )


@main.command()
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

    build = _run(swap)
    click.echo(f"Rolled back: build {build.id} is live.")


@main.command()
@click.argument("leader_url", required=False)
@click.option(
    "--every",
    type=click.FloatRange(min=0.1),
    default=None,
    help="Keep following, checking the leader every SECONDS (default: copy once and exit).",
)
@click.option(
    "--limit-rate",
    type=click.IntRange(min=1),
    default=None,
    help="Download at most this many bytes per second (default: no limit).",
)
@index_dir_option
def follow(
    leader_url: str | None, every: float | None, limit_rate: int | None, index_dir: Path | None
) -> None:
    """Keep the index directory a verified copy of the leader's live build.

    Fetches only the files this follower lacks (the others are hard-linked from its live
    build), checks every size and SHA-256, opens the copy and runs a probe search, and only
    then switches to it atomically. A killed follower keeps serving its old build and the
    next run resumes the transfer. LEADER_URL defaults to $SEARCH_LEADER_URL; the leader and
    this follower share $SEARCH_REPLICATION_TOKEN.

    \b
    Example:
        SEARCH_REPLICATION_TOKEN=... search-service follow http://search-leader:8000 --every 1
    """
    context = Context(index_dir)
    url = leader_url or context.config.leader_url
    if not url:
        raise click.UsageError("give LEADER_URL or set SEARCH_LEADER_URL")
    if not context.config.replication_token:
        raise click.UsageError("set SEARCH_REPLICATION_TOKEN to the leader's replication token")
    leader = replication.Leader(url, context.config.replication_token, rate=limit_rate)

    def report(message: str) -> None:
        click.echo(message, err=True)

    def once() -> replication.SyncResult:
        try:
            result = replication.sync(context.store, leader, report)
        except SearchServiceError as exc:
            replication.write_state(context.store.root, leader.url, None, error=str(exc))
            raise
        _say_synced(result, quiet=every is not None)
        return result

    if every is None:
        _run(once)
        return
    click.echo(f"Following {leader.url} every {every:g} s into {context.store.root}.")
    while True:
        started = time.monotonic()
        try:
            once()
        except SearchServiceError as exc:
            click.echo(f"Not switched: {exc}", err=True)
        time.sleep(max(every - (time.monotonic() - started), 0.0))


def _say_synced(result: replication.SyncResult, *, quiet: bool) -> None:
    if not result.changed:
        if not quiet:
            click.echo(f"Up to date: build {result.build} ({result.documents} documents).")
        return
    resumed = f" (resuming {result.resumed_bytes:,} bytes)" if result.resumed_bytes else ""
    refused = f", {result.refused_files} refused by checksum" if result.refused_files else ""
    click.echo(
        f"Switched to build {result.build} ({result.documents} documents): fetched "
        f"{result.fetched_files} file(s), {result.fetched_bytes:,} bytes{resumed}{refused}, "
        f"linked {result.linked_files} unchanged file(s), in {result.seconds:.2f} s.",
    )


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@index_dir_option
def stats(as_json: bool, index_dir: Path | None) -> None:
    """Show what the live index holds.

    \b
    Example:
        search-service stats --json
    """
    context = Context(index_dir)
    report = _run(lambda: index_stats(context.store))
    if as_json:
        click.echo(json.dumps(report, ensure_ascii=False, indent=2))
        return
    newest = report["newest"]
    click.echo(f"Index:      {report['index_dir']}")
    click.echo(f"Build:      {report['build']} (created {report['build_created']})")
    click.echo(f"Previous:   {report['previous_build'] or '-'}")
    click.echo(f"Documents:  {report['documents']}")
    click.echo(f"Languages:  {_counts(report['languages'])}")
    click.echo(f"Categories: {_counts(report['categories'])}")
    if newest:
        click.echo(f"Newest:     {newest['published']}  {newest['id']}  {newest['title']}")
    click.echo(f"Size:       {report['size_bytes'] / 1e6:.1f} MB")


@main.command()
@click.option("--since", default="7d", show_default=True, help="Period: 30m, 24h, 7d, 2w.")
@click.option("--top", type=click.IntRange(min=1), default=10, show_default=True)
@click.option(
    "--log",
    "log_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Query log to read (default: $SEARCH_QUERY_LOG).",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
def analytics(since: str, top: int, log_path: Path | None, as_json: bool) -> None:
    """Top queries with their clicks, zero-result and unclicked queries and the slowest
    searches, from the query log.

    \b
    Example:
        search-service analytics --since 24h --top 20
    """
    from .web.querylog import parse_period, report

    try:
        period = parse_period(since)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--since") from None
    path = log_path or Path(Context(None).config.query_log or "")
    if not str(path) or str(path) == ".":
        raise click.ClickException(
            "no query log: set SEARCH_QUERY_LOG for the service, or give --log FILE"
        )
    try:
        summary = report(path, period, top)
    except OSError as exc:
        named_by = "--log" if log_path else "SEARCH_QUERY_LOG"
        raise click.ClickException(
            f"cannot read the query log {path} ({named_by}): {exc.strerror or exc}"
        ) from None
    if as_json:
        click.echo(json.dumps(summary, ensure_ascii=False, indent=2))
        return
    click.echo(
        f"{summary['searches']} searches ({summary['distinct_queries']} distinct) since "
        f"{summary['since']}; {summary['zero_result_searches']} found nothing."
    )
    click.echo(f"{summary['clicks']} result(s) followed.")
    click.echo("\nTop queries (searches, clicks, click-through rate, mean clicked position):")
    for row in summary["top_queries"] or [{"q": "-", "searches": "", "clicks": ""}]:
        rate = row.get("click_through_rate")
        shown = "" if rate is None else f"{rate:.0%}"
        mean = row.get("mean_clicked_position")
        click.echo(
            f"  {row['searches']:>8} {row['clicks']:>6} {shown:>5} "
            f"{'' if mean is None else mean:>6}  {printable(row['q'], QUERY_WIDTH - 20)}"
        )
    for title, key, unit in (
        ("Zero-result queries", "zero_result_queries", "searches"),
        ("Queries with results but no click", "no_click_queries", "searches"),
        ("Slowest searches", "slowest", "took_ms"),
    ):
        click.echo(f"\n{title}:")
        for row in summary[key] or [{"q": "-", unit: ""}]:
            click.echo(f"  {row[unit]:>8}  {printable(row['q'])}")


@main.command("search")
@click.argument("query")
@click.option("--lang", help="Only articles in this language (en, ru, az, ...).")
@click.option("--category", help="Only articles in this category.")
@click.option(
    "--from",
    "date_from",
    type=click.DateTime(["%Y-%m-%d"]),
    help="Published on or after this date.",
)
@click.option(
    "--to", "date_to", type=click.DateTime(["%Y-%m-%d"]), help="Published on or before this date."
)
@click.option("--sort", type=click.Choice(SORTS), default="relevance", show_default=True)
@click.option("--page", type=click.IntRange(min=1), default=1, show_default=True)
@click.option("--per-page", type=click.IntRange(1, 100), default=10, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the /search JSON response.")
@index_dir_option
def search_command(
    query: str,
    lang: str | None,
    category: str | None,
    date_from: Any,
    date_to: Any,
    sort: str,
    page: int,
    per_page: int,
    as_json: bool,
    index_dir: Path | None,
) -> None:
    """Search the live index as /search does.

    \b
    Example:
        search-service search "central bank" --lang en
    """
    if not query.strip():
        raise click.UsageError(MissingQuery.default)
    context = Context(index_dir)
    request = SearchRequest(
        q=query,
        lang=lang.lower() if lang else None,
        page=page,
        per_page=per_page,
        category=category,
        sort=sort,
        date_from=_as_date(date_from),
        date_to=_as_date(date_to),
    )

    def run():
        build, searcher = IndexHandle(context.store).searcher()
        return search(searcher, request, build=build.id, **settings_options(context.config))

    response = _run(run)
    if as_json:
        click.echo(json.dumps(response.as_dict(), ensure_ascii=False, indent=2))
        return
    note = " (including articles with only some of the words)" if response.relaxed else ""
    click.echo(f"{response.total} result(s) in {response.took_ms} ms{note}")
    first = (page - 1) * per_page + 1
    for number, hit in enumerate(response.results, start=first):
        score = f"  score {hit.score}" if hit.score is not None else ""
        click.echo(f"\n{number}. [{hit.lang}] {_terminal(hit.title_html)}")
        click.echo(f"   {hit.id} · {hit.category or '-'} · {hit.published or '-'}{score}")
        click.echo(f"   {_terminal(hit.snippet)}")


@main.group("synonyms")
def synonyms_group() -> None:
    """Work with the synonyms file (SEARCH_SYNONYMS_FILE).

    \b
    Example:
        search-service synonyms check
    """


@synonyms_group.command("check")
@click.argument("path", required=False, type=click.Path(dir_okay=False, path_type=Path))
def synonyms_check(path: Path | None) -> None:
    """Validate a synonyms file (default: the configured one); exit 1 on any problem.

    \b
    Example:
        search-service synonyms check /etc/search/synonyms.txt
    """
    if path is None:
        configured = synonyms.resolve(settings.load().synonyms_file)
        if configured is None:
            click.echo("Synonyms are switched off (SEARCH_SYNONYMS_FILE=none).")
            return
        path = configured
    problems = synonyms.check(path)
    for problem in problems:
        click.echo(problem, err=True)
    if problems:
        raise SystemExit(1)
    click.echo(f"{path}: OK, {synonyms.parse(path.read_text('utf-8')).groups} group(s)")


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


@main.command()
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
    import logging

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
    from .sources import spec as source_spec
    from .sources.sync import Report, open_reader, sync_source

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
    interval = context.config.sync_full_interval
    first = True
    while True:
        started = time.monotonic()
        failed = False
        for spec in specs:
            full_now = (full and first) or (
                every is not None and _full_due(context, spec, interval)
            )
            result = _run(
                lambda spec=spec, full_now=full_now: sync_source(
                    context.store,
                    context.config,
                    spec,
                    full=full_now,
                    report=report,
                    reader=readers[spec.name],
                )
            )
            progress.clear()
            pass_kind = "full pass" if result.full else "pass"
            outcome = f"FAILED: {result.failed}" if result.failed else "ok"
            click.echo(
                f"{spec.name} ({spec.kind}, {pass_kind}): added {result.added}, updated "
                f"{result.updated}, deleted {result.deleted}, rejected {result.rejected}, "
                f"unchanged {result.unchanged}, fetch errors {len(result.errors)} "
                f"in {result.seconds:.1f} s; {outcome}"
            )
            failed |= not result.ok
        first = False
        if every is None:
            if failed:
                click.echo(
                    "Some records were rejected or a source failed (listed above).", err=True
                )
                sys.exit(EXIT_REJECTED)
            return
        time.sleep(max(0.0, every - (time.monotonic() - started)))


def _full_due(context: Context, spec: Any, interval: float) -> bool:
    """Whether a source's daily (SEARCH_SYNC_FULL_INTERVAL) full pass is due."""
    from datetime import UTC, datetime

    from .sources.watermarks import load_state

    if interval <= 0:
        return False
    last = load_state(context.store.root, spec.name).get("last_full")
    if not last:
        return True
    return (datetime.now(UTC) - datetime.fromisoformat(last)).total_seconds() >= interval


class SyncProgress:
    """Records read per source: a line rewritten in place on a terminal, a line every few
    seconds otherwise."""

    INTERVAL = 5.0

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()
        self.next_report = time.monotonic() + self.INTERVAL
        self.shown = False

    def show(self, name: str, done: int, total: int | None) -> None:
        of = f" of {total}" if total else ""
        if self.tty:
            click.echo(f"\r\033[K{name}: {done}{of} read", nl=False, err=True)
            self.shown = True
        elif time.monotonic() >= self.next_report:
            self.next_report = time.monotonic() + self.INTERVAL
            click.echo(f"{name}: {done}{of} read", err=True)

    def clear(self) -> None:
        if self.shown:
            click.echo("\r\033[K", nl=False, err=True)
            self.shown = False


def _write(
    context: Context,
    sources: list[Any],
    run: Callable[[Iterator[Any], Callable[[ArticleError], None]], writer.Summary],
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
        summary = _run(lambda: run(records, reject))
    finally:
        progress.close()
    languages = _counts(dict(summary.languages.most_common()))
    rate = summary.indexed / summary.seconds if summary.seconds else 0.0
    click.echo(
        f"Indexed {summary.indexed}, rejected {summary.rejected} "
        f"in {summary.seconds:.1f} s ({rate:.0f} articles/s) into build "
        f"{summary.build_id}."
    )
    click.echo(f"Languages: {languages}")
    if summary.generic:
        click.echo(
            "Generic analyzer (no dedicated one): " + _counts(dict(summary.generic.most_common()))
        )
    if summary.detected:
        click.echo(
            "Language detected (no 'lang' given): " + _counts(dict(summary.detected.most_common()))
        )
    if summary.rejected:
        click.echo(f"{summary.rejected} record(s) were rejected (listed above).", err=True)
        sys.exit(EXIT_REJECTED)


def _run(action: Callable[[], Any]) -> Any:
    """Turn the package's errors into a one-line message and exit status 1."""
    try:
        return action()
    except SearchServiceError as exc:
        raise click.ClickException(str(exc)) from exc
    except OSError as exc:  # disk full, read-only or missing directory: say so, no traceback
        where = f" ({exc.filename})" if exc.filename else ""
        raise click.ClickException(
            f"cannot write the index: {exc.strerror or exc}{where}; "
            "nothing was switched, the live build is unchanged"
        ) from exc


class Progress:
    """A progress bar on a terminal; a plain line every few seconds otherwise (logs, CI)."""

    INTERVAL = 5.0

    def __init__(self, total_bytes: int) -> None:
        self.done = 0
        self.total = total_bytes
        self.bar = None
        if sys.stderr.isatty() and total_bytes:
            self.bar = click.progressbar(length=total_bytes, label="Indexing", file=sys.stderr)
            self.bar.__enter__()
        self.next_report = time.monotonic() + self.INTERVAL

    def advance(self, nbytes: int) -> None:
        self.done += nbytes
        if self.bar is not None:
            self.bar.update(nbytes)
        elif time.monotonic() >= self.next_report:
            self.next_report = time.monotonic() + self.INTERVAL
            share = f" ({100 * self.done / self.total:.0f}%)" if self.total else ""
            click.echo(f"indexing: {self.done / 1e6:.1f} MB read{share}", err=True)

    def clear(self) -> None:
        if self.bar is not None:
            click.echo("\r\033[K", nl=False, err=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{name} {n}" for name, n in counts.items()) or "-"


def _size(source: Any) -> int:
    try:
        return Path(str(source)).stat().st_size if str(source) != "-" else 0
    except OSError:
        return 0


def _as_date(value: Any) -> date | None:
    return value.date() if value is not None else None


# Queries are readers' text: in a terminal, a control character or escape sequence must show,
# not act, and a pasted paragraph must not push the table apart.
QUERY_WIDTH = 60


def printable(text: str, width: int = QUERY_WIDTH) -> str:
    """``text`` with control and format characters escaped (``\x1b``, ``\n``, ``\u202e``)
    and cut to ``width`` characters with an ellipsis."""
    shown = "".join(
        repr(char)[1:-1] if unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp") else char
        for char in text
    )
    return shown if len(shown) <= width else shown[: width - 1] + "…"


_MARK = re.compile(r"</?mark>")


def _terminal(marked: str) -> str:
    """Show <mark> as bold on a colour terminal, plain elsewhere."""
    parts = _MARK.split(marked)
    return "".join(click.style(html.unescape(p), bold=bool(i % 2)) for i, p in enumerate(parts))


@main.group("rules")
def rules_group() -> None:
    """Editors' rules: articles pinned first or hidden for one query (as /admin/rules).

    \b
    Example:
        search-service rules set budget --query "state budget" --pin a17 --hide a3
    """


@rules_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the rules as JSON.")
@index_dir_option
def rules_list(as_json: bool, index_dir: Path | None) -> None:
    """Print every rule.

    \b
    Example:
        search-service rules list --json
    """
    book = editorial_rules.load(Context(index_dir).config.index_dir)
    if as_json:
        click.echo(json.dumps([rule.as_dict() for rule in book.rules], ensure_ascii=False))
        return
    for rule in book.rules:
        window = f" {rule.starts or '…'} – {rule.ends or '…'}" if rule.starts or rule.ends else ""
        click.echo(
            f"{rule.name}: {printable(rule.query)!r} [{rule.lang or 'any language'}]{window}"
            f" pin {', '.join(rule.pin) or '-'}; hide {', '.join(rule.hide) or '-'}"
        )


@rules_group.command("set")
@click.argument("name")
@click.option("--query", required=True, help="The query the rule is for.")
@click.option("--lang", default=None, help="Only for searches in this language (or in all).")
@click.option("--pin", multiple=True, help="An article id to put first (repeat, in order).")
@click.option("--hide", multiple=True, help="An article id never to show (repeat).")
@click.option("--starts", default=None, help="ISO 8601 date-time the rule starts at.")
@click.option("--ends", default=None, help="ISO 8601 date-time the rule ends at.")
@index_dir_option
def rules_set(name: str, index_dir: Path | None, **fields: Any) -> None:
    """Add or replace the rule NAME.

    \b
    Example:
        search-service rules set election --query "election results" --pin a1 --pin a2
    """
    body = {key: list(value) if key in ("pin", "hide") else value for key, value in fields.items()}
    try:
        rule = editorial_rules.parse(name, body)
    except InvalidRule as exc:
        raise click.BadParameter(exc.message, param_hint=f"--{exc.extra['field']}") from None
    new = editorial_rules.put(Context(index_dir).config.index_dir, rule)
    click.echo(f"{'Added' if new else 'Replaced'} rule {name!r}.")


@rules_group.command("delete")
@click.argument("name")
@index_dir_option
def rules_delete(name: str, index_dir: Path | None) -> None:
    """Remove the rule NAME; exit 1 when there is none.

    \b
    Example:
        search-service rules delete election
    """
    if not editorial_rules.delete(Context(index_dir).config.index_dir, name):
        click.echo(f"No rule named {name!r}.", err=True)
        raise SystemExit(1)
    click.echo(f"Deleted rule {name!r}.")
