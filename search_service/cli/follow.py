"""The follow command: keep this index a verified copy of a leader's live build."""

from __future__ import annotations

import time
from pathlib import Path

import click

from ..errors import SearchServiceError
from ..replication.client import Leader
from ..replication.copying import FollowResult
from ..replication.follow import follow_once
from ..replication.health import write_state
from .context import Context, index_dir_option, run


@click.command()
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
    leader = Leader(url, context.config.replication_token, rate=limit_rate)

    def report(message: str) -> None:
        click.echo(message, err=True)

    def once() -> FollowResult:
        try:
            result = follow_once(context.store, leader, report)
        except SearchServiceError as exc:
            write_state(context.store.root, leader.url, None, error=str(exc))
            raise
        _say_followed(result, quiet=every is not None)
        return result

    if every is None:
        run(once)
        return
    click.echo(f"Following {leader.url} every {every:g} s into {context.store.root}.")
    while True:
        started = time.monotonic()
        try:
            once()
        except SearchServiceError as exc:
            click.echo(f"Not switched: {exc}", err=True)
        time.sleep(max(every - (time.monotonic() - started), 0.0))


def _say_followed(result: FollowResult, *, quiet: bool) -> None:
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
