"""Article validation through the JSON Lines reader: every rejection names file, line, id, why."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from search_service.articles import Article, html_to_text, local_date, parse_article
from search_service.errors import ArticleError
from search_service.sources import read_sources
from tests.support.corpus import write_jsonl

VALID = {"id": "a1", "title": "Tram line opens", "body": "The first tram left the depot at dawn."}


def read(path: Path, **options: Any) -> list[Article | ArticleError]:
    return list(read_sources([path], **options))


def read_one(tmp_path: Path, record: dict[str, Any] | str) -> Article | ArticleError:
    [result] = read(write_jsonl(tmp_path / "in.jsonl", [record]))
    return result


def rejection(tmp_path: Path, record: dict[str, Any] | str) -> ArticleError:
    result = read_one(tmp_path, record)
    assert isinstance(result, ArticleError), result
    return result


def accepted(tmp_path: Path, record: dict[str, Any]) -> Article:
    result = read_one(tmp_path, record)
    assert isinstance(result, Article), str(result)
    return result


# Rejections: the exact reason, with the id once the record has a usable one -----------------

NOT_DATE = "is not an ISO 8601 date or date-time"
NOT_LANG = "field 'lang' must be an ISO 639-1 code such as 'en', got"
NO_TEXT = "needs a non-empty 'title' or 'body'"

REJECTED_WITHOUT_ID = {
    "bad-json": ('{"id": "a1", "title": }', "invalid JSON: Expecting value at column 23"),
    "unterminated": (
        '{"id": "a1", "title": "x"',
        "invalid JSON: Expecting ',' delimiter at column 26",
    ),
    "single-quotes": (
        "{'id': 'a1'}",
        "invalid JSON: Expecting property name enclosed in double quotes at column 2",
    ),
    "list": ('["a1", "Tram line opens"]', "expected a JSON object, got a list"),
    "string": ('"Tram line opens"', "expected a JSON object, got a string"),
    "number": ("42", "expected a JSON object, got a number"),
    "null": ("null", "expected a JSON object, got null"),
    "missing-id": ({"title": "x"}, "missing required field 'id'"),
    "null-id": ({"id": None, "title": "x"}, "missing required field 'id'"),
    "empty-id": ({"id": "", "title": "x"}, "field 'id' is empty"),
    "blank-id": ({"id": " \t ", "title": "x"}, "field 'id' is empty"),
    "number-id": ({"id": 17, "title": "x"}, "field 'id' must be a string, got a number"),
    "boolean-id": ({"id": True, "title": "x"}, "field 'id' must be a string, got a boolean"),
    "list-id": ({"id": ["a1"], "title": "x"}, "field 'id' must be a string, got a list"),
    "long-id": ({"id": "x" * 201, "title": "x"}, "field 'id' is longer than 200 characters"),
}

REJECTED_WITH_ID = {
    "number-title": ({"title": 2024}, "field 'title' must be a string, got a number"),
    "list-title": ({"title": ["Tram"]}, "field 'title' must be a string, got a list"),
    "object-body": ({"body": {"text": "x"}}, "field 'body' must be a string, got an object"),
    "boolean-lead": ({"lead": False}, "field 'lead' must be a string, got a boolean"),
    "tags-string": ({"tags": "city,tram"}, "field 'tags' must be a list of strings, got a string"),
    "tags-object": ({"tags": {"a": 1}}, "field 'tags' must be a list of strings, got an object"),
    "tags-number": (
        {"tags": ["city", 7]},
        "field 'tags' must be a list of strings; item 2 is a number",
    ),
    "tags-null": ({"tags": [None]}, "field 'tags' must be a list of strings; item 1 is null"),
    "no-text": ({"title": None, "body": None}, NO_TEXT),
    "lead-only": ({"title": None, "body": None, "lead": "Only a lead"}, NO_TEXT),
    "blank-text": ({"title": "  ", "body": "\n"}, NO_TEXT),
    "html-without-text": ({"title": "", "body": "<p> </p><script>track()</script>"}, NO_TEXT),
    "published-word": ({"published": "yesterday"}, f"field 'published' {NOT_DATE}: 'yesterday'"),
    "published-feb-30": (
        {"published": "2024-02-30"},
        f"field 'published' {NOT_DATE}: '2024-02-30'",
    ),
    "published-dmy": ({"published": "14/03/2025"}, f"field 'published' {NOT_DATE}: '14/03/2025'"),
    "updated-hour-25": (
        {"updated": "2025-03-14T25:00"},
        f"field 'updated' {NOT_DATE}: '2025-03-14T25:00'",
    ),
    "published-epoch": (
        {"published": 1710400000},
        "field 'published' must be a string, got a number",
    ),
    "lang-name": ({"lang": "english"}, f"{NOT_LANG} 'english'"),
    "lang-one-letter": ({"lang": "e"}, f"{NOT_LANG} 'e'"),
    "lang-digit": ({"lang": "az1"}, f"{NOT_LANG} 'az1'"),
    "lang-region": ({"lang": "en-GB"}, f"{NOT_LANG} 'en-GB'"),
    "lang-number": ({"lang": 7}, "field 'lang' must be a string, got a number"),
}


def assert_rejected_as_second_line(tmp_path, record, article_id, reason):
    path = write_jsonl(tmp_path / "news.jsonl", [VALID | {"id": "first"}, record])
    first, error = read(path)
    assert isinstance(first, Article)
    assert isinstance(error, ArticleError)
    assert (error.source, error.line, error.article_id, error.reason) == (
        str(path),
        2,
        article_id,
        reason,
    )
    where = f"{path}:2" + (f" (id {article_id!r})" if article_id else "")
    assert str(error) == f"{where}: {reason}"


@pytest.mark.parametrize(
    ("record", "reason"), REJECTED_WITHOUT_ID.values(), ids=REJECTED_WITHOUT_ID.keys()
)
def test_rejection_before_the_id_is_known_names_file_line_and_reason(tmp_path, record, reason):
    assert_rejected_as_second_line(tmp_path, record, "", reason)


@pytest.mark.parametrize(
    ("fields", "reason"), REJECTED_WITH_ID.values(), ids=REJECTED_WITH_ID.keys()
)
def test_rejection_names_file_line_id_and_reason(tmp_path, fields, reason):
    assert_rejected_as_second_line(tmp_path, VALID | fields, "a1", reason)


def test_parse_article_error_carries_the_id_but_no_location():
    with pytest.raises(ArticleError) as error:
        parse_article({"id": "a1", "title": 3})
    assert (error.value.source, error.value.line, error.value.article_id) == ("", None, "a1")
    assert str(error.value) == "<input> (id 'a1'): field 'title' must be a string, got a number"


def test_reading_goes_on_after_a_rejected_line(tmp_path):
    path = write_jsonl(
        tmp_path / "in.jsonl", [VALID | {"id": "a"}, "{oops", VALID | {"id": "b"}, {"id": 5}]
    )
    results = read(path)
    assert [type(r).__name__ for r in results] == [
        "Article",
        "ArticleError",
        "Article",
        "ArticleError",
    ]
    assert [r.line for r in results if isinstance(r, ArticleError)] == [2, 4]
    assert [r.id for r in results if isinstance(r, Article)] == ["a", "b"]


def test_invalid_utf8_is_reported_with_its_byte_offset_and_reading_continues(tmp_path):
    path = tmp_path / "latin1.jsonl"
    good = json.dumps(VALID).encode()
    path.write_bytes(
        good + b"\n" + b'{"id": "b", "title": "caf\xe9"}\n' + good.replace(b"a1", b"c")
    )
    first, error, last = read(path)
    assert isinstance(error, ArticleError)
    assert str(error) == f"{path}:2: not valid UTF-8 (invalid continuation byte at byte 25)"
    assert (first.id, last.id) == ("a1", "c")


def test_missing_file_is_an_error_naming_the_file(tmp_path):
    missing = tmp_path / "nowhere.jsonl"
    with pytest.raises(ArticleError) as error:
        read(missing)
    assert str(error.value) == f"{missing}: cannot read file: No such file or directory"


# Duplicates ----------------------------------------------------------------------------------


def test_duplicate_id_in_one_file_is_rejected_with_the_first_location(tmp_path):
    path = write_jsonl(
        tmp_path / "in.jsonl",
        [VALID, VALID | {"id": "a2"}, VALID | {"title": "Tram line opens again"}],
    )
    first, second, duplicate = read(path)
    assert (first.id, second.id) == ("a1", "a2")
    assert first.title == "Tram line opens"
    assert str(duplicate) == f"{path}:3 (id 'a1'): duplicate id; first seen at {path}:1"


def test_duplicate_id_across_two_files_of_one_run_is_rejected(tmp_path):
    monday = write_jsonl(tmp_path / "monday.jsonl", [VALID | {"id": "x"}, VALID])
    tuesday = write_jsonl(tmp_path / "tuesday.jsonl", [VALID | {"id": "y"}, VALID])
    results = list(read_sources([monday, tuesday]))
    assert [r.id for r in results if isinstance(r, Article)] == ["x", "a1", "y"]
    [duplicate] = [r for r in results if isinstance(r, ArticleError)]
    assert str(duplicate) == f"{tuesday}:2 (id 'a1'): duplicate id; first seen at {monday}:2"


def test_ids_are_compared_after_trimming(tmp_path):
    path = write_jsonl(tmp_path / "in.jsonl", [VALID, VALID | {"id": " a1\t"}])
    first, duplicate = read(path)
    assert first.id == "a1"
    assert isinstance(duplicate, ArticleError)
    assert duplicate.reason == f"duplicate id; first seen at {path}:1"


def test_a_rejected_record_does_not_claim_its_id(tmp_path):
    path = write_jsonl(tmp_path / "in.jsonl", [VALID | {"title": 1}, VALID])
    error, article = read(path)
    assert isinstance(error, ArticleError)
    assert isinstance(article, Article)


# Form of the file ----------------------------------------------------------------------------


def test_blank_lines_are_skipped_but_still_counted(tmp_path):
    path = write_jsonl(tmp_path / "in.jsonl", ["", VALID, "   ", "\t", '{"id": 3}'])
    article, error = read(path)
    assert article.id == "a1"
    assert error.line == 5


def test_byte_order_mark_on_the_first_line_is_accepted(tmp_path):
    path = tmp_path / "bom.jsonl"
    lines = [json.dumps(VALID), json.dumps(VALID | {"id": "a2"})]
    path.write_bytes(b"\xef\xbb\xbf" + "\n".join(lines).encode())
    assert [r.id for r in read(path)] == ["a1", "a2"]


def test_windows_line_endings_are_accepted(tmp_path):
    path = tmp_path / "crlf.jsonl"
    path.write_bytes(b"\r\n".join(json.dumps(VALID | {"id": i}).encode() for i in "xyz") + b"\r\n")
    assert [r.id for r in read(path)] == ["x", "y", "z"]


def test_unknown_fields_are_reported_once_per_name(tmp_path):
    path = write_jsonl(
        tmp_path / "in.jsonl",
        [
            VALID | {"id": "a", "subtitle": "x", "views": 3},
            VALID | {"id": "b", "subtitle": "y"},
            VALID | {"id": "c", "views": 4, "photo": "p.jpg"},
        ],
    )
    reported: list[str] = []
    results = read(path, on_unknown_field=reported.append)
    assert [r.id for r in results] == ["a", "b", "c"]
    assert reported == ["subtitle", "views", "photo"]


def test_unknown_fields_are_not_kept_on_the_article(tmp_path):
    article = accepted(tmp_path, VALID | {"subtitle": "x"})
    assert article == Article(id="a1", title=VALID["title"], body=VALID["body"])


def test_null_optional_fields_are_accepted_as_absent(tmp_path):
    record = {name: None for name in ("lead", "lang", "url", "category", "tags", "author")}
    article = accepted(tmp_path, VALID | record | {"published": None, "updated": None})
    assert article == Article(id="a1", title=VALID["title"], body=VALID["body"])


def test_title_alone_or_body_alone_is_enough(tmp_path):
    assert accepted(tmp_path, {"id": "t", "title": "Only a title"}).body == ""
    assert accepted(tmp_path, {"id": "b", "body": "Only a body"}).title == ""


def test_text_is_trimmed_nfc_normalised_and_freed_of_control_characters(tmp_path):
    article = accepted(
        tmp_path,
        {
            "id": " a1 ",
            "title": "  Cafe\u0301\x07 reopens\n",
            "lang": " EN ",
            "tags": ["x", "x", " "],
        },
    )
    assert article.id == "a1"
    assert article.title == "Café  reopens"
    assert article.lang == "en"
    assert article.tags == ("x",)


def test_every_field_is_kept(tmp_path):
    record = {
        "id": "a1",
        "title": "Tram line opens",
        "lead": "A new route crosses the river.",
        "body": "The first tram left the depot at dawn.",
        "lang": "en",
        "url": "https://example.org/tram",
        "category": "city",
        "tags": ["transport", "city"],
        "author": "R. Quill",
        "published": "2025-03-14",
        "updated": "2025-03-15T09:00:00Z",
    }
    article = accepted(tmp_path, record)
    assert article.tags == ("transport", "city")
    assert (article.lead, article.url, article.category, article.author) == (
        record["lead"],
        record["url"],
        "city",
        "R. Quill",
    )
    assert (article.published_text, article.updated_text) == ("2025-03-14", "2025-03-15T09:00:00Z")


# Dates ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "utc", "day"),
    [
        ("2025-03-14", datetime(2025, 3, 14), date(2025, 3, 14)),
        ("2025-03-14T08:30", datetime(2025, 3, 14, 8, 30), date(2025, 3, 14)),
        ("2025-03-14T08:30:15", datetime(2025, 3, 14, 8, 30, 15), date(2025, 3, 14)),
        ("2025-03-14 08:30:15", datetime(2025, 3, 14, 8, 30, 15), date(2025, 3, 14)),
        ("2025-03-14T08:30:15.250", datetime(2025, 3, 14, 8, 30, 15, 250000), date(2025, 3, 14)),
        ("2025-03-14T08:30:15Z", datetime(2025, 3, 14, 8, 30, 15), date(2025, 3, 14)),
        ("2025-03-14T08:30:15+00:00", datetime(2025, 3, 14, 8, 30, 15), date(2025, 3, 14)),
        ("2025-03-14T02:30:00+04:00", datetime(2025, 3, 13, 22, 30), date(2025, 3, 14)),
        ("2025-03-14T23:30:00-05:00", datetime(2025, 3, 15, 4, 30), date(2025, 3, 14)),
        ("2025-03-14T12:00:00+0300", datetime(2025, 3, 14, 9, 0), date(2025, 3, 14)),
    ],
)
def test_iso_dates_are_accepted_and_sorted_in_utc(tmp_path, written, utc, day):
    article = accepted(tmp_path, VALID | {"published": written, "updated": written})
    assert article.published == article.updated == utc
    assert article.published.tzinfo is None
    assert article.published_text == written
    assert local_date(article) == day


def test_article_without_published_date_has_no_local_date(tmp_path):
    assert local_date(accepted(tmp_path, VALID)) is None


# HTML bodies ---------------------------------------------------------------------------------


def test_html_body_becomes_text_with_one_line_per_paragraph(tmp_path):
    body = (
        "<h2>Storm&nbsp;warning</h2><p>Rain &amp; wind <b>tonight</b>.</p>"
        "<p>Ferries &lt;suspended&gt; until&#160;noon.</p><ul><li>Port A</li><li>Port B</li></ul>"
    )
    article = accepted(tmp_path, {"id": "h1", "body": body})
    assert article.body == (
        "Storm warning\nRain & wind tonight.\nFerries <suspended> until noon.\nPort A\nPort B"
    )


def test_text_after_a_closing_block_starts_a_new_line(tmp_path):
    body = "<ul><li>Port A</li><li>Port B</li></ul>Both reopen on Monday.<p>More soon.</p>Bye"
    article = accepted(tmp_path, {"id": "h4", "body": body})
    assert article.body.splitlines() == [
        "Port A",
        "Port B",
        "Both reopen on Monday.",
        "More soon.",
        "Bye",
    ]


def test_script_and_style_inside_an_html_body_are_dropped(tmp_path):
    body = (
        "<p>Polls close at eight.</p><script>document.write('ad')</script>"
        "<style>p { color: red }</style><p>Counting starts at nine.</p>"
    )
    article = accepted(tmp_path, {"id": "h2", "body": body})
    assert article.body == "Polls close at eight.\nCounting starts at nine."


def test_line_breaks_in_html_body_become_lines(tmp_path):
    article = accepted(tmp_path, {"id": "h3", "body": "First line<br>second line<br/>third"})
    assert article.body.splitlines() == ["First line", "second line", "third"]


def test_plain_text_body_quoting_a_script_tag_is_kept_verbatim(tmp_path):
    body = "The flaw let an attacker run <script>alert(1)</script> in a comment & more."
    article = accepted(tmp_path, {"id": "p1", "title": "Browser flaw", "body": body})
    assert article.body == body


def test_plain_text_body_with_angle_brackets_and_entities_is_untouched(tmp_path):
    body = "Prices rose 3% (<5% forecast) at Smith &amp; Sons; x < y > z."
    assert accepted(tmp_path, {"id": "p2", "body": body}).body == body


def test_title_is_never_treated_as_html(tmp_path):
    title = "Why <p> tags matter"
    assert accepted(tmp_path, {"id": "p3", "title": title}).title == title


def test_html_to_text_collapses_spaces_and_drops_empty_lines():
    markup = "<div>\n  Two   spaces\u00a0\u00a0here  </div>\n\n<div></div><p>\tend </p>"
    assert html_to_text(markup) == "Two spaces here\nend"


# Article URLs: only what is safe to turn into a link ----------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JavaScript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox",
        "ftp://files.example.org/a",
        "//evil.example/story",
        "news.example.org/story",
        "https://",
    ],
)
def test_article_urls_other_than_http_or_site_relative_are_rejected_with_the_reason(tmp_path, url):
    error = rejection(tmp_path, VALID | {"url": url})
    assert error.article_id == "a1"
    assert error.reason.startswith(
        "field 'url' must be an http(s) URL or a site-relative path starting with '/'"
    )


@pytest.mark.parametrize(
    "url", ["https://news.example.org/en/a?x=1#p", "HTTP://news.example.org/a", "/en/story-1"]
)
def test_http_https_and_site_relative_article_urls_are_accepted(tmp_path, url):
    assert accepted(tmp_path, VALID | {"url": url}).url == url
