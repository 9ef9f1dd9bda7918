"""Rows of a CMS query as the database reader takes them: whole groups of one key, list fields
gathered from a join's repeated rows, text that is not UTF-8 named, times held to the clock.

A join (a post and its categories, its tags) repeats a row once per joined value; they share
the row's ``(updated, id)`` key, so they arrive together in the reader's order and a page is
cut only between keys. Such a group is one article when the source says ``aggregate = true``
(its list fields collect every row's values); otherwise it is a repeated id, rejected by name.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ..errors import ArticleError

Row = Mapping[str, Any]
# The article fields a list (an array column, or a join's repeated rows) may fill.
LIST_FIELDS = ("tags", "category")


@dataclass(frozen=True)
class Clock:
    """The database's own time at the start of a pass. A ``timestamp`` column without a time
    zone is compared as UTC, what WordPress's ``*_gmt`` columns and most frameworks store."""

    now: datetime

    @classmethod
    def read(cls, value: Any) -> Clock:
        """From what the database said (SQLite says it as text; MySQL without a zone)."""
        moment = datetime.fromisoformat(value) if isinstance(value, str) else value
        return cls(moment if moment.tzinfo else moment.replace(tzinfo=UTC))

    def of(self, value: datetime) -> datetime:
        return self.now if value.tzinfo else self.now.astimezone(UTC).replace(tzinfo=None)

    def ahead(self, value: Any) -> bool:
        """Whether a row's ``updated`` is after the clock (a wrong clock, or a scheduled post
        stamped with its publication time)."""
        return isinstance(value, datetime) and value > self.of(value)

    def before(self, value: Any) -> bool:
        """Whether a row's ``updated`` is strictly before the clock, so no later edit can carry
        it (a stamp that is not a time is compared by nothing and counts as before)."""
        return not isinstance(value, datetime) or value < self.of(value)

    def at_most(self, value: Any) -> Any:
        return self.of(value) if self.ahead(value) else value


def whole_groups(
    rows: Sequence[Row], limit: int, key: Callable[[Row], tuple[Any, Any]]
) -> tuple[list[Row], bool] | None:
    """Of a page read with ``limit + 1`` rows, the rows up to the last whole key group, and
    whether more rows follow; None when one key's rows fill the whole page (read more)."""
    if len(rows) <= limit:
        return list(rows), False
    page, following = list(rows[:limit]), key(rows[limit])
    while page and key(page[-1]) == following:
        page.pop()
    return (page, True) if page else None


def groups(rows: Sequence[Row], key: Callable[[Row], tuple[Any, Any]]) -> list[list[Row]]:
    """Consecutive rows sharing a key, in order."""
    found: list[list[Row]] = []
    for row in rows:
        if found and key(found[-1][0]) == key(row):
            found[-1].append(row)
        else:
            found.append([row])
    return found


def merged(group: list[Row], list_columns: Mapping[str, str]) -> Row:
    """One row of a join's repeated rows: the first row, with each list column holding every
    row's values (arrays flattened, blanks and repeats dropped, sorted so a re-read compares
    equal)."""
    if len(group) == 1:
        return group[0]
    row = dict(group[0])
    for column in list_columns.values():
        if column in row:
            values = {v for r in group for v in _values(r.get(column)) if v not in (None, "")}
            row[column] = sorted(values, key=str)
    return row


def _values(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else [value]


def text(value: bytes, column: str) -> str:
    """A text value the driver could not decode (a ``SQL_ASCII`` database holds any bytes),
    decoded as UTF-8 or rejected naming the column and the byte."""
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ArticleError(
            f"column {column!r} is not UTF-8 text (byte 0x{value[exc.start]:02x} at "
            f"position {exc.start})"
        ) from None


def shown_id(value: Any) -> str:
    """An id as a message can show it, even when its bytes are not text."""
    if value is None:
        return ""
    if isinstance(value, bytes):
        return value.decode("utf-8", "backslashreplace")
    return str(value)


def lenient_adapters() -> Any:
    """psycopg adapters that hand over text they cannot decode as bytes instead of failing
    the whole page, so :func:`text` rejects just that row (``client_encoding=utf8`` on a
    ``SQL_ASCII`` database otherwise stops the source without naming the row), and that
    read a ``SQL_ASCII`` database's text as UTF-8, what CMSs write there."""
    import psycopg
    from psycopg.adapt import AdaptersMap, Loader

    class LenientText(Loader):
        def load(self, data: Any) -> str | bytes:
            raw = bytes(data)
            encoding = self.connection.info.encoding if self.connection else "utf-8"
            try:
                return raw.decode("utf-8" if encoding == "ascii" else encoding)
            except UnicodeDecodeError:
                return raw

    adapters = AdaptersMap(psycopg.adapters)
    for name in ("text", "varchar", "bpchar", "name"):
        adapters.register_loader(name, LenientText)
    return adapters


def undeclared_encoding(connection: Any) -> None:
    """On a ``SQL_ASCII`` database, take its bytes as they are (decoded by the lenient
    adapters): asked for UTF-8, the server fails the whole query at the first bad byte."""
    if connection.info.parameter_status("server_encoding") == "SQL_ASCII":
        connection.execute("SET client_encoding TO 'SQL_ASCII'")
        connection.commit()  # a SET inside a transaction rolled back on return would not last


def utc_session(connection: Any) -> None:
    """A MySQL or MariaDB session in UTC: ``CURRENT_TIMESTAMP`` and ``TIMESTAMP`` columns come
    out in the session's time zone, the server's local time unless set, while WordPress's
    ``*_gmt`` columns (``DATETIME``, never converted) hold UTC."""
    cursor = connection.cursor()
    try:
        cursor.execute("SET time_zone = '+00:00'")
    finally:
        cursor.close()
