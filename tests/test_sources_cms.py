"""What a real CMS's rows hold, synced from a real PostgreSQL 15: clocks that disagree,
scheduled posts, HTML entities, WordPress markup, joins that repeat a row, undecodable bytes."""

from __future__ import annotations

import json
import time
from datetime import datetime

import pytest

from search_service import config as settings
from search_service import create_app
from search_service.indexing.store import IndexStore
from search_service.sources import watermarks
from search_service.sources.sync import sync_source
from tests import test_sources_database
from tests.test_sources_database import insert, row, sync

cms = test_sources_database.cms  # the fixture: a CMS database and its sources file


def test_a_row_stamped_in_the_future_neither_hides_later_edits_nor_goes_unreported(cli, cms):
    source = cms()
    with source.connect() as conn:
        insert(conn, row(1), row(2))
        insert(conn, row(3, headline="Imported with a wrong clock"))
        conn.execute("UPDATE news SET modified_at = now() + interval '1 day' WHERE news_id = 3")
    first = sync(cli, source)
    assert first.returncode == 0, first.stderr
    assert "added 3," in first.stdout
    assert "1 stamped after the source's clock" in first.stdout, first.stdout
    state = watermarks.load_state(source.index_dir, "cms")
    assert datetime.fromisoformat(state["watermark"]["updated"]) <= datetime.now().astimezone()
    client = create_app({"index_dir": source.index_dir}).test_client()
    assert client.get("/healthz").get_json()["sources"]["cms"]["rows_ahead"] == 1
    assert 'search_source_rows_ahead{source="cms"} 1.0' in client.get("/metrics").get_data(
        as_text=True
    )
    with source.connect() as conn:
        conn.execute("UPDATE news SET headline = 'Edited after the import', modified_at = now() "
                     "WHERE news_id = 1")  # fmt: skip
    second = sync(cli, source)
    assert "updated 1," in second.stdout, second.stdout
    assert source.indexed()["1"]["title"] == "Edited after the import"
    assert source.indexed()["3"]["title"] == "Imported with a wrong clock"
    # Read again each pass while ahead, and written only when it changes.
    third = sync(cli, source)
    assert "added 0, updated 0," in third.stdout and "1 stamped after" in third.stdout


def test_a_scheduled_post_is_picked_up_by_the_first_pass_after_its_time(cli, cms):
    source = cms()
    with source.connect() as conn:
        insert(conn, row(1))
        # Scheduled: unpublished until its time, stamped with that time.
        insert(conn, row(2, headline="Embargoed budget story", hidden=True))
        conn.execute("UPDATE news SET modified_at = now() + interval '2 seconds' "
                     "WHERE news_id = 2")  # fmt: skip
    assert sync(cli, source).returncode == 0
    assert sorted(source.indexed()) == ["1"]
    generation = IndexStore(source.index_dir).current().path.stat().st_mtime_ns
    waiting = sync(cli, source)
    assert "deleted 0," in waiting.stdout and "1 stamped after" in waiting.stdout
    assert IndexStore(source.index_dir).current().path.stat().st_mtime_ns == generation
    time.sleep(2.5)
    with source.connect() as conn:  # the CMS publishes it: the status changes, not the stamp
        conn.execute("UPDATE news SET hidden = false WHERE news_id = 2")
    published = sync(cli, source)
    assert "added 1," in published.stdout, published.stdout
    assert source.indexed()["2"]["title"] == "Embargoed budget story"
    assert "stamped after" not in published.stdout


def test_a_watermark_saved_in_the_future_is_brought_back_to_the_clock(cli, cms):
    source = cms()
    with source.connect() as conn:
        insert(conn, row(1))
    assert sync(cli, source).returncode == 0
    state = watermarks.load_state(source.index_dir, "cms")
    state["position"]["updated"] = "2099-01-01T00:00:00+00:00"
    watermarks.save_state(source.index_dir, "cms", state)
    with source.connect() as conn:
        conn.execute("UPDATE news SET headline = 'Seen despite the old watermark', "
                     "modified_at = now() WHERE news_id = 1")  # fmt: skip
    assert "updated 1," in sync(cli, source).stdout
    assert source.indexed()["1"]["title"] == "Seen despite the old watermark"


