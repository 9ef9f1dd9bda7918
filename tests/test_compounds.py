"""Joined words in queries: possessives, compounds of stop words, parts counted once."""

from __future__ import annotations

import pytest
from whoosh import query as wq

from search_service.indexing.schema import build_schema
from search_service.searching.query import Clause, build, parse
from tests.support.corpus import result_ids as ids
from tests.support.corpus import shared_client


def article(id: str, lang: str, title: str, body: str) -> dict[str, str]:
    return {"id": id, "lang": lang, "title": title, "body": body}


ARTICLES = [
    article("en-norway", "en", "Fjord ferries", "Norway ordered four electric ferries."),
    article("ru-rain", "ru", "Погода", "Матч перенесли: ливень затопил поле."),
    article("az-rain", "az", "Hava", "Leysan yağış səbəbindən oyun təxirə salındı."),
    article("en-rain", "en", "Weather", "The final was put off as a downpour hit the city."),
]


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    return shared_client(tmp_path_factory, ARTICLES)


@pytest.mark.parametrize("q", ["Norway's ferries", "Norway’s", "NORWAY'S"])
def test_a_possessive_finds_the_word_without_it(client, q):
    body = client.search(q)

    assert ids(body) == ["en-norway"]
    assert body["full_matches"] == 1


def test_a_possessive_is_stripped_only_at_the_end_of_a_word():
    assert parse("rock'n'roll Norway's") == [Clause("rock'n'roll"), Clause("Norway")]


@pytest.mark.parametrize(
    ("q", "found"),
    [("из-за ливень", "ru-rain"), ("don't downpour", "en-rain"), ("sea-of downpour", None)],
)
def test_a_compound_of_stop_words_is_not_required(client, q, found):
    body = client.search(q)

    if found:
        assert ids(body) == [found] and body["full_matches"] == 1
    else:  # "sea" is no stop word: the compound still counts
        assert body["full_matches"] == 0


@pytest.mark.parametrize(
    ("lang", "joined", "parts"),
    [("en", "sea-level", ["sea", "level"]), ("az", "Bakı-Sumqayıt", ["bakı", "sumqayıt"])],
)
def test_a_joined_word_counts_its_parts_once_when_any_word_may_match(lang, joined, parts):
    schema = build_schema([lang])

    query = build([Clause(joined), Clause("harbour")], schema, [lang], match_all=False)

    terms = [
        t.text for t in query.leaves() if isinstance(t, wq.Term) and t.field() == f"text_{lang}"
    ]
    assert [terms.count(part) for part in parts] == [1, 1]


def test_a_joined_word_with_a_synonym_part_finds_the_article_with_the_part_apart(client):
    body = client.search("leysan-downpour", lang="az")

    assert ids(body) == ["az-rain"] and body["full_matches"] == 0
