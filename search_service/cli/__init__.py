"""The ``search-service`` command line: the click group, with one module per command group."""

from __future__ import annotations

import click

from . import follow, index, rules, search, sources


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="search_service")
def main() -> None:
    """Build, update, inspect and query the search index.

    Every command takes --index-dir; settings come from SEARCH_* environment variables
    (see docs/settings.md).
    """


for command in (
    index.reindex,
    index.add,
    index.delete,
    index.merge,
    index.rollback,
    index.stats,
    follow.follow,
    search.search_command,
    search.analytics,
    search.synonyms_group,
    rules.rules_group,
    sources.sync,
):
    main.add_command(command)
