"""The numpy evaluator (matching.py) finds the same articles with the same scores as Whoosh's
own matchers, for the query trees query.build makes, on a real multi-segment index with
deleted articles."""

from __future__ import annotations

import shutil
import weakref
from collections import OrderedDict
from pathlib import Path

import numpy as np
import pytest
from whoosh import query as wq

from search_service import config as settings
from search_service.indexing import reading, writer
from search_service.indexing.schema import language_groups
from search_service.indexing.store import IndexStore
from search_service.searching import columns, matching, scoring
from search_service.searching import query as reader_query
from search_service.searching.synonyms import for_setting as synonyms_for_setting
from search_service.sources.jsonl import read_sources
from tests.support.corpus import write_jsonl

READER_QUERIES = [
    "parliament",
    "oil reserves",
    "Baku marathon record",
    "Qarabag",  # the folded field
    "Bakıda",  # an Azerbaijani case ending
    "Карабах",  # Cyrillic: Latin languages skipped
    "парламентские выборы",
    "Петр Лебедев",  # е for ё
    '"central bank"',  # a phrase: Whoosh's own matcher, read out whole
    "oil -caspian",  # an exclusion
    "Karabakh",  # a synonym group across scripts
    "high-speed broadband",  # a joined word or its parts
    "xəzər neft",
]


def whoosh_scores(searcher, query: wq.Query) -> dict[int, float]:
    results = searcher.search(query, limit=None, optimize=False)
    return {hit.docnum: hit.score for hit in results}


def numpy_scores(searcher, query: wq.Query) -> dict[int, float]:
    matches, partial = matching.evaluate(searcher, query)
    assert not partial
    return dict(zip(matches.docnums.tolist(), matches.scores.tolist(), strict=True))


