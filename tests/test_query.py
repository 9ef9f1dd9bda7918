"""Reader text → clauses → Whoosh query, and what those queries find in a real index."""

from __future__ import annotations

import pytest

from search_service import create_app
from search_service.searching.query import Clause, most_selective, parse
from tests.support.corpus import build_index

# Parsing -------------------------------------------------------------------------------------


def word(text: str, *, excluded: bool = False) -> Clause:
    return Clause(text, phrase=False, excluded=excluded)


def phrase(text: str, *, excluded: bool = False) -> Clause:
    return Clause(text, phrase=True, excluded=excluded)


@pytest.mark.parametrize(
    ("text", "clauses"),
    [
        ("harbour", [word("harbour")]),
        ("  harbour   cranes \t", [word("harbour"), word("cranes")]),
        ('"harbour cranes"', [phrase("harbour cranes")]),
        ('"harbour cranes" blue', [phrase("harbour cranes"), word("blue")]),
        ('blue" harbour cranes "', [word("blue"), phrase("harbour cranes")]),
        ("«новый мост»", [phrase("новый мост")]),
        ("“harbour cranes”", [phrase("harbour cranes")]),
        ("„harbour cranes“", [phrase("harbour cranes")]),
        ("cranes -paint", [word("cranes"), word("paint", excluded=True)]),
        ('cranes -"blue paint"', [word("cranes"), phrase("blue paint", excluded=True)]),
        ("cranes -«синяя краска»", [word("cranes"), phrase("синяя краска", excluded=True)]),
        ("e-mail", [word("e-mail")]),
        ("well-known e-mail", [word("well-known"), word("e-mail")]),
        ("spam -e-mail", [word("spam"), word("e-mail", excluded=True)]),
        ("Bakı-Tbilisi", [word("Bakı-Tbilisi")]),
    ],
)
def test_parse_splits_reader_text_into_clauses(text, clauses):
    assert parse(text) == clauses


@pytest.mark.parametrize(
    ("text", "clauses"),
    [
        ('harbour "cranes', [word("harbour"), word("cranes")]),
        ('"harbour cranes', [word("harbour"), word("cranes")]),
        ('"harbour cranes" "blue', [phrase("harbour cranes"), word("blue")]),
        ("«harbour cranes", [word("harbour"), word("cranes")]),
        ('"', []),
        ('"""', []),
    ],
)
def test_parse_ignores_an_unbalanced_quote(text, clauses):
    assert parse(text) == clauses


@pytest.mark.parametrize(
    ("text", "clauses"),
    [
        ("-paint", [word("-paint")]),
        ("-blue -paint", [word("-blue"), word("-paint")]),
        ('-"blue paint"', [phrase("-blue paint")]),
    ],
)
def test_parse_takes_a_query_of_only_excluded_clauses_literally(text, clauses):
    assert parse(text) == clauses


@pytest.mark.parametrize("text", ["", "   ", '""', '" "', "«»", "\t\n"])
def test_parse_of_empty_text_or_empty_quotes_is_no_clauses(text):
    assert parse(text) == []


def test_minus_inside_a_word_does_not_exclude():
    assert parse("blue-paint") == [word("blue-paint")]
    assert parse("2024-2025") == [word("2024-2025")]


def test_a_query_over_the_limit_keeps_its_rarest_clauses_in_order():
    counts = {"the": 900, "harbour": 40, "cranes": 3, "of": 950, "xyzzy": 0, "blue": 120}
    clauses = parse("the harbour cranes of xyzzy blue")
    kept = most_selective(clauses, 3, lambda clause: counts[clause.text])
    assert [c.text for c in kept] == ["harbour", "cranes", "blue"]
    assert most_selective(clauses, 6, lambda clause: 0) == clauses


def test_a_pasted_paragraph_is_searched_by_its_rarest_words(news):
    client = create_app({"index_dir": news, "max_query_terms": 1}).test_client()
    body = client.get("/search", query_string={"q": "blue harbour lighthouse"}).get_json()
    assert body["truncated"] is True
    assert [hit["id"] for hit in body["results"]] == ["cranes"]  # the one with "lighthouse"


