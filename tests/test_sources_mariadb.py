"""The CMS database behaviours that depend on the database, run on a real MariaDB (WordPress's
usual home): its clock and time zones, scheduled posts, a join's repeated rows, bytes that are
not text, a refused login. The server runs at +04:00, so local time taken for UTC shows."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from search_service import config as settings
from search_service.indexing.store import IndexStore
from search_service.sources import watermarks
from search_service.sources.sync import sync_source
from tests.support.mariadb import MariaDB
from tests.test_sources_cms import CATEGORIES, _joined_spec
from tests.test_sources_database import Cms, insert, row, sync

# The news table in MySQL's types: `updated` a TIMESTAMP (stored as UTC, handed out in the
# session's time zone); the author in a binary column, which the server never checks as text
# (a BLOB, or a plugin's table of raw bytes).
TABLE = """
CREATE TABLE news (
    news_id int PRIMARY KEY,
    headline text,
    summary text,
    content text,
    language varchar(8),
    link text,
    section text,
    keywords text,
    writer varbinary(200),
    created_at datetime NULL,
    modified_at timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP,
    hidden boolean NOT NULL DEFAULT false
)
"""


class MariaCms(Cms):
    """The news table in a database of the module's MariaDB, and its sources file."""

    table = TABLE

    def connect(self, **options: Any):
        return self.server.connect(self.database, **options)

    def execute(self, sql: str, params: list | tuple = ()) -> None:
        with self.connect() as conn, conn.cursor() as cursor:
            cursor.execute(sql, params or None)


def mysql_row(number: int, **changes: Any) -> dict[str, Any]:
    """A CMS row with its publication time as MySQL's DATETIME takes it (no zone)."""
    return row(number, created_at="2025-03-01 06:00:00", **changes)


@pytest.fixture
def cms(mariadb: MariaDB, tmp_path: Path):
    return lambda **options: MariaCms(mariadb, tmp_path, **options)


def test_a_row_stamped_in_the_future_neither_hides_later_edits_nor_goes_unreported(cli, cms):
    source = cms()
    insert(source, mysql_row(1), mysql_row(2), mysql_row(3, headline="Imported with a wrong clock"))
    source.execute("UPDATE news SET modified_at = NOW() + INTERVAL 1 DAY WHERE news_id = 3")
    first = sync(cli, source)
    assert first.returncode == 0, first.stderr
    assert "added 3," in first.stdout
    # One row ahead, not all three: the rows' TIMESTAMPs and the clock are read in one zone.
    assert "1 stamped after the source's clock" in first.stdout, first.stdout
    state = watermarks.load_state(source.index_dir, "cms")
    saved = datetime.fromisoformat(state["watermark"]["updated"])
    assert saved <= datetime.now(UTC).replace(tzinfo=None), saved
    source.execute("UPDATE news SET headline = 'Edited after the import', modified_at = NOW() "
                   "WHERE news_id = 1")  # fmt: skip
    second = sync(cli, source)
    assert "updated 1," in second.stdout, second.stdout
    assert source.indexed()["1"]["title"] == "Edited after the import"
    assert source.indexed()["3"]["title"] == "Imported with a wrong clock"
    third = sync(cli, source)
    assert "added 0, updated 0," in third.stdout and "1 stamped after" in third.stdout


def test_an_edit_in_the_same_second_as_the_pass_that_read_the_row_is_not_lost(cli, cms):
    """MySQL stamps whole seconds: a row read in the second it was stamped, then edited again
    within that second, keeps its stamp."""
    source = cms()
    insert(source, mysql_row(1))
    assert sync(cli, source).returncode == 0
    time.sleep(1 - time.time() % 1 + 0.02)  # the start of a second: both edits fit in it
    source.execute("UPDATE news SET headline = 'First edit', modified_at = NOW() WHERE news_id = 1")
    assert "updated 1," in sync(cli, source).stdout
    source.execute(
        "UPDATE news SET headline = 'Second edit', modified_at = NOW() WHERE news_id = 1"
    )
    assert "updated 1," in sync(cli, source).stdout
    assert source.indexed()["1"]["title"] == "Second edit"


def test_a_scheduled_post_is_picked_up_by_the_first_pass_after_its_time(cli, cms):
    source = cms()
    insert(source, mysql_row(1), mysql_row(2, headline="Embargoed budget story", hidden=True))
    source.execute("UPDATE news SET modified_at = NOW() + INTERVAL 2 SECOND WHERE news_id = 2")
    assert sync(cli, source).returncode == 0
    assert sorted(source.indexed()) == ["1"]
    waiting = sync(cli, source)
    assert "deleted 0," in waiting.stdout and "1 stamped after" in waiting.stdout
    time.sleep(2.5)
    source.execute("UPDATE news SET hidden = false WHERE news_id = 2")  # the stamp stays
    published = sync(cli, source)
    assert "added 1," in published.stdout, published.stdout
    assert source.indexed()["2"]["title"] == "Embargoed budget story"


def test_rows_a_join_repeats_are_one_article_when_the_source_aggregates_them(cms):
    source = cms()
    insert(source, mysql_row(7, language="en"), mysql_row(8, language="en"))
    for statement in CATEGORIES.strip().split(";\n"):
        source.execute(statement)
    config = settings.load({}, index_dir=source.index_dir)
    store = IndexStore(source.index_dir)
    result = sync_source(store, config, _joined_spec(source, aggregate=True, batch=1))
    assert result.ok and result.added == 2, result
    stored = source.indexed()
    assert stored["7"]["category"] == "Politics" and stored["7"]["tags"] == ["Politics", "World"]
    again = sync_source(store, config, _joined_spec(source, aggregate=True), full=True)
    assert again.ok and again.unchanged == 2 and again.updated == 0


def test_bytes_that_are_not_utf8_reject_their_row_by_id_and_column(cli, cms):
    source = cms()
    insert(source, mysql_row(1), mysql_row(2), mysql_row(3, writer="Ünal Desk".encode()))
    source.execute("UPDATE news SET writer = x'ff' WHERE news_id = 2")
    done = sync(cli, source)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert (
        "rejected cms row (id '2'): column 'writer' is not UTF-8 text (byte 0xff at position 0)"
        in done.stderr
    ), done.stderr
    indexed = source.indexed()
    assert sorted(indexed) == ["1", "3"] and indexed["3"]["author"] == "Ünal Desk"


def test_a_refused_login_is_not_retried_and_is_shown_once(cli, cms):
    source = cms()
    wrong = source.server.url(source.database, password="Not-The-Password")
    started = time.monotonic()
    done = sync(cli, source, CMS_URL=wrong, SEARCH_LOG_LEVEL="info")
    assert done.returncode == 1
    output = done.stdout + done.stderr
    assert output.count("Access denied for user") == 1, output
    assert "retrying" not in output and "attempts" not in output
    assert "Not-The-Password" not in output
    assert time.monotonic() - started < 5
