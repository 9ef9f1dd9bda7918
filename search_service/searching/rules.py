"""Editors' rules: for one query, articles pinned to the top and articles hidden.

Rules belong to the service, not to a build: they live in one JSON file beside the builds
(``rules.json`` in the index directory), so a reindex, a rollback or a source sync leaves them
alone, and a follower copies the file with its leader's builds. Every worker notices a change
by the file's signature (one ``stat`` per search), and the signature is part of the response
cache's key, so no worker answers with a stale ranking.

A rule matches a reader's query when both analyse to the same set of terms, the way the index
analyses them (case, inflection, diacritics and word order do not matter).
"""

from __future__ import annotations

import bisect
import fcntl
import json
import os
import re
import threading
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from whoosh.fields import Schema
from whoosh.searching import Searcher

from ..analysis.memo import query_terms
from ..articles import ID_FORM
from ..errors import ConfigError, InvalidRule
from ..indexing.files import write_atomic
from ..indexing.schema import FOLD_PREFIX, group_for, language_groups, text_field
from .matching import Matches

FILE = "rules.json"
# Editors pin a handful of articles; a longer list is a mistake (or an abuse of the API).
MAX_IDS = 50
MAX_QUERY = 200
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
LANG = re.compile(r"^[a-z]{2,3}$")
FIELDS = ("query", "lang", "pin", "hide", "starts", "ends")


@dataclass(frozen=True)
class Rule:
    """One editor's rule: for ``query`` (in ``lang``, or any language), between ``starts``
    and ``ends``, the ``pin`` articles first in that order and the ``hide`` articles never."""

    name: str
    query: str
    lang: str | None = None
    pin: tuple[str, ...] = ()
    hide: tuple[str, ...] = ()
    starts: datetime | None = None
    ends: datetime | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "query": self.query,
            "lang": self.lang,
            "pin": list(self.pin),
            "hide": list(self.hide),
            "starts": None if self.starts is None else self.starts.isoformat(),
            "ends": None if self.ends is None else self.ends.isoformat(),
        }

    def active(self, now: datetime) -> bool:
        return (self.starts is None or self.starts <= now) and (
            self.ends is None or now < self.ends
        )


def parse(name: str, body: Any) -> Rule:
    """The rule a JSON body describes; :class:`InvalidRule` names the first field at fault."""
    if not NAME.match(name):
        raise InvalidRule("a rule's name is 1 to 64 letters, digits, '.', '_' or '-'", field="name")
    if not isinstance(body, Mapping):
        raise InvalidRule("the body must be a JSON object", field="body")
    unknown = sorted(set(body) - set(FIELDS) - {"name"})
    if unknown:
        raise InvalidRule(f"unknown field {unknown[0]!r}", field=unknown[0])
    if body.get("name", name) != name:
        raise InvalidRule(f"body name {body['name']!r} is not {name!r}", field="name")
    query = body.get("query")
    if not isinstance(query, str) or not query.strip() or len(query) > MAX_QUERY:
        raise InvalidRule(f"'query' is a text of 1 to {MAX_QUERY} characters", field="query")
    lang = body.get("lang")
    if lang is not None and (not isinstance(lang, str) or not LANG.match(lang)):
        raise InvalidRule("'lang' is a language code such as 'en', or null", field="lang")
    pin, hide = _ids(body, "pin"), _ids(body, "hide")
    if not pin and not hide:
        raise InvalidRule("a rule pins or hides at least one article", field="pin")
    if set(pin) & set(hide):
        raise InvalidRule("an article cannot be both pinned and hidden", field="hide")
    starts, ends = _moment(body, "starts"), _moment(body, "ends")
    if starts and ends and ends <= starts:
        raise InvalidRule("'ends' is not after 'starts'", field="ends")
    return Rule(name, " ".join(query.split()), lang, pin, hide, starts, ends)