# Searching a real index ----------------------------------------------------------------------

ARTICLES = [
    {
        "id": "cranes",
        "lang": "en",
        "title": "Harbour cranes turn blue",
        "body": "Workers coated the old harbour cranes over the winter. "
        "Fishermen say the blue cranes can be seen from the lighthouse.",
    },
    {
        "id": "paint",
        "lang": "en",
        "title": "Paint shortage delays harbour works",
        "body": "A shortage of blue paint stopped the works. Cranes stood idle, "
        "and the harbour master sent an e-mail to the council.",
    },
    {
        "id": "gulls",
        "lang": "en",
        "title": "Gulls return to the cliffs",
        "body": "Birdwatchers counted more gulls than last spring. Blue skies helped.",
    },
    {
        "id": "bridge",
        "lang": "ru",
        "title": "Над рекой построят новый мост",
        "body": "Новый пешеходный мост соединит два берега реки к осени.",
    },
    {
        "id": "paint-ru",
        "lang": "ru",
        "title": "Синяя краска для моста",
        "body": "Мост покрасят синей краской, а фонари заменят.",
    },
    {
        "id": "park",
        "lang": "az",
        "title": "Bakıda yeni park açıldı",
        "body": "Yeni parkda uşaqlar üçün meydança və velosiped yolu var.",
    },
]


# Read-only: built once for the module.
@pytest.fixture(scope="module")
def news(tmp_path_factory):
    return build_index(tmp_path_factory.mktemp("news"), ARTICLES)


@pytest.fixture(scope="module")
def english_news(tmp_path_factory):
    return build_index(tmp_path_factory.mktemp("english-news"), ARTICLES[:3])


@pytest.fixture(scope="module")
def news_api(news):
    return create_app({"index_dir": news}).test_client()


def found(response) -> set[str]:
    assert response.total == len(response.results)  # the test index fits on one page
    return {hit.id for hit in response.results}


def test_every_word_must_match(news, run_search):
    assert found(run_search(news, "harbour cranes")) == {"cranes", "paint"}
    assert found(run_search(news, "harbour gulls")) == {"cranes", "paint", "gulls"}
    assert run_search(news, "harbour gulls").relaxed


def test_articles_with_some_words_follow_those_with_all(news, run_search):
    ranked = [hit.id for hit in run_search(news, "crane lighthouses").results]
    assert ranked[0] == "cranes" and "paint" in ranked[1:]


def test_words_match_inflected_forms(news, run_search):
    assert run_search(news, "crane lighthouses").results[0].id == "cranes"
    assert found(run_search(news, "shortages")) == {"paint"}
    assert found(run_search(news, "мостом")) == {"bridge", "paint-ru"}


def test_phrase_matches_only_adjacent_words_in_order(news, run_search):
    assert found(run_search(news, '"blue cranes"')) == {"cranes"}
    assert found(run_search(news, '"cranes blue"')) == set()
    assert found(run_search(news, '"harbour blue"')) == set()
    assert {hit.id for hit in run_search(news, "harbour blue").results[:2]} == {"cranes", "paint"}


def test_typographic_quotes_make_phrases_too(news, run_search):
    assert found(run_search(news, "«новый мост»")) == {"bridge"}
    assert found(run_search(news, "«мост новый»")) == set()
    assert found(run_search(news, "“blue paint”")) == {"paint"}


def test_phrase_of_inflected_words_matches_through_the_stemmer(news, run_search):
    assert found(run_search(news, '"синюю краску"')) == {"paint-ru"}


def test_a_joined_word_also_matches_its_parts_apart(make_index, run_search):
    index_dir = make_index(
        [
            {"id": "apart", "lang": "ru", "title": "Андроид внутри раскладушки"},
            {"id": "joined", "lang": "ru", "title": "Новая андроид-раскладушка вышла"},
            {"id": "half", "lang": "ru", "title": "Раскладушка для дачи"},
        ]
    )
    strict = run_search(index_dir, "андроид-раскладушка")
    assert [hit.id for hit in strict.results] == ["joined", "apart"]
    assert not strict.relaxed
    loose = run_search(index_dir, "андроид-раскладушка вышла")
    assert [hit.id for hit in loose.results][:1] == ["joined"]
    assert "half" in {hit.id for hit in loose.results}


