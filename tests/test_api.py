"""The HTTP contract of /search and /healthz: response shape, parameters and their errors,
paging, filters, sorting, escaping, and following index changes without a restart.

Every test runs the real app over a real index built on disk from the articles below.
"""

from __future__ import annotations

import html
import json
import re

import pytest

from search_service import config as settings
from search_service import create_app
from search_service.errors import IndexUnavailable
from search_service.indexing import writer
from search_service.indexing.store import IndexStore
from search_service.sources import read_sources
from tests.support.corpus import result_ids as ids
from tests.support.corpus import shared_client, write_jsonl

HIT_FIELDS = [
    "id",
    "title",
    "url",
    "lang",
    "category",
    "published",
    "score",
    "title_html",
    "snippet",
    "pinned",
    "duplicates",
    "translations",
]
RESPONSE_FIELDS = [
    "query", "total", "page", "per_page", "took_ms", "search_id", "relaxed", "truncated", "build",
    "results", "full_matches", "partial", "did_you_mean", "facets",
]  # fmt: skip
TAG = re.compile(r"<[^>]*>")


def article(id: str, *, lang: str = "en", **fields: str | None) -> dict[str, str | None]:
    return {"id": id, "lang": lang, "url": f"https://news.example/{id}", **fields}


# Every article mentions "Zetland" (an invented place), so one query reaches them all.
FILTER_ARTICLES = [
    # 23:30 at +04:00 is 19:30 UTC: the calendar date as written is the 14th.
    article(
        "late-evening",
        title="Zetland ferry timetable changes",
        category="Transport",
        published="2025-03-14T23:30:00+04:00",
    ),
    # 01:15 at +05:00 is 20:15 UTC on the 14th, but the date as written is the 15th.
    article(
        "early-morning",
        lang="ru",
        title="Паром на Зетланд",
        body="Новое расписание парома на Zetland вступает в силу.",
        category="Транспорт",
        published="2025-03-15T01:15:00+05:00",
    ),
    # 22:00 at -05:00 is 03:00 UTC on the 14th, but the date as written is the 13th.
    article(
        "west-coast",
        title="Zetland fishermen protest quotas",
        category="Economy",
        published="2025-03-13T22:00:00-05:00",
    ),
    article(
        "date-only",
        lang="az",
        title="Zetland adasında yeni körpü",
        category="Transport",
        published="2025-03-16",
    ),
    article(
        "partial-category",
        title="Zetland transport strike ends",
        category="Transport policy",
        published="2025-03-12T09:00:00Z",
    ),
    article("undated", title="Zetland history notes", category="Culture"),
    article(
        "french",
        lang="fr",
        title="Le port de Zetland",
        body="Les bateaux de Zetland rentrent au port.",
        category="Transport",
        published="2025-03-14T08:00:00+01:00",
    ),
]


@pytest.fixture(scope="module")
def filters_client(tmp_path_factory):
    return shared_client(tmp_path_factory, FILTER_ARTICLES)


def assert_json_error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status
    assert response.content_type == "application/json"
    body = response.get_json()
    assert set(body) >= {"error", "message"}
    assert body["message"]
    if code is not None:
        assert body["error"] == code
    return body


# Response shape --------------------------------------------------------------------------


def test_search_response_has_the_documented_fields(filters_client):
    body = filters_client.search("fishermen")

    assert list(body) == RESPONSE_FIELDS
    assert body["query"] == "fishermen"
    assert (body["total"], body["page"], body["per_page"], body["relaxed"]) == (1, 1, 10, False)
    assert isinstance(body["took_ms"], int | float)
    [hit] = body["results"]
    assert list(hit) == HIT_FIELDS
    assert hit["id"] == "west-coast"
    assert hit["url"] == "https://news.example/west-coast"
    assert (hit["lang"], hit["category"]) == ("en", "Economy")
    assert hit["published"] == "2025-03-13T22:00:00-05:00"
    assert hit["title_html"] == "Zetland <mark>fishermen</mark> protest quotas"
    assert isinstance(hit["score"], float)


def test_search_reports_the_same_build_as_healthz(filters_client):
    health = filters_client.http.get("/healthz").get_json()

    assert filters_client.search("zetland")["build"] == health["build"]


# Health ----------------------------------------------------------------------------------


