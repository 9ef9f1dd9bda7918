"""/suggest, /articles/<id>/related, /openapi.json and CORS, over real indexes."""

from __future__ import annotations

import re

import jsonschema
import pytest
from openapi_spec_validator import validate as validate_spec

from search_service import create_app
from search_service.analysis.filters import fold, normalize, search_key
from search_service.web.openapi import spec

SPEC = spec()


def _check(path: str, response, method: str = "get") -> None:
    """Validate a real response against the OpenAPI response schema of its path and status."""
    described = SPEC["paths"][path][method]["responses"][str(response.status_code)]
    schema = described["content"]["application/json"]["schema"]
    jsonschema.validate(response.get_json(), {**schema, "components": SPEC["components"]})
    for header in described.get("headers", {}):
        assert header in response.headers, header


def test_openapi_document_is_valid_and_covers_every_endpoint(client):
    validate_spec(SPEC)
    served = client.get("/openapi.json").get_json()
    assert served["paths"] == SPEC["paths"]
    rules = {
        re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        for rule in client.application.url_map.iter_rules()
        if rule.endpoint != "static"
    }
    rules.discard("/")  # the HTML page, not part of the JSON API
    assert rules == set(SPEC["paths"])


@pytest.mark.parametrize(
    ("path", "url"),
    [
        ("/search", "/search?q=parliament&per_page=2"),
        ("/search", "/search?q=parliment"),
        ("/search", "/search?q=xyzzyplugh"),
        ("/search", "/search?q=gas&sort=newest&lang=en"),
        ("/search", "/search?q=x&page=0"),
        ("/search", "/search"),
        ("/search", "/search?q=" + "a" * 1001),
        ("/suggest", "/suggest?q=qarabag"),
        ("/suggest", "/suggest?q=budget%20par&lang=en&limit=3"),
        ("/suggest", "/suggest?q="),
        ("/suggest", "/suggest?q=par&limit=0"),
        ("/articles/{article_id}/related", "/articles/en-001/related"),
        ("/articles/{article_id}/related", "/articles/nope/related"),
        ("/healthz", "/healthz"),
        ("/openapi.json", "/openapi.json"),
    ],
)
def test_real_responses_match_the_openapi_description(client, path, url):
    _check(path, client.get(url))


def test_rate_limited_responses_match_the_description(sample_index):
    limits = {"ratelimit": "1/minute", "suggest_ratelimit": "1/minute"}
    client = create_app({"index_dir": sample_index, **limits}).test_client()
    for path, url in [("/search", "/search?q=gas"), ("/suggest", "/suggest?q=ga")]:
        client.get(url)
        response = client.get(url)
        assert response.status_code == 429
        _check(path, response)


def test_admin_responses_match_the_description(sample_index, tmp_path):
    import shutil

    index_dir = tmp_path / "index"
    shutil.copytree(sample_index, index_dir, symlinks=True)
    client = create_app({"index_dir": index_dir, "admin_token": "t"}).test_client()
    auth = {"Authorization": "Bearer t"}
    article = {"id": "x-1", "lang": "en", "title": "Harbour cranes", "body": "New cranes."}
    path = "/admin/articles/{article_id}"
    _check(path, client.put("/admin/articles/x-1", json=article, headers=auth), "put")
    _check(path, client.put("/admin/articles/x-1", json={"lang": "en"}, headers=auth), "put")
    _check(path, client.put("/admin/articles/x-1", json=article), "put")  # 401
    _check(path, client.delete("/admin/articles/x-1", headers=auth), "delete")
    batch = client.post("/admin/articles", json=[article, {"id": "bad"}], headers=auth)
    assert batch.status_code == 200
    _check("/admin/articles", batch, "post")
    _check("/admin/reindex", client.post("/admin/reindex", headers=auth), "post")  # 409
    _check("/admin/jobs/{job_id}", client.get("/admin/jobs/nope", headers=auth))


def test_unavailable_index_responses_match_the_description(tmp_path):
    empty = create_app({"index_dir": tmp_path}).test_client()
    for path, url in [("/suggest", "/suggest?q=a"), ("/healthz", "/healthz")]:
        response = empty.get(url)
        assert response.status_code == 503
        _check(path, response)


def test_search_key_ignores_case_and_diacritics():
    assert search_key("Qarabağ") == search_key("QARABAG") == "qarabag"
    assert search_key("Bakı") == search_key("BAKI") == "baki"
    assert search_key("Ərəb") == "ereb"
    assert search_key("Ёлка") == "елка"
    assert search_key("İstanbul") == "istanbul"
    assert search_key("Æsir") == "aesir"