def test_a_quoted_phrase_does_not_match_its_words_apart(make_index, run_search):
    index_dir = make_index([{"id": "apart", "lang": "ru", "title": "Андроид внутри раскладушки"}])
    assert run_search(index_dir, '"андроид раскладушка"').results == []


def test_excluded_word_removes_articles(news, run_search):
    assert found(run_search(news, "harbour -paint")) == {"cranes"}
    assert found(run_search(news, "blue -harbour")) == {"gulls"}
    assert found(run_search(news, "мост -краской")) == {"bridge"}


def test_excluded_phrase_removes_only_articles_with_the_phrase(news, run_search):
    assert found(run_search(news, 'harbour -"blue paint"')) == {"cranes"}
    assert found(run_search(news, 'harbour -"cranes blue"')) == {"cranes", "paint"}


def test_query_of_only_excluded_words_searches_for_them(news, run_search):
    assert found(run_search(news, "-shortage")) == {"paint"}


def test_hyphenated_word_matches_as_written_and_with_its_parts_apart(news, run_search):
    assert found(run_search(news, "e-mail")) == {"paint"}
    assert found(run_search(news, "mail-e")) == {"paint"}
    assert found(run_search(news, '"mail e"')) == set()


def test_azerbaijani_query_keeps_dotless_i(news, run_search):
    assert found(run_search(news, "BAKIDA")) == {"park"}
    assert found(run_search(news, "bakıda park")) == {"park"}


def test_language_filter_limits_results(news, run_search):
    assert found(run_search(news, "blue", lang="en")) == {"cranes", "paint", "gulls"}
    assert found(run_search(news, "blue", lang="ru")) == set()


ODDITIES = [
    '"',
    '"""',
    "(",
    ")",
    ":",
    "title:foo",
    "AND",
    "OR NOT",
    "*",
    "foo*",
    "?",
    "~2",
    "^3",
    "\\",
    "[a TO z]",
    "{}",
    "-",
    "--",
    "+",
    "&&",
    "||",
    "!",
    "/regex/",
    "🐳",
    "\u200d",
    "blue\u200dcranes",
    "\x00\x01\x07\x1b\x7f",
    "cranes\x00harbour",
    "x" * 1000,
    ("harbour cranes, blue paint; мост и краска — Bakıda park! " * 20)[:1000],
    ('"blue cranes" -"paint" «мост» ' * 40)[:1000],
    ("-" * 1000),
    ('"' * 999),
    ("(" * 500 + ")" * 500),
]


def oddity_id(text: str) -> str:
    return repr(text[:12]) + f"[{len(text)}]"


@pytest.mark.parametrize("text", ODDITIES, ids=oddity_id)
def test_odd_query_text_runs_as_plain_text(english_news, run_search, text):
    for sort in ("relevance", "newest"):
        response = run_search(english_news, text, sort=sort)
        assert response.query == text
        assert 0 <= len(response.results) <= response.total <= 3
        assert all(hit.id in {"cranes", "paint", "gulls"} for hit in response.results)


@pytest.mark.parametrize("text", ODDITIES, ids=oddity_id)
def test_odd_query_text_gets_a_200_from_the_api(news_api, text):
    response = news_api.get("/search", query_string={"q": text})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["query"] == text.strip()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("title:cranes", {"cranes", "paint"}),  # no field syntax: two words, relaxed
        ("cranes*", {"cranes", "paint"}),  # no wildcard: the star is dropped
        ("cran*", set()),  # ... so a prefix matches nothing by itself
        ("harbour AND gulls", {"cranes", "paint", "gulls"}),  # "and" is a word, relaxed
        ("(harbour)", {"cranes", "paint"}),
        ("blue^3", {"cranes", "paint", "gulls"}),  # no boost: "blue" and "3", relaxed
    ],
)
def test_query_syntax_characters_are_not_operators(news, run_search, text, expected):
    assert found(run_search(news, text)) == expected