def test_healthz_reports_the_number_of_documents_and_the_build(filters_client):
    response = filters_client.http.get("/healthz")

    assert response.status_code == 200
    assert response.content_type == "application/json"
    body = response.get_json()
    assert body["status"] == "ok"
    assert body["documents"] == len(FILTER_ARTICLES)
    assert body["build"] == IndexStore(filters_client.index_dir).current().id


@pytest.mark.parametrize("folder", ["empty", "missing/below"])
def test_healthz_is_503_json_with_a_reason_when_no_index_exists(tmp_path, folder):
    (tmp_path / "empty").mkdir()
    client = create_app({"index_dir": tmp_path / folder}).test_client()

    body = assert_json_error(client.get("/healthz"), 503, "index_unavailable")

    assert body["status"] != "ok"
    assert "documents" not in body


def test_search_is_503_index_unavailable_when_no_index_exists(tmp_path):
    client = create_app({"index_dir": tmp_path}).test_client()

    assert_json_error(client.get("/search?q=ferry"), 503, "index_unavailable")


def test_a_build_with_an_older_field_layout_is_503_until_reindexed(search_client):
    client = search_client(FILTER_ARTICLES)  # its build is altered: its own index
    build = IndexStore(client.index_dir).current()
    info = json.loads((build.path / "build.json").read_text())
    (build.path / "build.json").write_text(json.dumps({**info, "schema_version": 2}))

    assert_json_error(client.http.get("/search?q=ferry"), 503, "index_unavailable")
    with pytest.raises(IndexUnavailable, match=r"schema version 2, .*reindex"):
        IndexStore(client.index_dir).open_current()


# Parameters and errors ---------------------------------------------------------------------


@pytest.mark.parametrize("query", ["", "q=", "q=%20%20", "q=%09%0A"])
def test_missing_or_blank_query_is_400_missing_query(filters_client, query):
    response = filters_client.http.get(f"/search?{query}")

    assert_json_error(response, 400, "missing_query")


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"page": "0"}, "page"),
        ({"page": "-1"}, "page"),
        ({"page": "two"}, "page"),
        ({"page": "1.5"}, "page"),
        ({"per_page": "0"}, "per_page"),
        ({"per_page": "101"}, "per_page"),
        ({"per_page": "ten"}, "per_page"),
        ({"page": "101", "per_page": "100"}, "page"),  # past the deepest result served
        ({"from": "2025-13-01"}, "from"),
        ({"from": "2025-02-30"}, "from"),
        ({"to": "yesterday"}, "to"),
        ({"to": "14.03.2025"}, "to"),
        ({"from": "2025-03-15", "to": "2025-03-14"}, "from"),
        ({"sort": "oldest"}, "sort"),
        ({"sort": "RELEVANCE"}, "sort"),
        ({"lang": "english"}, "lang"),
        ({"lang": "en-US"}, "lang"),
        ({"lang": "r"}, "lang"),
        ({"lang": "<script>"}, "lang"),
    ],
)
def test_bad_parameters_are_400_json_naming_the_parameter(filters_client, params, named):
    response = filters_client.http.get("/search", query_string={"q": "zetland", **params})

    body = assert_json_error(response, 400)
    assert body["error"] not in ("missing_query", "internal_error")
    assert named in body["message"]


def test_bad_parameters_are_400_even_when_no_index_exists(tmp_path):
    client = create_app({"index_dir": tmp_path}).test_client()

    assert_json_error(client.get("/search?q=ferry&page=0"), 400)
    assert_json_error(client.get("/search?q="), 400, "missing_query")


def test_query_over_1000_characters_is_413_query_too_long(filters_client):
    response = filters_client.http.get("/search", query_string={"q": "z" * 1001})

    body = assert_json_error(response, 413, "query_too_long")
    assert "1000" in body["message"]


def test_query_of_exactly_1000_characters_is_answered(filters_client):
    assert filters_client.search("z" * 1000)["total"] == 0


def test_unknown_path_is_404_json(filters_client):
    assert_json_error(filters_client.http.get("/no/such/page"), 404, "not_found")


@pytest.mark.parametrize(("method", "path"), [("post", "/search"), ("delete", "/healthz")])
def test_wrong_method_is_405_json(filters_client, method, path):
    response = getattr(filters_client.http, method)(path, data={"q": "zetland"})

    assert_json_error(response, 405, "method_not_allowed")
    assert "GET" in response.headers["Allow"]