def test_html_entities_are_decoded_in_every_field_and_title_html_escapes_once(cli, cms):
    source = cms()
    with source.connect() as conn:
        insert(
            conn,
            row(
                4,
                language="en",
                headline="Salt &amp; pepper prices &#8212; a &laquo;quiet&raquo; week",
                summary="Grocers&nbsp;say little &#x2014; yet",
                writer="Dana O&#8217;Neill",
                section="Food &amp; Drink",
                keywords="R&amp;D, AT&T",
                content="<p>Markets &amp; stalls.</p>",
            ),
        )
    assert sync(cli, source).returncode == 0
    stored = source.indexed()["4"]
    assert stored["title"] == "Salt & pepper prices — a «quiet» week"
    assert stored["lead"] == "Grocers say little — yet"
    assert stored["author"] == "Dana O’Neill" and stored["category"] == "Food & Drink"
    assert stored["tags"] == ["R&D", "AT&T"] and stored["body"] == "Markets & stalls."
    found = json.loads(cli("search", "pepper", "--json", "--index-dir", source.index_dir).stdout)
    assert found["results"][0]["title_html"].startswith("Salt &amp; <mark>pepper</mark>")
    nothing = json.loads(cli("search", "nbsp", "--json", "--index-dir", source.index_dir).stdout)
    assert nothing["total"] == 0


WORDPRESS_CONTENT = """<!-- wp:paragraph -->
<p>The ferry timetable changes on Monday.</p>
<!-- /wp:paragraph -->
[caption id="attachment_77" align="aligncenter" width="640"]<img src="/f.jpg" alt="Deck"/>
The new ferry at the pier[/caption]
[gallery ids="12,13,14" columns="3"]
<!-- wp:embed {"url":"https://video.example.com/v/9"} -->
<figure class="wp-block-embed"><div class="wp-block-embed__wrapper">
https://video.example.com/v/9
</div></figure>
<!-- /wp:embed -->
[embed]https://video.example.com/v/10[/embed]
https://video.example.com/v/11
<p>Tickets cost [sic] more, say footnote [1] and [[caption]] in a help page.</p>
[pullquote style="wide"]Crossings will be faster.[/pullquote]"""


def test_wordpress_bodies_keep_captions_and_quotes_and_drop_markup_and_embeds(cli, cms):
    source = cms()
    wordpress = source.config_file.read_text().replace('"html"', '"wordpress"')
    source.config_file.write_text(wordpress)
    with source.connect() as conn:
        insert(conn, row(5, language="en", content=WORDPRESS_CONTENT))
    assert sync(cli, source).returncode == 0
    assert source.indexed()["5"]["body"] == (
        "The ferry timetable changes on Monday.\n"
        "The new ferry at the pier\n"
        "Tickets cost [sic] more, say footnote [1] and [caption] in a help page.\n"
        "Crossings will be faster."
    )
    for word in ("aligncenter", "attachment_77", "video", "gallery", "wide"):
        found = cli("search", word, "--json", "--index-dir", source.index_dir).stdout
        assert json.loads(found)["total"] == 0, word


CATEGORIES = """
CREATE TABLE sections (news_id integer, section_name text);
INSERT INTO sections VALUES (7, 'World'), (7, 'Politics'), (8, 'Sport');
"""
JOINED = "SELECT n.*, s.section_name FROM news n JOIN sections s USING (news_id)"


def _joined_spec(source, **options):
    columns = {
        **source.spec().options["columns"],
        "category": "section_name",
        "tags": "section_name",
    }
    spec = source.spec(query=JOINED, columns=columns, **options)
    del spec.options["table"]
    return spec


