"""Stop words and diacritic-insensitive matching, in a real index."""

from __future__ import annotations

import pytest

from search_service.analysis.filters import fold
from search_service.analysis.stopwords import stop_words
from search_service.indexing.schema import build_schema
from search_service.searching.query import build, parse
from tests.support.corpus import build_index

ARTICLES = [
    {"id": "who", "lang": "en", "title": "The Who play live in Glasgow", "body": "A concert."},
    {"id": "knows", "lang": "en", "title": "Who knows the harbour", "body": "Cranes stand."},
    {"id": "cranes", "lang": "en", "title": "Harbour cranes painted blue", "body": "Paint."},
    {"id": "bridge", "lang": "ru", "title": "Новый мост открыт", "body": "Мост длиной сто метров."},
    {"id": "az-exact", "lang": "az", "title": "Qarabağda yeni yol açıldı", "body": "Yol uzundur."},
    {"id": "az-uzb", "lang": "az", "title": "Özbək nümayəndə heyəti gəldi", "body": "Səfər."},
    {"id": "az-ascii", "lang": "az", "title": "Ozbek futbolçusu Bakıda", "body": "Oyun."},
    {"id": "tr", "lang": "tr", "title": "Azerbaycan ile ticaret büyüyor", "body": "İhracat."},
]


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    return build_index(tmp_path_factory.mktemp("language"), ARTICLES)


def ids(response) -> list[str]:
    return [hit.id for hit in response.results]


def test_stop_words_are_not_required_of_loose_words(index, run_search):
    # "the" is nowhere in the article, yet all the other words are
    assert ids(run_search(index, "the harbour cranes painted"))[0] == "cranes"
    assert ids(run_search(index, "и новый мост")) == ["bridge"]
    assert ids(run_search(index, "Qarabağda və yol")) == ["az-exact"]


def test_a_phrase_keeps_its_stop_words(index, run_search):
    assert ids(run_search(index, '"the who"')) == ["who"]
    assert set(ids(run_search(index, "who"))) == {"who", "knows"}


def test_a_query_of_stop_words_only_searches_them(index, run_search):
    assert set(ids(run_search(index, "who the"))) == {"who", "knows"}


def test_stop_lists_exist_for_the_site_languages():
    assert {"the", "and"} <= stop_words("en")
    assert {"и", "в"} <= stop_words("ru")
    assert {"və", "bu", "üçün"} <= stop_words("az")
    assert "deyil" not in stop_words("az")  # negation changes the meaning
    assert stop_words("generic") == frozenset()


@pytest.mark.parametrize(
    ("written", "folded"),
    [
        ("qarabağ", "qarabag"),
        ("azərbaycan", "azerbaycan"),
        ("özbək", "ozbek"),
        ("ışıq", "isiq"),
        ("çay", "cay"),
        ("café", "cafe"),
        ("йод", "йод"),  # Cyrillic letters keep their marks
    ],
)
def test_fold_drops_latin_diacritics_only(written, folded):
    assert fold(written) == folded


def test_query_without_diacritics_finds_the_diacritic_form(index, run_search):
    assert ids(run_search(index, "Qarabag")) == ["az-exact"]
    assert ids(run_search(index, "qarabagda yol")) == ["az-exact"]
    assert ids(run_search(index, "ticaret buyuyor", lang="tr")) == ["tr"]


def test_a_match_without_diacritics_is_highlighted_too(index, run_search):
    [hit] = run_search(index, "qarabagda yol").results
    assert hit.title_html == "<mark>Qarabağda</mark> yeni <mark>yol</mark> açıldı"
    [hit] = run_search(index, "ticaret buyuyor", lang="tr").results
    assert hit.title_html == "Azerbaycan ile <mark>ticaret</mark> <mark>büyüyor</mark>"


def test_exact_form_ranks_above_a_folded_match(index, run_search):
    assert ids(run_search(index, "Ozbek")) == ["az-ascii", "az-uzb"]
    assert ids(run_search(index, "Özbək")) == ["az-uzb", "az-ascii"]


def test_cyrillic_query_skips_latin_only_field_sets():
    schema = build_schema(("en", "ru", "az"))
    fields = {t.fieldname for t in build(parse("новый мост"), schema, ["en", "ru", "az"]).leaves()}
    assert fields and all(name.endswith("_ru") for name in fields)
    latin = {t.fieldname for t in build(parse("Baku мост"), schema, ["en", "ru"]).leaves()}
    assert {"text_en", "text_ru"} <= latin


def test_cyrillic_query_without_lang_finds_russian_articles(index, run_search):
    assert ids(run_search(index, "новый мост")) == ["bridge"]