def test_unexpected_exception_is_500_json_without_traceback(filters_client):
    app = create_app({"index_dir": filters_client.index_dir})  # a route is added: its own app

    @app.get("/test-only/explode")
    def explode():
        raise RuntimeError("private detail /srv/secret.key")

    response = app.test_client().get("/test-only/explode")

    assert_json_error(response, 500, "internal_error")
    text = response.get_data(as_text=True)
    assert "Traceback" not in text
    assert "private detail" not in text
    assert "RuntimeError" not in text


# Paging ------------------------------------------------------------------------------------

LIGHTHOUSE_ARTICLES = [
    article(
        f"light-{n:02d}",
        title=f"Keeper's log number {n}",
        body=f"The lighthouse keeper recorded {n} ships passing the cape.",
        published=f"2025-01-{n:02d}T12:00:00Z",
    )
    for n in range(1, 24)
]


@pytest.fixture(scope="module")
def lighthouse_client(tmp_path_factory):
    return shared_client(tmp_path_factory, LIGHTHOUSE_ARTICLES)


@pytest.mark.parametrize("sort", ["relevance", "newest"])
def test_pages_are_disjoint_share_the_total_and_together_give_every_hit(lighthouse_client, sort):
    pages = [lighthouse_client.search("lighthouse", per_page=5, page=n, sort=sort) for n in (1, 2)]
    pages += [lighthouse_client.search("lighthouse", per_page=5, page=n, sort=sort) for n in (3, 4)]
    last = lighthouse_client.search("lighthouse", per_page=5, page=5, sort=sort)

    assert {page["total"] for page in [*pages, last]} == {23}
    assert [len(page["results"]) for page in [*pages, last]] == [5, 5, 5, 5, 3]
    paged = [hit_id for page in [*pages, last] for hit_id in ids(page)]
    assert len(paged) == len(set(paged)) == 23
    assert set(paged) == {a["id"] for a in LIGHTHOUSE_ARTICLES}
    everything = lighthouse_client.search("lighthouse", per_page=100, sort=sort)
    assert paged == ids(everything)


def test_page_past_the_end_is_empty_with_the_true_total(lighthouse_client):
    body = lighthouse_client.search("lighthouse", per_page=10, page=4)

    assert body["results"] == []
    assert (body["total"], body["page"], body["per_page"]) == (23, 4, 10)


def test_per_page_defaults_to_10_and_accepts_1_and_100(lighthouse_client):
    assert len(lighthouse_client.search("lighthouse")["results"]) == 10
    assert len(lighthouse_client.search("lighthouse", per_page=1)["results"]) == 1
    body = lighthouse_client.search("lighthouse", per_page=100)
    assert (len(body["results"]), body["per_page"]) == (23, 100)


def test_total_counts_only_filtered_hits_on_every_page(lighthouse_client):
    window = {"from_": "2025-01-05", "to": "2025-01-09", "per_page": 2}
    pages = [lighthouse_client.search("lighthouse", page=n, **window) for n in (1, 2, 3, 4)]

    assert [page["total"] for page in pages] == [5, 5, 5, 5]
    assert [len(page["results"]) for page in pages] == [2, 2, 1, 0]
    assert {hit_id for page in pages for hit_id in ids(page)} == {
        f"light-{n:02d}" for n in range(5, 10)
    }


# Filters -----------------------------------------------------------------------------------


def test_from_and_to_on_one_day_use_the_date_as_written_not_utc(filters_client):
    body = filters_client.search("zetland", from_="2025-03-14", to="2025-03-14")

    # early-morning is 20:15 UTC on the 14th and west-coast 03:00 UTC on the 14th,
    # yet their own dates are the 15th and the 13th.
    assert sorted(ids(body)) == ["french", "late-evening"]


def test_from_is_inclusive(filters_client):
    body = filters_client.search("zetland", from_="2025-03-15")

    assert sorted(ids(body)) == ["date-only", "early-morning"]


def test_to_is_inclusive(filters_client):
    body = filters_client.search("zetland", to="2025-03-13")

    assert sorted(ids(body)) == ["partial-category", "west-coast"]


def test_date_range_leaves_out_undated_articles(filters_client):
    body = filters_client.search("zetland", from_="2000-01-01", to="2099-12-31", per_page=100)

    assert body["total"] == len(FILTER_ARTICLES) - 1
    assert "undated" not in ids(body)