def test_search_key_is_the_index_fold_of_the_normalized_word():
    """One folding table: what the folded field indexes is what suggestions compare."""
    for word in ("Qarabağ", "Şəki", "Gəncə", "Øresund", "Łódź", "Straße", "Æsir", "йогурт"):
        assert search_key(word) == fold(word.casefold())
    assert search_key("йогурт") == "йогурт"  # й is a letter of its own, not и with a mark


def _suggest(client, q, **params):
    response = client.get("/suggest", query_string={"q": q, **params})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["suggestions"]


def test_suggest_offers_the_word_with_its_diacritics(client):
    suggestions = _suggest(client, "qarabag")
    assert suggestions[0] == {
        "text": "Qarabağ",
        "kind": "query",
        "id": None,
        "url": None,
        "lang": None,
    }
    titles = [s["text"] for s in suggestions if s["kind"] == "article"]
    assert titles and all("qarabağ" in title.casefold() for title in titles)


def test_suggest_completes_the_last_partial_word_after_complete_ones(client):
    suggestions = _suggest(client, "the parl", lang="en")
    queries = [s["text"] for s in suggestions if s["kind"] == "query"]
    assert queries[:2] == ["the parliament", "the parliamentary"]


def test_typed_words_with_a_completion_are_offered_only_when_an_article_has_them(client):
    """No article of the sample has "budget parliament" or "prime middle" as a phrase."""
    for typed, never in (("budget parl", "budget parliament"), ("prime mi", "prime middle")):
        queries = [s["text"] for s in _suggest(client, typed) if s["kind"] == "query"]
        assert never not in queries


def test_suggest_offers_the_titles_with_every_typed_word(client):
    suggestions = _suggest(client, "budget parl", lang="en")
    articles = [s for s in suggestions if s["kind"] == "article"]
    assert articles[0]["id"] == "en-001"  # the title with both "budget" and "parliament"
    assert all(s["lang"] == "en" for s in articles)


def test_suggest_respects_the_language_and_limit(client):
    suggestions = _suggest(client, "пар", lang="ru", limit=3)
    assert len(suggestions) == 3
    assert all(re.match(r"[а-яё]", s["text"], re.IGNORECASE) for s in suggestions)
    assert _suggest(client, "парл", lang="en") == []


def test_suggest_after_a_space_offers_titles_with_the_typed_words(client):
    suggestions = _suggest(client, "baki ")
    assert suggestions and {s["kind"] for s in suggestions} == {"article"}
    # Turkic casing: BAKIDA (in Baku) is bakıda, which the Azerbaijani stemmer takes to bakı.
    assert all("bakı" in normalize(s["text"], turkic=True) for s in suggestions)


def test_suggest_sees_an_added_article_on_the_next_request(search_client, make_index):
    articles = [{"id": "a", "lang": "en", "title": "Zephyrine harbour opens", "body": "x"}]
    client = search_client(articles)
    assert _suggest(client.http, "zeph")[0]["text"] == "Zephyrine"  # cased as in the title

    from search_service import config as settings
    from search_service.indexing import writer
    from search_service.indexing.store import IndexStore
    from search_service.sources import read_sources
    from tests.support.corpus import write_jsonl

    extra = write_jsonl(
        client.index_dir.parent / "extra.jsonl",
        [{"id": "b", "lang": "en", "title": "Zeppelin museum", "body": "y"}],
    )
    writer.add(
        IndexStore(client.index_dir),
        read_sources([extra]),
        settings.load({}, index_dir=client.index_dir),
    )
    texts = {s["text"] for s in _suggest(client.http, "ze")}
    assert {"zephyrine", "zeppelin"} <= {t.casefold() for t in texts}


def test_an_update_reads_only_the_new_segment_into_the_suggest_vocabulary(search_client):
    """At 100,000 articles a language's vocabulary takes seconds to read: an update of the
    live build must not make the next keystroke in every worker pay for that again."""
    from search_service import config as settings
    from search_service.indexing import writer
    from search_service.indexing.store import IndexHandle, IndexStore
    from search_service.indexing.vocabulary.cache import VOCABULARIES
    from search_service.sources import read_sources
    from tests.support.corpus import write_jsonl

    # Enough articles that Whoosh keeps the build's segment rather than merging it with the
    # update's (it merges only small segments).
    articles = [
        {"id": f"a{n}", "lang": "en", "title": f"Zephyrine harbour opens pier {n}", "body": "x"}
        for n in range(40)
    ]
    client = search_client(articles)
    handle = IndexHandle(IndexStore(client.index_dir))
    before = VOCABULARIES.get(handle.searcher()[1], "en").lexicons

    extra = write_jsonl(
        client.index_dir.parent / "extra.jsonl",
        [{"id": "b", "lang": "en", "title": "Zeppelin museum", "body": "y"}],
    )
    config = settings.load({}, index_dir=client.index_dir)
    assert writer.add(IndexStore(client.index_dir), read_sources([extra]), config).indexed == 1
    after = VOCABULARIES.get(handle.searcher()[1], "en")

    assert len(after.lexicons) == len(before) + 1
    assert all(any(old is new for new in after.lexicons) for old in before)
    assert [word for _, word in after.complete("ze", 5)] == ["zephyrine", "zeppelin"]


