"""/suggest offers frequent phrases of the index (titles and leads), in every language, ranked
by usefulness and matched without regard to case or diacritics; counting them stays bounded."""

from __future__ import annotations

import pytest

from search_service.indexing.store import IndexStore
from search_service.indexing.vocabulary import phrases
from tests.support.corpus import PHRASE_ARTICLES as ARTICLES
from tests.support.corpus import article


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    from search_service import config as settings
    from search_service.indexing import writer
    from search_service.sources import read_sources
    from tests.support.corpus import SearchClient, write_jsonl

    folder = tmp_path_factory.mktemp("phrases")
    source = write_jsonl(folder / "articles.jsonl", ARTICLES)
    index_dir = folder / "index"
    writer.rebuild(
        IndexStore(index_dir), read_sources([source]), settings.load({}, index_dir=index_dir)
    )
    return SearchClient(index_dir)


def _queries(client, q: str, **params) -> list[str]:
    response = client.http.get("/suggest", query_string={"q": q, **params})
    assert response.status_code == 200, response.get_data(as_text=True)
    return [s["text"] for s in response.get_json()["suggestions"] if s["kind"] == "query"]


def test_a_partial_word_is_completed_to_a_frequent_english_phrase(client):
    assert "central bank" in _queries(client, "cent", lang="en")
    assert _queries(client, "central ", lang="en")[0] == "central bank"


def test_a_phrase_that_continues_the_typed_words_outranks_a_more_frequent_word(client):
    queries = _queries(client, "prime mi", lang="en")
    # "ministry" is in more articles than "minister", but no article has "prime ministry".
    assert queries[0] == "prime minister"
    assert "prime ministry" not in queries


def test_typed_words_before_the_phrase_are_kept_when_an_article_has_them_all(client):
    assert _queries(client, "the central b", lang="en")[0] == "the central bank"
    # "rates" and "central bank" are in article 1, but never one after the other
    assert "rates central bank" not in _queries(client, "rates central b", lang="en")


def test_russian_phrase_completions_ignore_yo_and_case(client):
    assert "ёлочный базар" in _queries(client, "елочн", lang="ru")
    assert _queries(client, "Ёлочный ", lang="ru")[0] == "ёлочный базар"


def test_azerbaijani_phrase_completions_ignore_diacritics(client):
    assert "Dağlıq Qarabağ" in _queries(client, "dagliq", lang="az")
    assert _queries(client, "dagliq q", lang="az")[0] == "Dağlıq Qarabağ"
    assert "Dağlıq Qarabağ" in _queries(client, "dagl")  # without lang: every language


def test_a_phrase_must_recur_and_stops_at_punctuation(client):
    # "Центральный банк" is in one Russian article only; "rates central" spans no boundary
    # but is in one article.
    assert "центральный банк" not in [q.casefold() for q in _queries(client, "центр", lang="ru")]
    _, ix = IndexStore(client.index_dir).open_current()
    with ix.searcher() as searcher:
        counted = phrases.count_phrases(searcher.reader(), "en")
    assert counted["central bank"] == 3 and counted["prime minister"] == 3
    # No phrase starts or ends with a stop word, or crosses the comma of "staff, ministry".
    assert not [p for p in counted if p.split()[0] in {"the", "of"} or "staff ministry" in p]


def test_counting_is_bounded_and_keeps_what_is_frequent(make_index, monkeypatch):
    frequent = [article(n, "en", f"Harbour crane number{n} moves", "") for n in range(30)]
    noise = [
        article(100 + n, "en", f"Alpha{n} beta{n} gamma{n} delta{n}", f"Epsilon{n} zeta{n}")
        for n in range(60)
    ]
    mixed = [a for pair in zip(noise, frequent, strict=False) for a in pair] + noise[30:]
    _, ix = IndexStore(make_index(mixed)).open_current()
    monkeypatch.setattr(phrases, "MAX_TRACKED", 40)  # far fewer than the 450 candidates
    with ix.searcher() as searcher:
        assert phrases.count_phrases(searcher.reader(), "en") == {"Harbour crane": 30}


def test_a_large_language_is_counted_on_a_sample_and_scaled_up(make_index, monkeypatch):
    _, ix = IndexStore(
        make_index([article(n, "en", f"Harbour crane story{n}", "") for n in range(40)])
    ).open_current()
    monkeypatch.setattr(phrases, "SAMPLE", 10)  # every 4th article
    with ix.searcher() as searcher:
        assert phrases.count_phrases(searcher.reader(), "en")["Harbour crane"] == 40
