"""The commands that read the index and its logs: search, analytics, synonyms check."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import click

from .. import config as settings
from ..errors import MissingQuery
from ..indexing.store import IndexHandle
from ..searching import synonyms
from ..searching.querylog import parse_period, report
from ..searching.searcher import SORTS, SearchRequest, search, settings_options
from .context import Context, index_dir_option, run
from .progress import QUERY_WIDTH, printable, terminal


@click.command()
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


@click.command("search")
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

    def search_live():
        build, searcher = IndexHandle(context.store).searcher()
        return search(searcher, request, build=build.id, **settings_options(context.config))

    response = run(search_live)
    if as_json:
        click.echo(json.dumps(response.as_dict(), ensure_ascii=False, indent=2))
        return
    note = " (including articles with only some of the words)" if response.relaxed else ""
    click.echo(f"{response.total} result(s) in {response.took_ms} ms{note}")
    first = (page - 1) * per_page + 1
    for number, hit in enumerate(response.results, start=first):
        score = f"  score {hit.score}" if hit.score is not None else ""
        click.echo(f"\n{number}. [{hit.lang}] {terminal(hit.title_html)}")
        click.echo(f"   {hit.id} · {hit.category or '-'} · {hit.published or '-'}{score}")
        click.echo(f"   {terminal(hit.snippet)}")


@click.group("synonyms")
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


def _as_date(value: Any) -> date | None:
    return value.date() if value is not None else None