RELATED_ARTICLES = [
    {"id": "dam", "lang": "en", "title": "River dam flood warning", "body": "The river dam "
     "spillway opened after the flood; engineers watch the reservoir level."},
    {"id": "close", "lang": "en", "title": "Flood warning as dam spillway opens", "body": "The "
     "reservoir level rose and the river dam spillway opened; engineers warn of a flood."},
    {"id": "partial", "lang": "en", "title": "Reservoir tourism", "body": "Visitors walk "
     "around the reservoir near the old river."},
    {"id": "other-lang", "lang": "az", "title": "Dam və flood", "body": "Spillway reservoir "
     "river dam flood engineers."},
    {"id": "unrelated", "lang": "en", "title": "Chess final", "body": "A chess grandmaster won."},
]  # fmt: skip


def test_related_ranks_the_closest_same_language_articles_first(search_client):
    client = search_client(RELATED_ARTICLES)
    body = client.http.get("/articles/dam/related").get_json()
    ids = [hit["id"] for hit in body["results"]]
    assert body["id"] == "dam" and body["lang"] == "en"
    assert "dam" not in ids
    assert ids[:2] == ["close", "partial"]
    assert "unrelated" not in ids
    assert ids.index("other-lang") > ids.index("partial")  # other languages after
    limited = client.http.get("/articles/dam/related?limit=1").get_json()
    assert [hit["id"] for hit in limited["results"]] == ["close"]


def test_related_for_an_unknown_id_is_a_404_json(client):
    response = client.get("/articles/nope/related")
    assert response.status_code == 404
    assert response.get_json() == {"error": "not_found", "message": "no article with id 'nope'"}
    assert client.get("/articles/en-001/related?limit=abc").status_code == 400


def test_cors_headers_only_for_configured_origins(sample_index):
    origin = "https://news.example.org"
    closed = create_app({"index_dir": sample_index}).test_client()
    response = closed.get("/search?q=gas", headers={"Origin": origin})
    assert "Access-Control-Allow-Origin" not in response.headers

    app = create_app({"index_dir": sample_index, "cors_origins": (origin,)})
    open_ = app.test_client()
    for url in ("/search?q=gas", "/suggest?q=ga", "/search"):
        response = open_.get(url, headers={"Origin": origin})
        assert response.headers["Access-Control-Allow-Origin"] == origin, url
        assert "Origin" in response.headers["Vary"]
    stranger = open_.get("/search?q=gas", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in stranger.headers
    other_path = open_.get("/healthz", headers={"Origin": origin})
    assert "Access-Control-Allow-Origin" not in other_path.headers
    preflight = open_.options("/suggest", headers={"Origin": origin})
    assert preflight.headers["Access-Control-Allow-Methods"] == "GET"


def test_cors_origins_setting_parses_a_list(monkeypatch, tmp_path):
    from search_service import config as settings

    config = settings.load(
        {"SEARCH_CORS_ORIGINS": "https://a.example/, https://b.example"}, index_dir=tmp_path
    )
    assert config.cors_origins == ("https://a.example", "https://b.example")
    assert settings.load({}, index_dir=tmp_path).cors_origins == ()


def test_keystrokes_after_the_first_reuse_the_words_and_phrases_read_for_the_build(
    search_client, monkeypatch
):
    """What keeps /suggest fast as a reader types (bench/suggest.py measures how fast): a
    build's words and phrases were counted when it was written; a worker maps them in once
    per segment, counts nothing, and reads nothing again on later keystrokes."""
    from search_service.indexing.vocabulary import counting, vocabfile

    reads: list[str] = []
    load, count_group = vocabfile.load, counting.count_group

    def loading(leaf):
        reads.append(f"load {leaf.segment().segment_id()}")
        return load(leaf)

    def counting_group(leaf, group):
        reads.append(f"count {group}")
        return count_group(leaf, group)

    client = search_client(
        [{"id": "p", "lang": "en", "title": "Parliament passes the harbour budget", "body": "x"}]
    )
    monkeypatch.setattr(vocabfile, "load", loading)
    monkeypatch.setattr(counting, "count_group", counting_group)
    assert _suggest(client.http, "p", lang="en")
    first = list(reads)
    assert first and all(read.startswith("load ") for read in first)

    for prefix in ("pa", "par", "parl", "harbour bu"):
        assert _suggest(client.http, prefix, lang="en")
    assert reads == first
