"""The fast paths of a search: the per-worker result cache and the bounded snippet window."""

from __future__ import annotations

import json

import pytest

from search_service import config as settings
from search_service import create_app
from search_service.analysis.memo import query_terms
from search_service.indexing import writer
from search_service.indexing.store import IndexStore
from search_service.searching import query as reader_query
from search_service.searching.cache import ResultCache
from search_service.searching.snippets import Snippets
from search_service.sources import read_sources
from tests.support.corpus import write_jsonl


def article(id: str, title: str, body: str = "") -> dict[str, str]:
    return {"id": id, "lang": "en", "title": title, "body": body or f"{title}. Filler text."}


ARTICLES = [
    article("a1", "Harbour cranes repaired"),
    article("a2", "Harbour pilots strike"),
]


def test_a_repeated_search_is_answered_from_the_cache_with_the_same_results(search_client):
    client = search_client(ARTICLES)

    first = client.http.get("/search?q=harbour")
    second = client.http.get("/search?q=harbour")

    assert (first.headers["X-Cache"], second.headers["X-Cache"]) == ("miss", "hit")
    one, two = first.get_json(), second.get_json()
    assert one.pop("took_ms") >= 0 and two.pop("took_ms") >= 0
    assert one.pop("search_id") != two.pop("search_id")  # each answer names itself
    assert one == two and one["total"] == 2


def test_different_parameters_are_different_cache_entries(search_client):
    client = search_client(ARTICLES)
    client.http.get("/search?q=harbour")

    response = client.http.get("/search?q=harbour&per_page=1")

    assert response.headers["X-Cache"] == "miss"
    assert len(response.get_json()["results"]) == 1


def test_an_add_to_the_live_index_invalidates_cached_answers(search_client, tmp_path):
    client = search_client(ARTICLES)
    assert client.search("cranes")["total"] == 1
    config = settings.load(index_dir=client.index_dir)
    source = write_jsonl(tmp_path / "new.jsonl", [article("a3", "New cranes ordered")])

    writer.add(IndexStore(client.index_dir), read_sources([source]), config)

    response = client.http.get("/search?q=cranes")
    assert response.headers["X-Cache"] == "miss"
    assert response.get_json()["total"] == 2


def test_cache_size_zero_turns_the_cache_off(search_client):
    app = create_app({"index_dir": search_client(ARTICLES).index_dir, "cache_size": 0})
    http = app.test_client()

    http.get("/search?q=harbour")
    response = http.get("/search?q=harbour")

    assert response.headers["X-Cache"] == "off"
    assert response.get_json()["total"] == 2


def test_the_cache_forgets_the_least_recently_used_entry_first():
    cache = ResultCache(2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1  # "b" is now the least recently used
    cache.put("c", 3)

    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (1, None, 3)
    assert (cache.hits, cache.misses) == (3, 1)


def test_a_match_near_the_end_of_a_long_body_is_marked_in_a_cut_passage(search_client):
    filler = " ".join(f"Sentence {n} about the weather." for n in range(200))
    body = f"{filler} The lighthouse keeper retired after forty years."
    client = search_client([article("long", "Coastal notes", body)])

    [hit] = client.search("lighthouse")["results"]

    assert "<mark>lighthouse</mark>" in hit["snippet"]
    assert hit["snippet"].startswith("…")
    assert len(hit["snippet"]) < 400


def test_a_field_without_lengths_is_looked_up_on_disk_once_per_segment(make_index):
    """Whoosh's own reader stats the disk for every posting of such a field while writing."""
    _, ix = IndexStore(make_index(ARTICLES)).open_current()
    [segment] = ix._segments()
    lengths = segment.codec().per_document_reader(ix.storage, segment)
    looked_up = []
    has_column = lengths.has_column
    lengths.has_column = lambda name: looked_up.append(name) or has_column(name)

    for _ in range(3):
        assert lengths.doc_field_length(0, "spell_text_en") == 0
    assert lengths.doc_field_length(0, "text_en") > 0

    assert len(looked_up) == 2


def test_a_cached_answer_is_written_as_the_standard_encoder_would_with_its_own_took_ms(
    search_client,
):
    client = search_client([article("r1", "Гавань: новые краны"), *ARTICLES])
    for query in ("harbour", "гавань", "harbour&per_page=1"):
        miss, hit = (client.http.get(f"/search?q={query}") for _ in range(2))
        assert (miss.headers["X-Cache"], hit.headers["X-Cache"]) == ("miss", "hit")
        for response in (miss, hit):
            body = response.get_data()
            standard = json.dumps(json.loads(body), ensure_ascii=False, separators=(",", ":"))
            assert body == (standard + "\n").encode()
            assert response.content_type == "application/json"
        assert json.loads(hit.get_data())["took_ms"] < 1000


HIGHLIGHTED_TEXTS = [
    "Bank banking embankment bank_rate BANK bank.",
    "The banks' banker banked on bank2 and 2bank, then bank",
    "Банк и банки: банковский банк",
    "café bank\u0301 bank \u0301bank ba\u0301nk bank",  # combining marks (an acute accent)
    "xbank bankx bank-bank bank",
    "Bank'ın bank'da bank ' bank bank'",  # words with an apostrophe, one word in Azerbaijani
    "",
]


def _highlighted_by_walking(terms, text):
    """What snippets mark, found the plain way: every word of the text analysed in turn."""
    found = []
    for match in terms.words.finditer(text):
        word = match.group()
        exact = query_terms(terms.schema, terms.fields[0][0], word)
        hit = not terms.exact.isdisjoint(exact) or any(
            not wanted.isdisjoint(query_terms(terms.schema, name, word))
            for name, _, wanted in terms.fields[1:]
        )
        if hit:
            found.append((exact[0] if exact else word, match.start(), match.end()))
    return found


@pytest.mark.parametrize("text", HIGHLIGHTED_TEXTS)
@pytest.mark.parametrize(
    "query, lang",
    [("bank", "en"), ("banks banking", "en"), ("банк", "ru"), ("cafe bank", "en"), ("bank", "az")],
)
def test_snippets_mark_the_words_a_word_by_word_analysis_marks(sample_index, query, lang, text):
    _, ix = IndexStore(sample_index).open_current()
    clauses = reader_query.parse(query)
    terms = Snippets(clauses, ix.schema, 200)._for({"lang": lang})

    marked = [(t.text, t.startchar, t.endchar) for t in terms.matches(text)]

    assert marked == _highlighted_by_walking(terms, text)