def test_date_range_with_nothing_inside_finds_nothing(filters_client):
    body = filters_client.search("zetland", from_="2025-03-17")

    assert (body["total"], body["results"]) == (0, [])


def test_category_matches_exactly_not_by_prefix(filters_client):
    body = filters_client.search("zetland", category="Transport")

    assert sorted(ids(body)) == ["date-only", "french", "late-evening"]
    assert all(hit["category"] == "Transport" for hit in body["results"])


def test_category_with_spaces_or_cyrillic_matches_exactly(filters_client):
    assert ids(filters_client.search("zetland", category="Transport policy")) == [
        "partial-category"
    ]
    assert ids(filters_client.search("zetland", category="Транспорт")) == ["early-morning"]
    assert filters_client.search("zetland", category="Transp")["total"] == 0


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("ru", ["early-morning"]),
        ("az", ["date-only"]),
        ("fr", ["french"]),  # a language without its own analyzer
        ("de", []),
        ("EN", ["late-evening", "partial-category", "undated", "west-coast"]),
    ],
)
def test_lang_restricts_results_to_one_language(filters_client, lang, expected):
    body = filters_client.search("zetland", lang=lang)

    assert sorted(ids(body)) == expected
    assert all(hit["lang"] == lang.lower() for hit in body["results"])


def test_filters_combine(filters_client):
    body = filters_client.search(
        "zetland", lang="en", category="Transport", from_="2025-03-14", to="2025-03-14"
    )

    assert ids(body) == ["late-evening"]


# Sorting -----------------------------------------------------------------------------------

SORT_ARTICLES = [
    article("undated-a", title="Orchestra tour announced"),
    article("jan", title="Orchestra winter concert", published="2025-01-10T19:00:00Z"),
    # 23:30 at +04:00 is 19:30 UTC: earlier than 20:00 UTC on the same day.
    article("baku-evening", title="Orchestra in Baku", published="2025-03-14T23:30:00+04:00"),
    article("utc-evening", title="Orchestra rehearsal", published="2025-03-14T20:00:00Z"),
    article("undated-b", title="Orchestra archive photos"),
    article("day-only", lang="ru", title="Orchestra в Москве", published="2025-02-01"),
    article("latest", title="Orchestra season finale", published="2025-06-30T10:00:00+02:00"),
]


@pytest.fixture(scope="module")
def sort_client(tmp_path_factory):
    return shared_client(tmp_path_factory, SORT_ARTICLES)


def test_sort_newest_orders_by_publication_time_with_undated_last(sort_client):
    client = sort_client

    body = client.search("orchestra", sort="newest")

    order = ids(body)
    assert order[:5] == ["latest", "utc-evening", "baku-evening", "day-only", "jan"]
    assert sorted(order[5:]) == ["undated-a", "undated-b"]


def test_sort_newest_pages_keep_undated_articles_at_the_end(sort_client):
    client = sort_client

    pages = [client.search("orchestra", sort="newest", per_page=3, page=n) for n in (1, 2, 3)]

    assert ids(pages[0]) == ["latest", "utc-evening", "baku-evening"]
    assert ids(pages[1])[:2] == ["day-only", "jan"]
    assert {*ids(pages[1])[2:], *ids(pages[2])} == {"undated-a", "undated-b"}


def test_sort_relevance_orders_by_descending_score(sort_client):
    client = sort_client

    scores = [hit["score"] for hit in client.search("orchestra", sort="relevance")["results"]]

    assert len(scores) == len(SORT_ARTICLES)
    assert scores == sorted(scores, reverse=True)


# Escaping ----------------------------------------------------------------------------------

HOSTILE_ARTICLES = [
    article(
        "hostile",
        title="<script>alert('title')</script> Harbour fees & <Docks> rise",
        lead='Port <img src=x onerror="alert(1)"> lead about tariffs',
        body=(
            "Harbour cranes lift 5 < 7 containers & ships > 3 at dawn. "
            "<script>document.location='https://evil.example'</script> was typed by a reader."
        ),
    ),
]


@pytest.fixture(scope="module")
def hostile_client(tmp_path_factory):
    return shared_client(tmp_path_factory, HOSTILE_ARTICLES)


def assert_only_mark_tags(markup: str) -> None:
    assert set(TAG.findall(markup)) <= {"<mark>", "</mark>"}, markup