def test_rows_a_join_repeats_are_one_article_when_the_source_aggregates_them(cms):
    source = cms()
    with source.connect() as conn:
        insert(conn, row(7, language="en"), row(8, language="en"))
        conn.execute(CATEGORIES)
    config = settings.load({}, index_dir=source.index_dir)
    store = IndexStore(source.index_dir)
    # batch=1: each page must still hold all of one id's rows.
    result = sync_source(store, config, _joined_spec(source, aggregate=True, batch=1))
    assert result.ok and result.added == 2, result
    stored = source.indexed()
    assert stored["7"]["category"] == "Politics" and stored["7"]["tags"] == ["Politics", "World"]
    assert stored["8"]["category"] == "Sport"
    again = sync_source(store, config, _joined_spec(source, aggregate=True), full=True)
    assert again.ok and again.unchanged == 2 and again.updated == 0


def test_a_repeated_id_is_rejected_by_id_unless_the_source_aggregates(cms):
    source = cms()
    with source.connect() as conn:
        insert(conn, row(7, language="en"), row(8, language="en"), row(9, language="en"))
        conn.execute(CATEGORIES)
        conn.execute("INSERT INTO sections VALUES (9, 'Culture')")
    rejected = []
    from search_service.sources.sync import Report

    config = settings.load({}, index_dir=source.index_dir)
    result = sync_source(
        IndexStore(source.index_dir),
        config,
        _joined_spec(source, batch=1),
        report=Report(reject=rejected.append),
    )
    assert result.rejected == 1 and result.added == 2
    assert [str(error) for error in rejected] == [
        "cms row (id '7'): 2 rows have this id (a join repeating it?); set aggregate = true "
        "to gather their tags and categories into one article"
    ]
    assert sorted(source.indexed()) == ["8", "9"]


def _sql_ascii(source) -> None:
    """Point the source at a new SQL_ASCII database (what older CMSs run on): it stores any
    bytes and declares no encoding."""
    name = f"{source.database}ascii"
    with source.server.connect(autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name} ENCODING 'SQL_ASCII' TEMPLATE template0 "
                     "LC_COLLATE 'C' LC_CTYPE 'C'")  # fmt: skip
    source.database = name
    source.env["CMS_URL"] = source.server.url(name)
    with source.connect() as conn:
        conn.execute(test_sources_database.TABLE)
        insert(conn, row(1), row(2), row(3, headline="Ünïcode written as UTF-8"))
        conn.execute("UPDATE news SET headline = E'Caf\\351 owners', writer = E'\\377' "
                     "WHERE news_id = 2")  # fmt: skip


def test_an_undecodable_row_is_rejected_by_id_and_column_and_the_others_synced(cli, cms):
    source = cms()
    _sql_ascii(source)
    for url in (source.env["CMS_URL"], source.env["CMS_URL"] + "?client_encoding=utf8"):
        done = sync(cli, source, "--full", CMS_URL=url)
        assert done.returncode == 1, done.stdout + done.stderr
        assert "Traceback" not in done.stdout + done.stderr, done.stdout
        assert (
            "rejected cms row (id '2'): column 'headline' is not UTF-8 text (byte 0xe9 at "
            "position 3)" in done.stderr
        ), done.stdout + done.stderr
        assert "added" in done.stdout and "rejected 1," in done.stdout
        assert done.stdout.rstrip().endswith("listed above)"), done.stdout
        indexed = source.indexed()
        assert sorted(indexed) == ["1", "3"]
        assert indexed["3"]["title"] == "Ünïcode written as UTF-8"


def test_a_wrong_password_is_not_retried_and_is_shown_once(cli, cms):
    source = cms()
    wrong = source.server.url(source.database, password="Not-The-Password")
    started = time.monotonic()
    done = sync(cli, source, CMS_URL=wrong, SEARCH_LOG_LEVEL="info")
    assert done.returncode == 1
    output = done.stdout + done.stderr
    assert output.count("password authentication failed") == 1, output
    assert "retrying" not in output and "attempts" not in output
    assert time.monotonic() - started < 5


