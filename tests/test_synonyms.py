"""Synonyms and transliterations: parsing, checking, expansion across scripts, live reload."""

from __future__ import annotations

import os

import pytest

from search_service import create_app
from search_service.cli import main
from search_service.searching import synonyms
from tests.support.corpus import build_index

ARTICLES = [
    {"id": "en-lit", "lang": "en", "title": "Karabakh roads reopen", "body": "Roads reopen."},
    {"id": "az-syn", "lang": "az", "title": "Qarabağda yollar açıldı", "body": "Yeni yollar."},
    {"id": "ru-syn", "lang": "ru", "title": "Карабах: дороги открыты", "body": "Новые дороги."},
    {"id": "en-baku", "lang": "en", "title": "Metro news from Baku", "body": "Trains run."},
    {"id": "en-nk", "lang": "en", "title": "Talks on Nagorno-Karabakh", "body": "Diplomats met."},
]


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    return build_index(tmp_path_factory.mktemp("synonyms"), ARTICLES)


def test_parse_maps_each_entry_to_the_rest_of_its_group():
    parsed = synonyms.parse("Baku, Bakı, Баку  # capital\n\n# comment\nGanja, Gəncə\n")
    assert parsed.groups == 2 and not parsed.problems
    assert parsed.lookup("БАКУ") == ("Baku", "Bakı")
    assert parsed.lookup("BAKI") == ("Baku", "Баку")  # Turkic casing: BAKI is bakı
    assert parsed.lookup("Moscow") == ()


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("Baku\n", "at least two entries"),
        ("Baku,, Bakı\n", "empty entry"),
        ("Baku, Bakı\nBAKU, Баку\n", "already in the group on line 1"),
        ("a b c d e f g, x\n", "more than 6 words"),
    ],
)
def test_check_reports_each_problem_with_its_line(tmp_path, text, problem):
    path = tmp_path / "synonyms.txt"
    path.write_text(text, encoding="utf-8")
    problems = synonyms.check(path)
    assert problems and problem in problems[0] and f"{path}:" in problems[0]


def test_the_starter_file_is_valid_and_covers_the_regions_names():
    assert synonyms.check(synonyms.starter_path()) == []
    starter = synonyms.for_setting("")
    assert "Карабах" in starter.lookup("Qarabağ")
    assert "Bakı" in starter.lookup("Baku")


def test_without_synonyms_only_the_literal_word_matches(index, run_search):
    found = {hit.id for hit in run_search(index, "Karabakh").results}
    assert found == {"en-lit", "en-nk"}


def test_synonym_matches_rank_below_literal_ones(index, tmp_path):
    app = create_app({"index_dir": index})
    with app.test_client() as client:
        ids = [hit["id"] for hit in client.get("/search?q=Karabakh").get_json()["results"]]
    assert ids[0] == "en-lit"
    assert {"az-syn", "ru-syn"} <= set(ids[1:])


def test_cyrillic_query_reaches_latin_articles_through_synonyms(index):
    app = create_app({"index_dir": index})
    with app.test_client() as client:
        ids = [hit["id"] for hit in client.get("/search?q=Баку").get_json()["results"]]
    assert ids == ["en-baku"]


def test_multi_word_entry_matches_a_run_of_words(index):
    app = create_app({"index_dir": index})
    with app.test_client() as client:
        body = client.get("/search?q=Dağlıq Qarabağ").get_json()
    assert [hit["id"] for hit in body["results"]][: body["full_matches"]] == ["en-nk"]


def test_edited_file_applies_to_the_next_query_without_restart(index, tmp_path):
    path = tmp_path / "synonyms.txt"
    path.write_text("Underground, Tube\n", encoding="utf-8")
    app = create_app({"index_dir": index, "synonyms_file": str(path)})
    with app.test_client() as client:
        assert client.get("/search?q=Underground").get_json()["results"] == []
        path.write_text("Underground, Metro\n", encoding="utf-8")
        stat = path.stat()
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
        ids = [hit["id"] for hit in client.get("/search?q=Underground").get_json()["results"]]
    assert ids == ["en-baku"]


