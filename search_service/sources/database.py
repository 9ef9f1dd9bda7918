"""The CMS database through SQLAlchemy: changes read by ``(updated, id)`` keyset pages.

Each pass starts ``overlap`` seconds before the saved watermark, so a row whose transaction
committed late, carrying an ``updated`` older than rows already read, is still found (as long
as no transaction stays open longer than the overlap). Rows in that window already applied at
the same ``updated`` are remembered and skipped; anything else is applied again, which is
harmless. Rows sharing one timestamp are ordered by id and never split wrongly between pages,
nor are the rows a join repeats for one id (:mod:`.rows`).

The saved watermark never passes the database's own clock, read at the start of each pass: a
row stamped later (a server whose clock is ahead, a scheduled post stamped with its
publication time) is applied, not remembered, and read again by each pass until its time, so
it neither hides later edits nor misses the change that publishes it. Nor is a row stamped
at the clock's time remembered: MySQL's stamps are whole seconds, and an edit later in the
same second would carry the stamp already applied.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any

from ..articles import FIELDS, clean_text, html_to_text, parse_article
from ..errors import ArticleError, ConfigError, SourceUnavailable
from . import rows
from .batch import Batch, log
from .spec import SourceSpec
from .wordpress import wordpress_to_text

KEYS = {
    "url", "url_env", "table", "query", "columns", "deleted", "body_format", "overlap", "batch",
    "aggregate",
}  # fmt: skip
# Beyond this many rows in the overlap window, they are applied again rather than remembered
# (a bulk import stamped with one time would otherwise fill the state file).
MAX_REMEMBERED = 20_000
# How each body_format turns a body column into text (a text body is cleaned after parsing).
BODY_FORMATS: dict[str, Callable[[str], str]] = {
    "html": html_to_text,
    "text": str,
    "wordpress": wordpress_to_text,
}
# SQLSTATE classes no retry can mend: the password, the role's rights, a database or
# relation that does not exist, a query that does not compile (psycopg and PyMySQL both
# give the server's SQLSTATE).
PERMANENT_SQLSTATES = ("28", "3D", "42")


class DatabaseReader:
    """Reads one table (or SELECT) of a SQL database SQLAlchemy can connect to."""

    def __init__(self, spec: SourceSpec) -> None:
        from sqlalchemy import create_engine
        from sqlalchemy.engine import make_url

        spec.check_keys(KEYS)
        self.spec = spec
        url = spec.get("url", None, str)
        env = spec.get("url_env", None, str)
        if bool(url) == bool(env):
            raise ConfigError(f"source {spec.name!r}: give exactly one of 'url' and 'url_env'")
        if env:
            url = os.environ.get(env, "")
            if not url:
                raise ConfigError(
                    f"source {spec.name!r}: environment variable {env} (url_env) is not set"
                )
        try:
            parsed = make_url(url)
        except Exception:
            raise ConfigError(f"source {spec.name!r}: the database URL is not valid") from None
        self._password = parsed.password or ""
        self.where = parsed.render_as_string(hide_password=True)
        psycopg = parsed.get_driver_name() == "psycopg"
        self.engine = create_engine(
            parsed,
            pool_pre_ping=True,
            hide_parameters=True,
            connect_args={"context": rows.lenient_adapters()} if psycopg else {},
        )
        from sqlalchemy import event

        if psycopg:
            event.listen(self.engine, "connect", lambda conn, _: rows.undeclared_encoding(conn))
        elif self.engine.dialect.name in ("mysql", "mariadb"):
            event.listen(self.engine, "connect", lambda conn, _: rows.utc_session(conn))
        table, query = spec.get("table", None, str), spec.get("query", None, str)
        if bool(table) == bool(query):
            raise ConfigError(f"source {spec.name!r}: give exactly one of 'table' and 'query'")
        quote = self.engine.dialect.identifier_preparer.quote
        self.columns: dict[str, str] = {name: name for name in FIELDS}
        for article_field, column in spec.get("columns", {}, dict).items():
            if article_field not in FIELDS or not isinstance(column, str):
                raise ConfigError(
                    f"source {spec.name!r}: columns.{article_field} must map one of "
                    f"{', '.join(FIELDS)} to a column name"
                )
            self.columns[article_field] = column
        self.deleted = spec.get("deleted", None, str)
        self.body_format = spec.get("body_format", "html", str)
        if self.body_format not in BODY_FORMATS:
            raise ConfigError(
                f"source {spec.name!r}: body_format must be one of {', '.join(BODY_FORMATS)}"
            )
        self.aggregate = spec.get("aggregate", False, bool)
        self._list_columns = {f: self.columns[f] for f in rows.LIST_FIELDS}
        self.overlap = timedelta(seconds=spec.get("overlap", 300, (int, float)))
        self.batch_size = spec.get("batch", 2000, int)
        source = (
            " ".join(".".join(quote(part) for part in table.split(".")).split())
            if table
            else f"({query.strip().rstrip(';')}) AS cms_query"
        )
        self._source = source
        self._updated = quote(self.columns["updated"])
        self._id = quote(self.columns["id"])

    def batches(self, position: dict[str, Any] | None, full: bool) -> Iterator[Batch]:
        from sqlalchemy import text

        position = {} if full or position is None else dict(position)
        remembered: dict[str, str] = dict(position.get("recent", {}))
        clock = self._clock()
        since = position.get("updated")
        # A watermark saved past the database's clock (by a row stamped in the future) would
        # hide every edit until that time: it is held back to the clock like any new one.
        high = (clock.at_most(datetime.fromisoformat(since)), position.get("id")) if since else None
        start = high[0] - self.overlap if high else None
        total = self._count(start)
        after: tuple[Any, Any] | None = None
        limit = self.batch_size
        while True:
            params: dict[str, Any] = {"limit": limit + 1}  # one more: is the last group whole?
            if after is not None:
                where = f"({self._updated} > :u OR ({self._updated} = :u AND {self._id} > :i))"
                params.update(u=after[0], i=after[1])
            elif start is not None:
                where = f"{self._updated} >= :u"
                params["u"] = start
            else:
                where = f"{self._updated} IS NOT NULL"
            sql = text(
                f"SELECT * FROM {self._source} WHERE {where} "
                f"ORDER BY {self._updated}, {self._id} LIMIT :limit"
            )
            page = rows.whole_groups(
                self._run(lambda conn, sql=sql, params=params: conn.execute(sql, params)),
                limit,
                self._key,
            )
            if page is None:  # one id's rows fill a page: read a longer one
                limit *= 2
                continue
            found, more = page
            if not found:
                return
            batch = Batch(position, read=len(found), total=total)
            for group in rows.groups(found, self._key):
                self._take(group, batch, remembered, full, clock)
            after = self._key(found[-1])
            # The overlap re-reads rows behind the watermark: it never moves back; nor does
            # it pass the database's clock, so rows stamped after it are read again.
            if high is None or after[0] >= high[0]:
                high = (clock.at_most(after[0]), after[1])
            cutoff = _iso(high[0] - self.overlap) if isinstance(high[0], datetime) else ""
            remembered = {i: u for i, u in remembered.items() if u >= cutoff}
            if len(remembered) > MAX_REMEMBERED:
                remembered = {}
            position = {"updated": _iso(high[0]), "id": _plain(high[1]), "recent": remembered}
            batch.position = position
            yield batch
            if not more:
                return

    def _key(self, row: Mapping[str, Any]) -> tuple[Any, Any]:
        return row[self.columns["updated"]], row[self.columns["id"]]

    def _take(
        self,
        group: list[Mapping[str, Any]],
        batch: Batch,
        remembered: dict,
        full: bool,
        clock: rows.Clock,
    ) -> None:
        row = group[0]
        article_id = rows.shown_id(row.get(self.columns["id"]))
        updated = row.get(self.columns["updated"])
        stamp = _iso(updated)
        deleted = bool(self.deleted and row.get(self.deleted))
        if not full and article_id and remembered.get(article_id) == stamp:
            if not deleted:
                batch.seen.add(article_id)
            return
        if clock.before(updated):
            remembered[article_id] = stamp
        elif clock.ahead(updated):
            # Not remembered: read again each pass until its time comes (a scheduled post
            # turns from "future" to "publish" without a new stamp).
            batch.ahead += 1
        # A row stamped at the clock's own time is not remembered either: where stamps are
        # whole seconds (MySQL's), an edit later in that second keeps the stamp.
        if deleted:
            batch.deleted.append(article_id)
            return
        try:
            if len(group) > 1 and not self.aggregate:
                raise ArticleError(
                    f"{len(group)} rows have this id (a join repeating it?); set "
                    "aggregate = true to gather their tags and categories into one article"
                )
            record = self._record(rows.merged(group, self._list_columns))
            article, _ = parse_article(record)
            if self.body_format == "text" and isinstance(record.get("body"), str):
                # Text as written, even where it reads like markup ("<b>" in a story on HTML).
                article = replace(article, body=clean_text(record["body"]))
        except ArticleError as exc:
            batch.rejected.append(
                ArticleError(exc.reason, source=f"{self.spec.name} row", article_id=article_id)
            )
            return
        batch.articles.append(article)
        batch.seen.add(article.id)

    def _record(self, row: Mapping[str, Any]) -> dict[str, Any]:
        record: dict[str, Any] = {}
        for article_field, column in self.columns.items():
            if column not in row:
                if article_field in ("id", "updated"):
                    raise ArticleError(f"the query has no column {column!r} ({article_field})")
                continue
            value = row[column]
            if value is None:
                continue
            if isinstance(value, bytes):
                value = rows.text(value, column)
            elif isinstance(value, list | tuple):
                value = [rows.text(v, column) if isinstance(v, bytes) else v for v in value]
            if article_field in ("id", "story") and isinstance(value, int | float):
                value = str(value)
            elif isinstance(value, datetime | date):
                value = value.isoformat()
            elif article_field == "tags" and isinstance(value, str):
                value = [tag.strip() for tag in value.split(",")]
            elif article_field == "tags" and isinstance(value, list | tuple):
                value = [str(tag) for tag in value]
            elif article_field == "category" and isinstance(value, list | tuple):
                # An article has one category: the first by name, so re-reads agree.
                value = min((str(v) for v in value if v not in (None, "")), default=None)
            elif article_field == "body" and isinstance(value, str):
                value = BODY_FORMATS[self.body_format](value)
            record[article_field] = value
        return record

    def gone(self, ids: set[str], position: dict[str, Any]) -> set[str]:
        """Ids no row publishes any more: hard-deleted rows and rows marked deleted."""
        from sqlalchemy import text

        live = f" WHERE NOT COALESCE({self._quote(self.deleted)}, FALSE)" if self.deleted else ""
        sql = text(f"SELECT {self._id} FROM {self._source}{live}")
        found = self._run(lambda conn: conn.execute(sql))
        published = {str(row[self.columns["id"]]) for row in found}
        return ids - published

    def watermark(self, position: dict[str, Any]) -> dict[str, Any]:
        return {"updated": position.get("updated"), "id": position.get("id")}

    def _quote(self, name: str) -> str:
        return self.engine.dialect.identifier_preparer.quote(name)

    def _clock(self) -> rows.Clock:
        """The database's time now: rows stamped after it are ahead of its clock."""
        from sqlalchemy import text

        sql = text("SELECT CURRENT_TIMESTAMP AS now")
        return rows.Clock.read(self._run(lambda conn: conn.execute(sql))[0]["now"])

    def _count(self, start: datetime | None) -> int | None:
        from sqlalchemy import text

        where = f" WHERE {self._updated} >= :u" if start is not None else ""
        sql = text(f"SELECT COUNT(*) AS n FROM {self._source}{where}")
        found = self._run(lambda conn: conn.execute(sql, {"u": start} if start else {}))
        return int(found[0]["n"])

    def _run(self, execute) -> list[Mapping[str, Any]]:
        """Run one statement on a fresh connection, retrying while the database is down."""
        from sqlalchemy.exc import DBAPIError, OperationalError

        attempt = 0
        while True:
            try:
                with self.engine.connect() as conn:
                    return [row._mapping for row in execute(conn)]
            except (OperationalError, DBAPIError) as exc:
                reason = self._masked(str(getattr(exc, "orig", exc) or exc).strip().splitlines()[0])
                if not _transient(exc) or attempt >= self.spec.retries:
                    raise SourceUnavailable(
                        f"database {self.where}: {reason}"
                        + (f" (after {attempt + 1} attempts)" if _transient(exc) else "")
                    ) from None
                wait = self.spec.backoff * 2**attempt
                log.warning(
                    "source %s: database %s: %s; retrying in %.1f s",
                    self.spec.name,
                    self.where,
                    reason,
                    wait,
                )
                time.sleep(wait)
                attempt += 1

    def _masked(self, message: str) -> str:
        return message.replace(self._password, "***") if self._password else message


def _transient(exc: Exception) -> bool:
    """Whether trying again may help: the database down or restarting, not a wrong password,
    a missing database or a query that cannot run."""
    from sqlalchemy.exc import OperationalError

    state = getattr(getattr(exc, "orig", None), "sqlstate", None) or ""
    if state.startswith(PERMANENT_SQLSTATES) or _refused_login(str(exc)):
        return False
    return isinstance(exc, OperationalError) or bool(getattr(exc, "connection_invalidated", False))


def _refused_login(message: str) -> bool:
    """A login the server refused, told by its message where the driver gives no SQLSTATE
    (errors while connecting)."""
    return any(
        words in message
        for words in ("authentication failed", "no pg_hba.conf entry", "does not exist")
    )


def _iso(value: Any) -> str:
    return value.isoformat() if isinstance(value, datetime | date) else str(value)


def _plain(value: Any) -> Any:
    return value if isinstance(value, int | str) else str(value)