def test_the_search_command_prints_a_snippet_spanning_paragraphs_on_one_line(cli, cms):
    source = cms()
    paragraphs = "".join(f"<p>Lighthouse keepers report {n}.</p>" for n in range(6))
    with source.connect() as conn:
        insert(conn, row(6, language="en", headline="Coast notes", content=paragraphs))
    assert sync(cli, source).returncode == 0
    # A word of the title only: the snippet is the start of the body, several paragraphs.
    found = cli("search", "coast", "--index-dir", source.index_dir).stdout
    lines = found.splitlines()
    snippet = lines[lines.index(next(line for line in lines if "Coast notes" in line)) + 2]
    assert "report 0. Lighthouse keepers report 1." in snippet, found


def test_a_retracted_articles_words_leave_suggestions_and_corrections_with_its_deletion(cli, cms):
    source = cms()
    with source.connect() as conn:
        insert(conn, *(row(n, language="en") for n in range(1, 4)))
        insert(conn, row(9, language="en", headline="Quorvandel smuggling ring exposed"))
    assert sync(cli, source).returncode == 0
    client = create_app({"index_dir": source.index_dir}).test_client()

    def completions(typed: str) -> list[str]:
        answer = client.get("/suggest", query_string={"q": typed, "lang": "en"}).get_json()
        return [s["text"].lower() for s in answer["suggestions"] if s["kind"] == "query"]

    def correction(typed: str) -> str | None:
        return client.get("/search", query_string={"q": typed}).get_json()["did_you_mean"]

    assert "quorvandel" in completions("quorv")
    assert (correction("quorvandek") or "").lower() == "quorvandel"
    with source.connect() as conn:  # another article goes: the rare word is looked up, found
        conn.execute("UPDATE news SET hidden = true, modified_at = now() WHERE news_id = 1")
    assert "deleted 1," in sync(cli, source).stdout
    assert "quorvandel" in completions("quorv")
    with source.connect() as conn:  # retracted: unpublished, in the same segment as the rest
        conn.execute("UPDATE news SET hidden = true, modified_at = now() WHERE news_id = 9")
    assert "deleted 1," in sync(cli, source).stdout
    _, ix = IndexStore(source.index_dir).open_current()
    with ix.reader() as reader:
        assert reader.has_deletions()  # marked deleted, not merged away
    assert "quorvandel" not in completions("quorv")
    assert correction("quorvandek") is None
    assert "harbour" in completions("harb")  # the words of live articles stay


@pytest.mark.slow
def test_a_follower_drops_a_retracted_articles_words_when_it_copies_the_deletion(
    make_index, gunicorn_server, cli, tmp_path
):
    stories = [
        {"id": f"f-{n}", "lang": "en", "title": f"Harbour report {n}", "body": "Ships came in."}
        for n in range(5)
    ]
    stories.append({"id": "f-9", "lang": "en", "title": "Quorvandel ring", "body": "Ships."})
    leader_index = make_index(stories)
    token = "replication-token-cms"
    leader, _ = gunicorn_server(leader_index, SEARCH_REPLICATION_TOKEN=token)
    replica = tmp_path / "follower"

    def follow() -> None:
        done = cli("follow", leader, "--index-dir", replica,
                   env={"SEARCH_REPLICATION_TOKEN": token})  # fmt: skip
        assert done.returncode == 0, done.stderr

    def completions() -> list[str]:
        client = create_app({"index_dir": replica, "leader_url": leader}).test_client()
        answer = client.get("/suggest", query_string={"q": "quorv", "lang": "en"}).get_json()
        return [s["text"].lower() for s in answer["suggestions"] if s["kind"] == "query"]

    follow()
    assert completions() == ["quorvandel"]
    assert cli("delete", "f-9", "--index-dir", leader_index).returncode == 0
    follow()
    assert completions() == []