def test_synonyms_none_switches_them_off(index):
    app = create_app({"index_dir": index, "synonyms_file": "none"})
    with app.test_client() as client:
        assert client.get("/search?q=Баку").get_json()["results"] == []


def test_cli_check_exits_1_and_lists_problems(runner, tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_text("Baku\nGanja, Gəncə\n", encoding="utf-8")
    result = runner.invoke(main, ["synonyms", "check", str(bad)])
    assert result.exit_code == 1
    assert "bad.txt:1: a group needs at least two entries" in result.output
    good = tmp_path / "good.txt"
    good.write_text("Ganja, Gəncə\n", encoding="utf-8")
    result = runner.invoke(main, ["synonyms", "check", str(good)])
    assert result.exit_code == 0 and "OK, 1 group(s)" in result.output


# On the sample corpus: every spelling of a name finds the same articles ----------------------


def _ids(client, q: str, **params) -> list[str]:
    body = client.get("/search", query_string={"q": q, "per_page": 100, **params}).get_json()
    return [hit["id"] for hit in body["results"]]


def test_every_spelling_of_karabakh_finds_the_same_articles_typed_with_or_without_diacritics(
    client,
):
    found = {q: sorted(_ids(client, q)) for q in ("Karabakh", "Garabagh", "Карабах", "Qarabağ")}
    assert len(found["Karabakh"]) >= 11
    assert all(ids == found["Karabakh"] for ids in found.values()), found
    for typed in ("Qarabag", "qarabag", "QARABAG", "Karabag"):
        assert sorted(_ids(client, typed)) == found["Karabakh"], typed


def test_a_synonym_typed_without_diacritics_makes_every_word_match(client):
    """baki → Bakı, Baku: the English article with "Baku" and "metro" has every word."""
    body = client.get("/search", query_string={"q": "baki metro"}).get_json()
    assert body["results"][0]["id"] == "en-003"
    assert body["full_matches"] >= 1


def test_synonym_lookup_ignores_diacritics_but_prefers_the_written_entry():
    parsed = synonyms.parse("Karabakh, Qarabağ, Карабах\nBaku, Bakı\n")
    assert parsed.lookup("Qarabag") == ("Karabakh", "Qarabağ", "Карабах")
    assert parsed.lookup("Qarabağ") == ("Karabakh", "Карабах")
    assert parsed.lookup("baki") == ("Baku", "Bakı")


NAGORNO_KARABAKH = ("Nagorno-Karabakh", "Нагорный Карабах", "Dağlıq Qarabağ", "Dagliq Qarabag")


@pytest.mark.parametrize("spelling", NAGORNO_KARABAKH)
def test_each_spelling_of_nagorno_karabakh_finds_the_articles_with_the_phrase_first(
    client, spelling
):
    body = client.get("/search", query_string={"q": spelling, "per_page": 100}).get_json()
    ids = [hit["id"] for hit in body["results"]]
    exact = ids[: body["full_matches"]]
    assert sorted(exact) == ["az-023", "az-024", "az-025"]  # "Dağlıq Qarabağ" as written
    # typed as two words, articles with some of them follow (relaxed), all about Karabakh
    assert set(ids) <= set(_ids(client, "Karabakh"))
    assert body["relaxed"] is (len(ids) > 3)


@pytest.mark.parametrize("spelling", NAGORNO_KARABAKH)
def test_a_phrase_no_article_has_finds_the_articles_with_its_parts(make_index, spelling):
    index_dir = make_index(ARTICLES[:4])  # Karabakh in three languages, no Nagorno-Karabakh
    client = create_app({"index_dir": index_dir}).test_client()
    body = client.get("/search", query_string={"q": spelling}).get_json()
    assert body["total"] > 0 and body["relaxed"] is True and body["full_matches"] == 0
    assert {"en-lit", "az-syn", "ru-syn"} <= {hit["id"] for hit in body["results"]}


def test_a_quoted_phrase_stays_exact(client):
    body = client.get("/search", query_string={"q": '"Dağlıq Qarabağ"'}).get_json()
    assert body["relaxed"] is False
    assert sorted(hit["id"] for hit in body["results"]) == ["az-023", "az-024", "az-025"]
