"""Every /suggest example of the HTTP API page reproduces on the sample corpus, and a suggestion is
always a word or phrase that some article of its language has as written."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from search_service.analysis.filters import normalize
from search_service.sources import SAMPLE_CORPUS

API_DOCS = (Path(__file__).resolve().parent.parent / "docs" / "http-api.md").read_text(
    encoding="utf-8"
)


def _suggest(client, q: str, **params) -> list[dict]:
    response = client.get("/suggest", query_string={"q": q, **params})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["suggestions"]


def _queries(client, q: str, **params) -> list[str]:
    return [s["text"] for s in _suggest(client, q, **params) if s["kind"] == "query"]


def test_the_documented_suggest_response_is_what_the_sample_gives(client):
    example = re.search(
        r"\$ curl 'http://127\.0\.0\.1:8000(/suggest\?[^']+)'\n(\{.*?\]\})\n```", API_DOCS, re.S
    )
    assert example, "the /suggest example is missing from docs/http-api.md"
    documented = json.loads(example.group(2).replace("\n", ""))
    actual = client.get(example.group(1)).get_json()
    assert {**actual, "took_ms": None} == {**documented, "took_ms": None}


@pytest.mark.parametrize(
    ("typed", "first"),
    [
        ("qarabag", "Qarabağ"),  # matching ignores diacritics
        ("baki", "Bakı"),
        ("prime mi", "prime minister"),  # a phrase continuing the typed words
        ("dagliq q", "Dağlıq Qarabağ"),
        ("central ", "central bank"),  # a phrase following a complete word
    ],
)
def test_documented_suggestion_examples_come_first(client, typed, first):
    assert f"`{typed}`" in API_DOCS or f"`{typed.strip()} `" in API_DOCS
    assert _queries(client, typed)[0] == first


@pytest.mark.parametrize(
    ("typed", "offered"),
    [
        ("qarabag", "Qarabağda"),
        ("cent", "central bank"),  # a phrase starting at the partial word
        ("pri", "prime minister"),
        ("ёлочн", "ёлочный базар"),  # the documented Russian phrase
    ],
)
def test_documented_suggestion_examples_are_offered(client, typed, offered):
    assert offered in _queries(client, typed)


@pytest.mark.parametrize("typed", ["qarabag", "Qarabağ", "QARABAG"])
def test_azerbaijani_suggestions_for_qarabag_are_its_written_forms(client, typed):
    queries = _queries(client, typed, lang="az")
    assert queries
    assert all(normalize(q).startswith("qarabağ") for q in queries)
    assert any(s["kind"] == "article" for s in _suggest(client, typed, lang="az"))


def test_azerbaijani_completions_are_words_not_stems(client):
    assert "qarabaq" not in [q.casefold() for q in _queries(client, "qara", lang="az")]
    assert _queries(client, "qələ", lang="az")[0] == "qələbə"
    assert "qələb" not in _queries(client, "qələ", lang="az")


def _articles_by_language() -> dict[str, list[str]]:
    texts: dict[str, list[str]] = {}
    for line in SAMPLE_CORPUS.open(encoding="utf-8"):
        article = json.loads(line)
        text = " ".join(article.get(part) or "" for part in ("title", "lead", "body"))
        words = re.findall(r"[^\W_]+", normalize(text, turkic=article["lang"] == "az"))
        texts.setdefault(article["lang"], []).append(f" {' '.join(words)} ")
    return texts


TYPED = [
    "qara", "qələ", "baki", "bak", "dagliq q", "iqti", "xəzər q", "neft ix",
    "prime mi", "budget parl", "the parl", "cent", "central ", "gas ex", "climate su", "pri",
    "парл", "парламент б", "ёлочн", "елочный б", "центр", "бюдж",
]  # fmt: skip


@pytest.mark.parametrize("lang", [None, "en", "ru", "az"])
def test_every_query_suggestion_occurs_as_written_in_an_article_of_its_language(client, lang):
    texts = _articles_by_language()
    pool = [text for code, group in texts.items() if lang in (None, code) for text in group]
    for typed in TYPED:
        for suggestion in _queries(client, typed, **({"lang": lang} if lang else {})):
            words = " ".join(re.findall(r"[^\W_]+", normalize(suggestion, turkic=lang == "az")))
            assert any(f" {words} " in text for text in pool), (typed, suggestion)