def _ids(body: Mapping[str, Any], field: str) -> tuple[str, ...]:
    ids = body.get(field)
    if ids is None:
        return ()
    if not isinstance(ids, list) or not all(isinstance(i, str) and ID_FORM.match(i) for i in ids):
        raise InvalidRule(f"{field!r} is a list of article ids", field=field)
    if len(ids) > MAX_IDS:
        raise InvalidRule(f"{field!r} holds at most {MAX_IDS} ids", field=field)
    return tuple(dict.fromkeys(ids))


def _moment(body: Mapping[str, Any], field: str) -> datetime | None:
    raw = body.get(field)
    if raw is None:
        return None
    try:
        if not isinstance(raw, str):
            raise ValueError(raw)
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise InvalidRule(
            f"{field!r} is an ISO 8601 date-time such as 2026-03-14T09:00:00Z, or null",
            field=field,
        ) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


@dataclass(frozen=True)
class RuleBook:
    """The rules of one version of the file, ordered by name."""

    rules: tuple[Rule, ...] = ()
    version: Hashable = None
    # Every start and end, sorted: which of them have passed decides which rules are active.
    boundaries: tuple[datetime, ...] = ()

    def state(self, now: datetime) -> Hashable:
        """What a cached answer depends on: the file's version and the moments passed."""
        return self.version, bisect.bisect_right(self.boundaries, now)

    def get(self, name: str) -> Rule | None:
        return next((rule for rule in self.rules if rule.name == name), None)

    def applying(
        self, schema: Schema, q: str, lang: str | None, now: datetime
    ) -> tuple[tuple[str, ...], frozenset[str]]:
        """The ids to pin (in order) and to hide for a reader's query ``q``, filtered to
        ``lang`` or not filtered at all."""
        pin: dict[str, None] = {}
        hide: set[str] = set()
        for rule in self.rules:
            if rule.active(now) and _matches(schema, rule, q, lang):
                pin.update(dict.fromkeys(rule.pin))
                hide.update(rule.hide)
        return tuple(i for i in pin if i not in hide), frozenset(hide)


NONE = RuleBook()


def check_words(schema: Schema, rule: Rule) -> None:
    """Refuse a rule whose query analyses to no word in its languages (signs only): no
    reader's query could ever equal it, so it would be kept and never apply."""
    groups = [group_for(schema, rule.lang)] if rule.lang else language_groups(schema)
    if not any(_key(schema, group, rule.query) for group in groups):
        raise InvalidRule("'query' has no word the index searches", field="query")


def _matches(schema: Schema, rule: Rule, q: str, lang: str | None) -> bool:
    if lang and rule.lang and rule.lang != lang:
        return False
    wanted = lang or rule.lang
    groups = [group_for(schema, wanted)] if wanted else language_groups(schema)
    return any(
        _key(schema, group, q) == _key(schema, group, rule.query) != frozenset() for group in groups
    )


def _key(schema: Schema, group: str, text: str) -> frozenset[str]:
    """The terms a query analyses to in a language, diacritics folded where the language has
    a folded field."""
    field = f"{FOLD_PREFIX}{group}"
    return frozenset(query_terms(schema, field if field in schema else text_field(group), text))


def docnums(searcher: Searcher, ids: Iterable[str]) -> list[int]:
    """The live document numbers of the articles ``ids`` names, in that order (the absent
    left out)."""
    found = (searcher.document_number(id=article_id) for article_id in ids)
    return [docnum for docnum in found if docnum is not None]


def resolve(
    searcher: Searcher,
    pin: tuple[str, ...],
    hide: frozenset[str],
    allowed: Matches | None,
    *,
    pins: bool,
) -> tuple[list[int], np.ndarray]:
    """By document number: the pinned articles that exist and pass the request's filters
    (``allowed``), in the rule's order (none unless ``pins``), and the hidden articles."""
    hidden = np.array(docnums(searcher, hide), dtype=np.int64)
    if not pins or not pin:
        return [], hidden
    found = docnums(searcher, pin)
    if allowed is not None:
        passing = set(allowed.docnums.tolist())
        found = [docnum for docnum in found if docnum in passing]
    return found, hidden