def visible_text(markup: str) -> str:
    return html.unescape(TAG.sub("", markup))


@pytest.mark.parametrize("q", ["harbour", "script", "docks", "tariffs", "alert", "<script>"])
def test_title_html_and_snippet_escape_article_text_and_only_add_mark(hostile_client, q):
    [hit] = hostile_client.search(q)["results"]

    for markup in (hit["title_html"], hit["snippet"]):
        assert "<script" not in markup
        assert "<img" not in markup
        assert_only_mark_tags(markup)
    assert visible_text(hit["title_html"]) == hit["title"]
    assert hit["title"].startswith("<script>")  # the raw field stays as written


def test_escaped_title_shows_markup_as_text_around_marks(hostile_client):
    [hit] = hostile_client.search("script")["results"]

    assert hit["title_html"].startswith("&lt;<mark>script</mark>&gt;alert(")
    assert "&amp; &lt;Docks&gt;" in hit["title_html"]


def test_snippet_escapes_ampersand_and_angle_brackets_in_the_body(hostile_client):
    [hit] = hostile_client.search("containers")["results"]

    assert "5 &lt; 7 <mark>containers</mark> &amp; ships &gt; 3" in hit["snippet"]
    assert "&lt;script&gt;" in hit["snippet"]
    assert_only_mark_tags(hit["snippet"])


def test_lead_snippet_is_escaped_when_only_the_lead_matches(hostile_client):
    [hit] = hostile_client.search("tariffs")["results"]

    assert "<mark>tariffs</mark>" in hit["snippet"]
    assert "&lt;img src=x onerror=" in hit["snippet"]
    assert_only_mark_tags(hit["snippet"])


def test_query_text_cannot_inject_markup_into_highlights(hostile_client):
    [hit] = hostile_client.search('<mark onclick="x">harbour</mark> <b>')["results"]

    assert_only_mark_tags(hit["title_html"])
    assert_only_mark_tags(hit["snippet"])


def test_snippet_is_a_short_marked_passage_of_a_long_body(search_client):
    filler = " ".join(f"Paragraph {n} about ordinary weather and traffic." for n in range(80))
    body = f"{filler} A walrus appeared near the pier. {filler}"
    client = search_client([article("long", title="Coastal diary", body=body)])

    [hit] = client.search("walrus")["results"]

    assert "<mark>walrus</mark>" in hit["snippet"]
    assert len(hit["snippet"]) < 500 < len(body)
    assert visible_text(hit["snippet"]).strip("…") in body


# Following the index after start-up ----------------------------------------------------------


def test_add_and_delete_after_start_show_in_the_next_request(search_client, tmp_path):
    client = search_client([article("base", title="Pelican-free harbour news")])
    index_dir = client.index_dir
    config = settings.load({}, index_dir=index_dir)
    assert client.search("albatross")["total"] == 0
    assert client.http.get("/healthz").get_json()["documents"] == 1

    new = write_jsonl(
        tmp_path / "new.jsonl",
        [article("bird", title="Albatross lands on the pier", published="2025-04-01")],
    )
    writer.add(IndexStore(index_dir), read_sources([new]), config)

    assert ids(client.search("albatross")) == ["bird"]
    assert client.http.get("/healthz").get_json()["documents"] == 2

    writer.delete(IndexStore(index_dir), ["bird"])

    assert client.search("albatross")["total"] == 0
    assert client.http.get("/healthz").get_json()["documents"] == 1


def test_replacing_an_article_after_start_shows_its_new_text(search_client, tmp_path):
    client = search_client([article("story", title="Mayor opens the bridge")])
    assert client.search("bridge")["total"] == 1

    changed = write_jsonl(
        tmp_path / "changed.jsonl", [article("story", title="Mayor opens the tunnel")]
    )
    config = settings.load({}, index_dir=client.index_dir)
    writer.add(IndexStore(client.index_dir), read_sources([changed]), config)

    assert client.search("bridge")["total"] == 0
    [hit] = client.search("tunnel")["results"]
    assert (hit["id"], hit["title"]) == ("story", "Mayor opens the tunnel")


