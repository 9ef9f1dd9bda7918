"""`search-service sync` from a CMS database: a real PostgreSQL 15, the real CLI and index."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from whoosh import index as whoosh_index

from search_service import config as settings
from search_service.cli import main
from search_service.indexing.store import IndexStore
from search_service.sources import watermarks
from search_service.sources.spec import SourceSpec
from search_service.sources.sync import Report, sync_source
from tests.support.postgres import POSTGRES_PASSWORD, Postgres
from tests.support.processes import BIN, process_env

TABLE = """
CREATE TABLE news (
    news_id integer PRIMARY KEY,
    headline text,
    summary text,
    content text,
    language text,
    link text,
    section text,
    keywords text,
    writer text,
    created_at timestamptz,
    modified_at timestamptz NOT NULL DEFAULT now(),
    hidden boolean NOT NULL DEFAULT false
)
"""
COLUMNS = """
[sources.columns]
id = "news_id"
title = "headline"
lead = "summary"
body = "content"
lang = "language"
url = "link"
category = "section"
tags = "keywords"
author = "writer"
published = "created_at"
updated = "modified_at"
"""


def row(number: int, **changes: Any) -> dict[str, Any]:
    """A CMS row in one of the three languages."""
    lang = ("en", "ru", "az")[number % 3]
    words = {
        "en": ("Harbour report", "The harbour of Baku handled more ships this month."),
        "ru": ("Отчёт порта", "Порт Баку принял больше судов в этом месяце."),
        "az": ("Liman hesabatı", "Bakı limanı bu ay daha çox gəmi qəbul edib."),
    }[lang]
    values = {
        "news_id": number,
        "headline": f"{words[0]} {number}",
        "summary": "",
        "content": f"<p>{words[1]}</p><p>Number {number} of the series.</p>",
        "language": lang,
        "link": f"https://news.example.org/{lang}/{number}",
        "section": "Economy",
        "keywords": "port, shipping",
        "writer": "Desk",
        "created_at": "2025-03-01T10:00:00+04:00",
    }
    values.update(changes)
    return values


def insert(conn, *rows: dict[str, Any]) -> None:
    for values in rows:
        names = ", ".join(values)
        marks = ", ".join(["%s"] * len(values))
        conn.execute(f"INSERT INTO news ({names}) VALUES ({marks})", list(values.values()))


class Cms:
    """One database of a server with the news table, and a sources file for it."""

    table = TABLE

    def __init__(self, server: Postgres, folder: Path, **options: Any) -> None:
        self.server = server
        self.database = server.new_database()
        self.execute(self.table)
        self.index_dir = folder / "index"
        self.config_file = folder / "sources.toml"
        extra = "".join(f"{key} = {value!r}\n".replace("'", '"') for key, value in options.items())
        self.config_file.write_text(
            '[[sources]]\nname = "cms"\nkind = "database"\nurl_env = "CMS_URL"\n'
            'table = "news"\ndeleted = "hidden"\nbody_format = "html"\n'
            "retries = 1\nbackoff = 0.1\n" + extra + COLUMNS
        )
        self.env = {"CMS_URL": server.url(self.database), "SEARCH_INDEX_DIR": str(self.index_dir)}

    def connect(self, **options: Any):
        return self.server.connect(self.database, autocommit=True, **options)

    def execute(self, sql: str, params: list | tuple = ()) -> None:
        """One statement, committed: a ``Cms`` stands in for a connection in :func:`insert`."""
        with self.connect() as conn:
            conn.execute(sql, params or None)

    def spec(self, **options: Any) -> SourceSpec:
        import tomllib

        table = tomllib.loads(self.config_file.read_text())["sources"][0]
        table.update(url=self.server.url(self.database), **options)
        del table["url_env"]
        return SourceSpec("cms", "database", table, retries=1, backoff=0.1)

    def indexed(self) -> dict[str, dict[str, Any]]:
        """Every document of the live build by id (stored fields)."""
        _, ix = IndexStore(self.index_dir).open_current()
        with ix.searcher() as searcher:
            documents = list(searcher.documents())
        ids = [document["id"] for document in documents]
        assert len(ids) == len(set(ids)), "an id is in the index twice"
        return {document["id"]: document for document in documents}


@pytest.fixture
def cms(postgres: Postgres, tmp_path: Path) -> Callable[..., Cms]:
    return lambda **options: Cms(postgres, tmp_path, **options)


def sync(cli, cms: Cms, *args: str, **env: str) -> Any:
    """Run ``search-service sync`` in this process (CliRunner); ``.returncode``, ``.stdout``
    and ``.stderr`` as a finished process has. The kill -9 test runs the real script."""
    result = CliRunner().invoke(
        main, ["sync", "--config", str(cms.config_file), *args], env={**cms.env, **env}
    )
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    result.returncode = result.exit_code
    return result


def test_first_sync_indexes_every_row_with_its_fields(cli, cms):
    source = cms()
    with source.connect() as conn:
        insert(conn, *(row(n) for n in range(1, 7)))
        conn.execute("UPDATE news SET keywords = NULL WHERE news_id = 6")
    done = sync(cli, source)
    assert done.returncode == 0, done.stderr
    assert "cms (database, pass): added 6, updated 0, deleted 0, rejected 0" in done.stdout
    indexed = source.indexed()
    assert sorted(indexed, key=int) == [str(n) for n in range(1, 7)]
    first = indexed["1"]
    assert first["title"] == "Отчёт порта 1" and first["lang"] == "ru"
    assert first["body"] == "Порт Баку принял больше судов в этом месяце.\nNumber 1 of the series."
    assert first["tags"] == ["port", "shipping"] and first["url"].endswith("/ru/1")
    assert indexed["6"]["tags"] == []
    state = watermarks.load_state(source.index_dir, "cms")
    assert state["watermark"]["id"] == 6 and state["last_error"] is None
    again = sync(cli, source)
    assert "added 0, updated 0, deleted 0, rejected 0" in again.stdout, again.stdout


def test_updates_and_soft_deletes_apply_and_a_full_pass_removes_hard_deleted_rows(cli, cms):
    source = cms()
    with source.connect() as conn:
        insert(conn, *(row(n) for n in range(1, 6)))
    assert sync(cli, source).returncode == 0
    with source.connect() as conn:
        conn.execute("UPDATE news SET headline = 'Corrected headline', modified_at = now() "
                     "WHERE news_id = 2")  # fmt: skip
        conn.execute("UPDATE news SET hidden = true, modified_at = now() WHERE news_id = 3")
        conn.execute("DELETE FROM news WHERE news_id = 4")
    done = sync(cli, source)
    assert done.returncode == 0, done.stderr
    assert "added 0, updated 1, deleted 1, rejected 0" in done.stdout
    indexed = source.indexed()
    assert indexed["2"]["title"] == "Corrected headline"
    assert "3" not in indexed and "4" in indexed  # a hard delete leaves no row to notice
    full = sync(cli, source, "--full")
    assert full.returncode == 0, full.stderr
    assert "full pass" in full.stdout and "deleted 1," in full.stdout
    assert sorted(source.indexed()) == ["1", "2", "5"]


def test_rows_sharing_a_timestamp_across_pages_and_at_the_watermark_are_all_read(cli, cms):
    source = cms(batch=2, overlap=0)
    stamp = "2025-03-05T12:00:00+00:00"
    with source.connect() as conn:
        insert(conn, *(row(n, modified_at=stamp) for n in (5, 1, 4, 2, 3)))
    assert sync(cli, source).returncode == 0
    assert sorted(source.indexed()) == ["1", "2", "3", "4", "5"]
    # A row committed later with exactly the watermark's timestamp, and a lower id.
    with source.connect() as conn:
        insert(conn, row(0, modified_at=stamp), row(9, modified_at=stamp))
    done = sync(cli, source)
    assert "added 2, updated 0" in done.stdout, done.stdout
    assert sorted(source.indexed()) == ["0", "1", "2", "3", "4", "5", "9"]


def test_a_row_committed_late_by_a_long_transaction_is_found_in_the_overlap(cli, cms):
    source = cms(overlap=60)
    with source.connect() as conn:
        insert(conn, row(1))
    late = source.server.connect(source.database)  # not autocommit: an open transaction
    try:
        # now() is the transaction's start: this row carries a time before row 2's.
        insert(late, row(2))
        time.sleep(0.05)
        with source.connect() as conn:
            insert(conn, row(3))
        assert sync(cli, source).returncode == 0
        assert sorted(source.indexed()) == ["1", "3"]
        late.commit()
    finally:
        late.close()
    watermark = watermarks.load_state(source.index_dir, "cms")["watermark"]
    assert watermark["id"] == 3  # row 2's timestamp is behind the watermark
    done = sync(cli, source)
    assert "added 1, updated 0" in done.stdout, done.stdout
    assert sorted(source.indexed()) == ["1", "2", "3"]


def test_a_bad_row_is_rejected_by_id_with_its_reason_and_the_rest_applied(cli, cms):
    source = cms()
    with source.connect() as conn:
        insert(conn, row(1), row(2, language="english"), row(3, headline="", content=""), row(4))
    done = sync(cli, source)
    assert done.returncode == 1
    assert "rejected cms row (id '2'): field 'lang' must be an ISO 639-1 code" in done.stderr
    assert "rejected cms row (id '3'): needs a non-empty 'title' or 'body'" in done.stderr
    assert "added 2, updated 0, deleted 0, rejected 2" in done.stdout
    assert sorted(source.indexed()) == ["1", "4"]


def test_the_database_password_never_appears_in_output(cli, cms):
    source = cms()
    with source.connect() as conn:
        insert(conn, row(1))
    wrong = source.server.url(source.database, password="Wrong-Secret-42")
    done = sync(cli, source, CMS_URL=wrong)
    assert done.returncode == 1
    assert "cms (database, pass)" in done.stdout and "FAILED" in done.stdout
    assert "password authentication failed" in done.stdout + done.stderr
    assert "Wrong-Secret-42" not in done.stdout + done.stderr
    ok = sync(cli, source)
    assert ok.returncode == 0 and POSTGRES_PASSWORD not in ok.stdout + ok.stderr
    assert POSTGRES_PASSWORD not in (source.index_dir / "sources" / "cms.json").read_text()


def test_a_database_stopped_mid_sync_fails_the_source_and_the_next_run_resumes(cms, tmp_path):
    source = cms(batch=3)
    config = settings.load({}, index_dir=source.index_dir)
    store = IndexStore(source.index_dir)
    with source.connect() as conn:
        insert(conn, row(100))
    assert sync_source(store, config, source.spec()).ok  # the first build
    with source.connect() as conn:
        insert(conn, *(row(n) for n in range(1, 11)))
    errors: list[str] = []

    def stop_after_first_batch(name: str, done: int, total: int | None) -> None:
        if done == 3:
            source.server.stop()

    report = Report(error=lambda name, message: errors.append(message),
                    progress=stop_after_first_batch)  # fmt: skip
    result = sync_source(store, config, source.spec(), report=report)
    assert result.failed and "database postgresql+psycopg://postgres:***@" in result.failed
    assert POSTGRES_PASSWORD not in result.failed
    # The first page of the pass (row 100 again, unchanged, then rows 1 and 2) is in.
    assert sorted(source.indexed(), key=int) == ["1", "2", "100"]
    state = watermarks.load_state(source.index_dir, "cms")
    assert state["watermark"]["id"] == 2 and "database" in state["last_error"]
    source.server.start()
    result = sync_source(store, config, source.spec())
    assert result.ok and result.added == 8
    assert sorted(source.indexed(), key=int) == [*map(str, range(1, 11)), "100"]
    # A source that is down removes nothing, even on a full pass.
    source.server.stop()
    result = sync_source(store, config, source.spec(), full=True)
    assert result.failed and len(source.indexed()) == 11


@pytest.mark.slow
def test_kill_9_mid_sync_loses_no_change(cms, tmp_path):
    source = cms(batch=100)

    def add_rows(first: int, last: int) -> None:
        # One stamp per row, all before the database's clock (a row stamped after it is read
        # again by every pass until its time comes).
        with source.connect() as conn, conn.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO news (news_id, headline, content, language, modified_at) "
                "VALUES (%s, %s, %s, 'en', "
                "now() - interval '1 hour' + %s * interval '1 millisecond')",
                [(n, f"Story {n}", f"Text of story {n}.", n) for n in range(first, last + 1)],
            )

    command = [str(BIN / "search-service"), "sync", "--config", str(source.config_file)]
    state_file = source.index_dir / "sources" / "cms.json"

    def start_and_kill(when: Callable[[], bool]) -> None:
        quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
        process = subprocess.Popen(command, env=process_env(source.env), **quiet)
        deadline = time.monotonic() + 60
        while not when() and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.005)
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        assert process.returncode == -signal.SIGKILL, "sync finished before it could be killed"

    def finish() -> None:
        done = subprocess.run(command, env=process_env(source.env), capture_output=True)
        assert done.returncode == 0, done.stderr

    # Killed while making the first build: nothing is live, the next run starts over.
    add_rows(1, 2000)
    start_and_kill(lambda: (source.index_dir / "builds").is_dir())
    assert IndexStore(source.index_dir).current() is None and not state_file.exists()
    finish()
    assert len(source.indexed()) == 2000
    # Killed between the commits of an incremental pass.
    add_rows(2001, 4000)
    before = watermarks.load_state(source.index_dir, "cms")["watermark"]["id"]
    start_and_kill(lambda: watermarks.load_state(source.index_dir, "cms")["watermark"]["id"]
                   != before)  # fmt: skip
    killed_at = watermarks.load_state(source.index_dir, "cms")["watermark"]["id"]
    assert 2000 < killed_at < 4000
    with source.connect() as conn:
        conn.execute("UPDATE news SET headline = 'Edited ' || news_id, modified_at = now() "
                     "WHERE news_id IN (1, 3999)")  # fmt: skip
    finish()
    indexed = source.indexed()
    assert len(indexed) == 4000
    assert indexed["1"]["title"] == "Edited 1" and indexed["3999"]["title"] == "Edited 3999"
    assert indexed["3000"]["title"] == "Story 3000"


def test_whoosh_sees_the_index_the_sync_wrote(cli, cms):
    """The sync writes the ordinary index: the search command finds a synced row."""
    source = cms()
    with source.connect() as conn:
        insert(conn, row(3))
    assert sync(cli, source).returncode == 0
    found = cli("search", "harbour", "--index-dir", source.index_dir)  # a separate process
    assert "Harbour report 3" in found.stdout
    assert whoosh_index.exists_in(str(IndexStore(source.index_dir).current().path))


def test_sync_without_a_sources_file_says_what_to_write(cli, tmp_path):
    done = cli("sync", "--index-dir", tmp_path / "index")
    assert done.returncode == 2
    assert "give --config FILE or set SEARCH_SOURCES_FILE" in done.stderr
    assert "[[sources]]" in done.stderr and "sources.example.toml" in done.stderr


def test_an_unknown_source_name_is_a_usage_error(cli, cms):
    source = cms()
    done = sync(cli, source, "--source", "nope")
    assert done.returncode == 2 and "no source named 'nope'" in done.stderr


def test_a_query_source_with_an_array_tags_column_and_text_bodies(cms, tmp_path):
    source = cms()
    with source.connect() as conn:
        conn.execute("CREATE TABLE labels (news_id integer, labels text[])")
        insert(conn, row(3, content="Plain text: <b> stays as written in a text body"))
        conn.execute("INSERT INTO labels VALUES (3, ARRAY['port', 'Caspian'])")
    spec = source.spec(
        query="SELECT n.*, l.labels FROM news n JOIN labels l USING (news_id)",
        body_format="text",
        columns={**source.spec().options["columns"], "tags": "labels"},
    )
    del spec.options["table"]
    config = settings.load({}, index_dir=source.index_dir)
    result = sync_source(IndexStore(source.index_dir), config, spec)
    assert result.ok and result.added == 1
    document = source.indexed()["3"]
    assert document["tags"] == ["port", "Caspian"]
    assert document["body"] == "Plain text: <b> stays as written in a text body"


def test_a_translation_group_column_maps_to_the_story(cms):
    source = cms()
    with source.connect() as conn:
        conn.execute("CREATE TABLE groups (news_id integer, trid integer)")
        insert(conn, row(3), row(4), row(5))
        conn.execute("INSERT INTO groups VALUES (3, 77), (4, 77), (5, NULL)")
    spec = source.spec(
        query="SELECT n.*, g.trid FROM news n JOIN groups g USING (news_id)",
        columns={**source.spec().options["columns"], "story": "trid"},
    )
    del spec.options["table"]
    config = settings.load({}, index_dir=source.index_dir)
    assert sync_source(IndexStore(source.index_dir), config, spec).added == 3
    indexed = source.indexed()
    assert (indexed["3"]["story"], indexed["4"]["story"]) == ("77", "77")
    assert "story" not in indexed["5"]