@pytest.fixture(scope="module")
def edited_index(sample_index: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample index plus a second segment (an added article) and deletions."""
    index_dir = tmp_path_factory.mktemp("edited") / "index"
    shutil.copytree(sample_index, index_dir, symlinks=True)
    config = settings.load({}, index_dir=index_dir)
    store = IndexStore(index_dir)
    article = {
        "id": "en-extra",
        "lang": "en",
        "title": "Parliament budget vote on oil revenue",
        "body": "The parliament in Baku approved the budget; Caspian oil pays for most of it.",
    }
    writer.add(
        store, read_sources([write_jsonl(index_dir.parent / "extra.jsonl", [article])]), config
    )
    writer.delete(store, ["en-001", "ru-001"], config)
    return index_dir


@pytest.mark.parametrize("match_all", [True, False], ids=["every word", "any word"])
@pytest.mark.parametrize("text", READER_QUERIES)
def test_evaluator_scores_every_match_as_whoosh_does(edited_index, text, match_all):
    _, ix = IndexStore(edited_index).open_current()
    with ix.searcher(weighting=scoring.weighting()) as searcher:
        assert len(searcher.leaf_searchers()) > 1 and searcher.reader().has_deletions()
        clauses = reader_query.parse(text)
        synonyms = synonyms_for_setting(settings.load({}).synonyms_file)
        query = reader_query.build(
            clauses,
            searcher.schema,
            language_groups(searcher.schema),
            match_all=match_all,
            synonyms=synonyms,
        )
        expected = whoosh_scores(searcher, query)
        found = numpy_scores(searcher, query)

    assert expected, f"{text!r} should match something in the sample corpus"
    assert found.keys() == expected.keys()
    for docnum, score in expected.items():
        assert found[docnum] == pytest.approx(score, rel=1e-9)


@pytest.mark.parametrize("text", ["oil reserves parliament", "Baku marathon record"])
def test_watched_clauses_record_the_articles_each_clause_matches(edited_index, text):
    _, ix = IndexStore(edited_index).open_current()
    with ix.searcher(weighting=scoring.weighting()) as searcher:
        groups = language_groups(searcher.schema)
        parts: dict = {}
        query = reader_query.build(
            reader_query.parse(text), searcher.schema, groups, match_all=False, parts=parts
        )
        watch = {id(q): [] for queries in parts.values() for q in queries}
        matching.evaluate(searcher, query, watch=watch)
        alone = {
            clause: matching.evaluate(
                searcher, reader_query.build([clause], searcher.schema, groups)
            )[0].docnums
            for clause in parts
        }

    assert [c.text for c in parts] == text.split()
    for clause, queries in parts.items():
        recorded = np.unique(np.concatenate([ids for q in queries for ids in watch[id(q)]]))
        assert recorded.tolist() == alone[clause].tolist()


@pytest.mark.parametrize(
    "query",
    [
        wq.Term("lang", "az"),
        wq.Term("category", "economy"),
        wq.NumericRange("published_day", 20240101, None),
    ],
    ids=["language", "category", "date range"],
)
def test_filters_match_as_whoosh_does(edited_index, query):
    _, ix = IndexStore(edited_index).open_current()
    with ix.searcher(weighting=scoring.weighting()) as searcher:
        expected, found = whoosh_scores(searcher, query), numpy_scores(searcher, query)
    assert expected
    assert found == pytest.approx(expected)


def test_a_phrase_needs_its_words_next_to_each_other_in_order(make_index):
    index_dir = make_index(
        [
            {"id": "adjacent", "lang": "en", "title": "Rates", "body": "The central bank met."},
            {
                "id": "apart",
                "lang": "en",
                "title": "Square",
                "body": "A bank in the central square.",
            },
            {"id": "reversed", "lang": "en", "title": "Notes", "body": "Bank central notes."},
        ]
    )
    _, ix = IndexStore(index_dir).open_current()
    with ix.searcher(weighting=scoring.weighting()) as searcher:
        phrase = wq.Phrase("text_en", ["central", "bank"])
        found, expected = numpy_scores(searcher, phrase), whoosh_scores(searcher, phrase)
        ids = {searcher.stored_fields(docnum)["id"] for docnum in found}

    assert ids == {"adjacent"}
    assert found.keys() == expected.keys()
    assert list(found.values()) == pytest.approx(list(expected.values()), rel=1e-9)


def test_top_orders_by_score_then_document_number():
    matches = matching.Matches(
        np.array([2, 5, 7, 9], dtype=np.int64), np.array([1.0, 3.0, 1.0, 3.0])
    )
    assert matches.top(3) == [(5, 3.0), (9, 3.0), (2, 1.0)]
    assert matches.top(10) == [(5, 3.0), (9, 3.0), (2, 1.0), (7, 1.0)]


def test_per_segment_arrays_stay_within_their_memory_bound(edited_index, monkeypatch):
    monkeypatch.setattr(columns, "_CACHE", OrderedDict())  # start empty: every array is read
    monkeypatch.setattr(columns, "_cache_bytes", 0)
    monkeypatch.setattr(columns, "CACHE_BYTES", 200)  # below one field's lengths array
    _, ix = IndexStore(edited_index).open_current()
    with ix.searcher(weighting=scoring.weighting()) as searcher:
        for text in READER_QUERIES:
            query = reader_query.build(
                reader_query.parse(text), searcher.schema, language_groups(searcher.schema)
            )
            matching.evaluate(searcher, query)

    assert len(columns._CACHE) == 1  # only the newest entry is kept
    assert columns._cache_bytes == next(iter(columns._CACHE.values()))[1]


def test_postings_read_from_the_maps_are_what_whoosh_reads(edited_index):
    """Every term of every segment: document numbers, weights, doc frequency and positions
    as Whoosh's own matcher and format read them."""
    _, ix = IndexStore(edited_index).open_current()
    with ix.searcher() as searcher:
        checked = 0
        for leaf, _ in searcher.leaf_searchers():
            reader = leaf.reader()
            for field, text in reader.all_terms():
                if field.startswith("spell_"):
                    continue
                postings = reading.postings(reader, field, text)
                matcher = reader.postings(field, text)  # deleted articles filtered out
                expected = []
                while matcher.is_active():
                    expected.append((matcher.id(), matcher.weight()))
                    matcher.next()
                kept = np.isin(postings.ids, list(reader.deleted_docs_set), invert=True)
                found = zip(
                    postings.ids[kept].tolist(), postings.weights[kept].tolist(), strict=True
                )
                assert list(found) == expected, (field, text)
                assert reading.doc_frequency(reader, field, text) == reader.doc_frequency(
                    field, text
                )
                format_ = reader.schema[field].format
                if field.startswith("text_"):
                    values = postings.values_for(postings.ids)
                    found, counts = reading.positions(values)
                    decoded = [format_.decode_positions(v) for v in values]
                    assert found.tolist() == [p for d in decoded for p in d]
                    assert counts.tolist() == [len(d) for d in decoded]
                checked += 1
            assert reading.postings(reader, "text_en", b"no-such-term") is None
    assert checked > 1000


def test_a_term_in_several_blocks_reads_as_whoosh_reads_it(make_index):
    """More articles with a word than a postings block holds (512), some with it twice."""
    articles = [
        {
            "id": f"a{n}",
            "lang": "en",
            "title": f"Harbour note {n}",
            "body": "harbour " * (1 + n % 3) + ("tide" if n % 7 else "storm"),
        }
        for n in range(1100)
    ]
    _, ix = IndexStore(make_index(articles)).open_current()
    blocks = 0
    with ix.searcher() as searcher:
        for leaf, _ in searcher.leaf_searchers():
            reader = leaf.reader()
            for word in ("harbour", "tide", "storm"):
                postings = reading.postings(reader, "text_en", word.encode())
                matcher = reader.postings("text_en", word)
                expected = []
                while matcher.is_active():
                    expected.append((matcher.id(), matcher.weight()))
                    matcher.next()
                found = zip(postings.ids.tolist(), postings.weights.tolist(), strict=True)
                assert list(found) == expected
                values = postings.values_for(postings.ids[::5])
                decoded = [reader.schema["text_en"].format.decode_positions(v) for v in values]
                assert reading.positions(values)[0].tolist() == [p for d in decoded for p in d]
                blocks = max(blocks, len(postings.blocks))
    assert blocks > 1


@pytest.mark.parametrize(
    "words",
    [["bank", "bank"], ["central", "bank", "rate"], ["bank", "rate", "bank"], ["rate", "rate"]],
)
def test_longer_phrases_and_repeated_words_match_as_whoosh_matches_them(make_index, words):
    texts = [
        "The central bank rate rose; the bank rate bank met.",
        "Bank bank notes and a rate rate table.",
        "Central bank, rate: bank.",
        "A central bank. Rate bank rate bank rate.",
        "Nothing about it.",
    ]
    index_dir = make_index(
        [{"id": f"t{n}", "lang": "en", "title": "Notes", "body": t} for n, t in enumerate(texts)]
    )
    _, ix = IndexStore(index_dir).open_current()
    with ix.searcher(weighting=scoring.weighting()) as searcher:
        phrase = wq.Phrase("text_en", words)
        found, expected = numpy_scores(searcher, phrase), whoosh_scores(searcher, phrase)
    assert expected
    assert found == pytest.approx(expected, rel=1e-9)


def test_segments_without_maps_are_read_through_whoosh(edited_index, monkeypatch):
    """A segment whose files cannot be mapped (a compound file) is read through Whoosh's own
    matcher, with the same answers."""
    monkeypatch.setattr(reading, "_mapped", lambda structfile: None)
    monkeypatch.setattr(reading, "_FILES", weakref.WeakKeyDictionary())
    _, ix = IndexStore(edited_index).open_current()
    with ix.searcher(weighting=scoring.weighting()) as searcher:
        for text in READER_QUERIES:
            query = reader_query.build(
                reader_query.parse(text), searcher.schema, language_groups(searcher.schema)
            )
            expected = whoosh_scores(searcher, query)
            assert numpy_scores(searcher, query) == pytest.approx(expected, rel=1e-9), text
        assert reading._FILES and not any(files.usable for files in reading._FILES.values())
