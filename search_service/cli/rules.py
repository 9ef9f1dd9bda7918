"""``search-service rules``: the editors' rules of the index directory, as the admin API's
``/admin/rules`` keeps them."""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path
from typing import Any

import click

from ..errors import IndexUnavailable, InvalidRule
from ..replication.health import leader_of
from ..searching import rules as editorial_rules
from .context import Context, index_dir_option, run
from .progress import printable


@click.group("rules")
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
    book = run(partial(editorial_rules.load, Context(index_dir).config.index_dir))
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
    context = _leader_only(Context(index_dir))
    try:
        rule = editorial_rules.parse(name, body)
        _check_words(context, rule)
    except InvalidRule as exc:
        field = exc.extra["field"]
        hint = "NAME" if field == "name" else f"--{field}"
        raise click.BadParameter(exc.message, param_hint=hint) from None
    new = run(partial(editorial_rules.put, context.config.index_dir, rule))
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
    context = _leader_only(Context(index_dir))
    if not run(partial(editorial_rules.delete, context.config.index_dir, name)):
        click.echo(f"No rule named {name!r}.", err=True)
        raise SystemExit(1)
    click.echo(f"Deleted rule {name!r}.")


def _check_words(context: Context, rule: editorial_rules.Rule) -> None:
    """As the admin API does: against the live build's analysis, when there is one."""
    try:
        _, index = context.store.open_current()
    except IndexUnavailable:
        return
    try:
        editorial_rules.check_words(index.schema, rule)
    finally:
        index.close()


def _leader_only(context: Context) -> Context:
    """A follower copies its leader's rules, and its next copy would undo a local change."""
    leader = leader_of(context.store.root, context.config.leader_url)
    if leader:
        raise click.ClickException(
            f"this instance is a follower of {leader} and copies its rules: change them on "
            f"the leader ({leader}/admin/rules/... or this command there)"
        )
    return context
