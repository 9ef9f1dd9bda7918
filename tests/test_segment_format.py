"""What a segment keeps, and how compactly: the unstemmed spelling words as a word list with
counts (not as terms with postings), every way Whoosh and our readers ask for them answering
as before; stored fields compressed against a dictionary; the publication time as a column."""

from __future__ import annotations

import json
import re
from collections import Counter

from search_service import config as settings
from search_service.indexing import reading, writer
from search_service.indexing.codec.words import SPELLING as _SPELLING
from search_service.indexing.store import IndexStore
from search_service.sources import read_sources

ARTICLES = [
    {"id": "a1", "lang": "en", "title": "Harbour cranes repaired", "body": "The cranes work."},
    {"id": "a2", "lang": "en", "title": "Harbour pilots strike", "body": "Pilots strike again."},
    {"id": "a3", "lang": "en", "title": "Council budget vote", "body": "The council voted."},
]
MORE = [
    {"id": "b1", "lang": "en", "title": "Harbour bridge opens", "body": "A bridge for cranes."},
]


def _expected(articles: list[dict[str, str]], parts: tuple[str, ...]) -> dict[bytes, int]:
    """Articles holding each word (lower-cased, as written) of ``parts``."""
    counts: Counter[bytes] = Counter()
    for article in articles:
        text = " ".join(article.get(part, "") for part in parts)
        counts.update({w.encode() for w in re.findall(r"\w+", text.lower())})
    return dict(counts)


def _words(reader, field: str) -> dict[bytes, int]:
    return {word: info.doc_frequency() for word, info in reader.iter_field(field)}


def test_spelling_words_are_a_word_list_with_the_count_of_articles_of_each(make_index):
    _, ix = IndexStore(make_index(ARTICLES)).open_current()
    reader = ix.reader()
    (terms,) = [leaf._terms for leaf, _ in reader.leaf_readers()]
    spelling_id = terms._fieldmap["spell_text_en"]

    assert set(terms._tindex.extras[_SPELLING]) >= {"spell_text_en", "spell_title_en"}
    # No spelling term is left in the terms file's table.
    assert not [k for k, _ in terms._tindex.items() if int.from_bytes(k[:2]) == spelling_id]
    assert _words(reader, "spell_text_en") == _expected(ARTICLES, ("title", "body"))
    assert _words(reader, "spell_title_en") == _expected(ARTICLES, ("title",))
    assert reader.doc_frequency("spell_text_en", "harbour") == 2
    assert reader.frequency("spell_text_en", "harbour") == 2.0
    assert reader.doc_frequency("spell_text_en", "nowhere") == 0
    assert ("spell_text_en", b"cranes") in reader and ("spell_text_en", b"crane") not in reader
    assert [w for w, _ in reader.iter_field("spell_text_en", "p")][:2] == [b"pilots", b"repaired"]
    # The search path's own reader of the terms file hands spelling fields to Whoosh's.
    (leaf,) = [leaf for leaf, _ in reader.leaf_readers()]
    assert reading.doc_frequency(leaf, "spell_text_en", b"harbour") == 2
    assert reading.doc_frequency(leaf, "text_en", b"harbour") == 2
    postings = reader.postings("spell_text_en", "cranes")
    assert list(postings.all_ids()) == [0]
    # Whoosh's cursor over a field's terms (its fuzzy-term search walks it).
    assert sorted(reader.terms_within("spell_text_en", "cranse", 2)) == ["cranes"]
    # All terms in the terms file's order: by field number, then bytes.
    every = list(reader.all_terms())
    order = terms._fieldmap
    assert every == sorted(every, key=lambda term: (order[term[0]], term[1]))
    assert ("spell_title_en", b"council") in every and ("text_en", b"council") in every


def test_merging_segments_adds_up_the_spelling_counts(make_index, tmp_path):
    index_dir = make_index(ARTICLES)
    source = tmp_path / "more.jsonl"
    source.write_text("".join(f"{json.dumps(a)}\n" for a in MORE))
    config = settings.load(index_dir=index_dir)
    writer.add(IndexStore(index_dir), read_sources([source]), config)
    _, ix = IndexStore(index_dir).open_current()
    assert len(ix.reader().leaf_readers()) == 2

    merging = writer._writer(ix)
    merging.commit(optimize=True)

    _, ix = IndexStore(index_dir).open_current()
    reader = ix.reader()
    assert len(reader.leaf_readers()) == 1
    assert _words(reader, "spell_text_en") == _expected(ARTICLES + MORE, ("title", "body"))
    assert reader.doc_frequency("spell_title_en", "harbour") == 3


def test_stored_fields_are_compressed_against_a_dictionary_of_the_segment(make_index):
    articles = [
        {
            "id": f"n{n}",
            "lang": "en",
            "title": f"Harbour report {n}",
            "lead": "The port authority said on Monday that traffic grew.",
            "body": f"Cargo volumes rose by {n} percent as the new cranes came into service.",
            "url": f"https://example.org/news/{n}",
            "tags": ["port", "economy"],
        }
        for n in range(200)
    ]
    _, ix = IndexStore(make_index(articles)).open_current()
    reader = ix.reader()
    perdocs = [leaf._perdoc for leaf, _ in reader.leaf_readers()]

    # Enough documents for a dictionary: it is written beside the stored fields' column.
    assert all(p.has_column("_zstored") and p.has_column("_zdict") for p in perdocs)
    stored = {fields["id"]: fields for fields in reader.all_stored_fields()}
    assert stored["n7"]["body"] == articles[7]["body"]
    assert stored["n199"]["title"] == "Harbour report 199"
    assert stored["n3"]["tags"] == ("port", "economy") or stored["n3"]["tags"] == [
        "port",
        "economy",
    ]


def test_a_small_segment_stores_its_fields_without_a_dictionary(make_index):
    _, ix = IndexStore(make_index(ARTICLES)).open_current()
    reader = ix.reader()
    (perdoc,) = [leaf._perdoc for leaf, _ in reader.leaf_readers()]

    assert perdoc.has_column("_zstored") and not perdoc.has_column("_zdict")
    assert [f["title"] for f in reader.all_stored_fields()] == [a["title"] for a in ARTICLES]


def test_the_publication_time_is_a_column_without_terms(make_index):
    dated = [{**a, "published": f"2024-05-0{n + 1}T10:00:00Z"} for n, a in enumerate(ARTICLES)]
    _, ix = IndexStore(make_index(dated)).open_current()
    reader = ix.reader()

    assert not [term for term in reader.all_terms() if term[0] == "published_at"]
    assert reader.has_column("published_at")
    assert [f for f, _ in reader.all_terms() if f == "published_day"]  # date filters use it