def without(matches: Matches, hidden: np.ndarray) -> Matches:
    """``matches`` less the hidden documents."""
    if not len(hidden):
        return matches
    keep = ~np.isin(matches.docnums, hidden)
    return Matches(matches.docnums[keep], matches.scores[keep])


# The file ------------------------------------------------------------------------------

_books: dict[Path, RuleBook] = {}
_books_lock = threading.Lock()


def load(root: Path) -> RuleBook:
    """The rules in ``root``, read again only when the file changed (per process)."""
    path = Path(root) / FILE
    try:
        info = path.stat()
    except FileNotFoundError:
        return NONE
    version = (info.st_ino, info.st_mtime_ns, info.st_size)
    book = _books.get(path)
    if book is None or book.version != version:
        book = _read(path, version)
        with _books_lock:
            _books[path] = book
    return book


def _read(path: Path, version: Hashable) -> RuleBook:
    """The file's rules; :class:`ConfigError` names the file when it was edited into something
    else (a rule's own fault there is the file's, not the request's that read it)."""
    try:
        records = json.loads(path.read_text(encoding="utf-8"))
        rules = tuple(
            sorted((parse(str(r["name"]), r) for r in records), key=lambda rule: rule.name)
        )
    except (ValueError, KeyError, TypeError, InvalidRule) as exc:
        reason = exc.message if isinstance(exc, InvalidRule) else f"{type(exc).__name__}: {exc}"
        raise ConfigError(f"{path}: not a list of rules ({reason}); fix or remove it") from None
    moments = sorted(m for rule in rules for m in (rule.starts, rule.ends) if m is not None)
    return RuleBook(rules, version, tuple(moments))


def records(root: Path) -> list[dict[str, Any]]:
    """The rules as JSON records (what a leader hands its followers)."""
    return [rule.as_dict() for rule in load(root).rules]


def replace(root: Path, wanted: list[dict[str, Any]]) -> bool:
    """Make the rules exactly ``wanted`` (a follower copying its leader's); True when that
    changed them. Every record is validated first: a bad one changes nothing."""
    rules = {rule.name: rule for rule in (parse(str(r.get("name")), r) for r in wanted)}
    with _changing(root) as current:
        changed = current != rules
        current.clear()
        current.update(rules)
    return changed


def put(root: Path, rule: Rule) -> bool:
    """Add or replace a rule; True when it is new."""
    with _changing(root) as rules:
        new = rule.name not in rules
        rules[rule.name] = rule
    return new


def delete(root: Path, name: str) -> bool:
    """Remove a rule; False when there was none of that name."""
    with _changing(root) as rules:
        return rules.pop(name, None) is not None


class _changing:
    """The rules by name, written back whole (atomically) on leaving; writers from several
    processes take turns on a lock file."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def __enter__(self) -> dict[str, Rule]:
        self.root.mkdir(parents=True, exist_ok=True)  # a new follower's, before its build
        self._lock = os.open(self.root / f".{FILE}.lock", os.O_RDWR | os.O_CREAT, 0o644)
        fcntl.flock(self._lock, fcntl.LOCK_EX)
        path = self.root / FILE
        book = _read(path, None) if path.exists() else NONE
        self.rules = {rule.name: rule for rule in book.rules}
        self.before = dict(self.rules)
        return self.rules

    def __exit__(self, kind: Any, *_: Any) -> None:
        try:
            if kind is None and self.rules != self.before:
                records = [self.rules[name].as_dict() for name in sorted(self.rules)]
                write_atomic(self.root / FILE, json.dumps(records, ensure_ascii=False, indent=1))
        finally:
            os.close(self._lock)