def test_full_reindex_after_start_switches_to_the_new_build(search_client, tmp_path):
    client = search_client([article("old", title="Glacier retreats")])
    old_build = client.search("glacier")["build"]

    fresh = write_jsonl(tmp_path / "fresh.jsonl", [article("new", title="Volcano erupts")])
    config = settings.load({}, index_dir=client.index_dir)
    writer.rebuild(IndexStore(client.index_dir), read_sources([fresh]), config)

    body = client.search("volcano")
    assert ids(body) == ["new"]
    assert body["build"] != old_build
    assert client.search("glacier")["total"] == 0
    assert client.http.get("/healthz").get_json()["build"] == body["build"]


def test_index_built_after_start_is_found_without_a_restart(tmp_path):
    index_dir = tmp_path / "index"
    client = create_app({"index_dir": index_dir}).test_client()
    assert client.get("/healthz").status_code == 503

    source = write_jsonl(tmp_path / "first.jsonl", [article("first", title="Comet sighted")])
    writer.rebuild(
        IndexStore(index_dir), read_sources([source]), settings.load({}, index_dir=index_dir)
    )

    assert client.get("/healthz").status_code == 200
    response = client.get("/search?q=comet")
    assert response.status_code == 200
    assert ids(response.get_json()) == ["first"]


def test_unavailable_index_does_not_reveal_server_paths(tmp_path):
    secret = tmp_path / "srv-secret-location"
    client = create_app({"index_dir": secret}).test_client()
    for url in ("/healthz", "/search?q=flood"):
        response = client.get(url)
        assert response.status_code == 503
        assert response.get_json()["error"] == "index_unavailable"
        assert "srv-secret-location" not in response.get_data(as_text=True)


@pytest.mark.parametrize("value", ["20250314", "2025-W11-5", "2025-3-14", "14.03.2025"])
def test_dates_must_be_written_as_year_month_day(client, value):
    response = client.get("/search", query_string={"q": "parliament", "from": value})
    assert response.status_code == 400
    assert "'from'" in response.get_json()["message"]


def test_words_beyond_the_term_limit_are_ignored_and_flagged(make_index):
    index_dir = make_index([{"id": "a", "lang": "en", "title": "one two three"}])
    client = create_app({"index_dir": index_dir, "max_query_terms": 3}).test_client()
    body = client.get("/search", query_string={"q": "one two three four five"}).get_json()
    assert body["truncated"] is True
    assert [hit["id"] for hit in body["results"]] == ["a"]
    short = client.get("/search", query_string={"q": "one two"}).get_json()
    assert short["truncated"] is False


def test_an_article_without_a_url_has_null_url_in_search_and_related(search_client):
    client = search_client(
        [
            {"id": "n1", "lang": "en", "title": "Harbour cranes", "body": "Harbour cranes move."},
            {"id": "n2", "lang": "en", "title": "Harbour ferries", "body": "Harbour ferries sail."},
        ]
    )
    hits = client.search("harbour")["results"]
    assert [hit["url"] for hit in hits] == [None, None]
    related = client.http.get("/articles/n1/related").get_json()["results"]
    assert related and all(item["url"] is None for item in related)


def test_the_snippet_shows_the_match_when_it_is_past_the_start_of_the_body(client):
    """en-018's body says "parliamentary" early (another term) and "parliament" at its end."""
    hits = client.get("/search?q=parliament&per_page=20").get_json()["results"]
    snippet = next(hit["snippet"] for hit in hits if hit["id"] == "en-018")
    assert "<mark>parliament</mark>" in snippet


def test_every_snippet_of_a_one_word_search_is_marked_when_the_body_has_the_word(client):
    for query in ("parliament", "парламент", "budget", "pipeline"):
        for hit in client.get("/search", query_string={"q": query, "per_page": 50}).get_json()[
            "results"
        ]:
            assert "<mark>" in hit["snippet"] or "<mark>" in hit["title_html"], (query, hit["id"])


@pytest.mark.parametrize("raw", ["q=%ff", "q=caf%e9", "q=ok&lang=%c3", "q=%ff%fe%fd"])
def test_a_parameter_that_is_not_utf8_is_400_invalid_parameter(client, raw):
    for path in ("/search", "/suggest"):
        response = client.get(f"{path}?{raw}")
        assert response.status_code == 400, (path, raw)
        body = response.get_json()
        assert body["error"] == "invalid_parameter"
        assert "not valid UTF-8" in body["message"]
    page = client.get(f"/?{raw}")
    assert page.status_code == 400 and page.mimetype == "text/html"
