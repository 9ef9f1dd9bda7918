"""/suggest's words and phrases are counted when a segment is written and stored beside it:
the same answers as counting them when first asked (which a build without them still does),
kept right by later adds and deletes."""

from __future__ import annotations

import pytest

from search_service import config as settings
from search_service.indexing import writer
from search_service.indexing.store import IndexStore
from search_service.indexing.vocabulary import cache, counting, vocabfile
from search_service.sources import read_sources
from tests.support.corpus import PHRASE_ARTICLES as ARTICLES
from tests.support.corpus import SearchClient, article, write_jsonl

TYPED = ["cent", "central ", "prime mi", "the central b", "елочн", "Ёлочный ", "dagliq q", "dagl",
         "m", "q", "pa", "ба", "xyz"]  # fmt: skip


def _answers(index_dir) -> list[list[dict]]:
    client = SearchClient(index_dir).http
    found = []
    for q in TYPED:
        for lang in ("en", "ru", "az", None):
            query = {"q": q, **({"lang": lang} if lang else {})}
            response = client.get("/suggest", query_string=query)
            assert response.status_code == 200, response.get_data(as_text=True)
            found.append(response.get_json()["suggestions"])
    return found


def _vocab_files(index_dir) -> list:
    return sorted(IndexStore(index_dir).current().path.glob(f"*{vocabfile.EXTENSION}"))


@pytest.fixture
def fresh(monkeypatch):
    """No segment read by an earlier test stays in this process's memory."""
    monkeypatch.setattr(cache.VOCABULARIES, "_segments", {})


def test_a_build_without_stored_counts_answers_as_one_with_them(make_index, fresh, monkeypatch):
    """An older build has no counts beside its segments: they are counted on first use, and
    the answers are the same as from the stored ones."""
    index_dir = make_index(ARTICLES)
    assert _vocab_files(index_dir)
    stored = _answers(index_dir)
    assert any(s["text"] == "central bank" for answer in stored for s in answer)

    for path in _vocab_files(index_dir):
        path.unlink()
    monkeypatch.setattr(cache.VOCABULARIES, "_segments", {})
    counted: list[str] = []
    count_group = counting.count_group
    monkeypatch.setattr(
        counting, "count_group", lambda leaf, g: counted.append(g) or count_group(leaf, g)
    )
    assert _answers(index_dir) == stored
    assert {"en", "ru", "az"} <= set(counted)


def test_a_stored_table_reads_back_as_written(make_index):
    _, ix = IndexStore(make_index(ARTICLES)).open_current()
    with ix.reader() as reader:
        (leaf, _), *_ = reader.leaf_readers()
        stored, counted = vocabfile.load(leaf), counting.count_segment(leaf)
    assert stored is not None and set(stored) == set(counted)
    for group, mine in counted.items():
        theirs = stored[group]
        for table in ("words", "phrases"):
            a, b = getattr(mine, table), getattr(theirs, table)
            assert a.words.texts(0, len(a)) == b.words.texts(0, len(b))
            assert a.keys.texts(0, len(a)) == b.keys.texts(0, len(b))
            assert a.counts.tolist() == b.counts.tolist()
        assert (mine.step, mine.sample.tolist(), mine.least) == (
            theirs.step,
            theirs.sample.tolist(),
            theirs.least,
        )
    assert "central bank" in counted["en"].phrases.words.texts(0, len(counted["en"].phrases))


def _queries(index_dir, q: str) -> list[str]:
    response = SearchClient(index_dir).http.get("/suggest", query_string={"q": q, "lang": "en"})
    return [s["text"] for s in response.get_json()["suggestions"] if s["kind"] == "query"]


def _add(index_dir, articles: list[dict]) -> None:
    source = write_jsonl(index_dir.parent / f"add-{articles[0]['id']}.jsonl", articles)
    config = settings.load({}, index_dir=index_dir)
    writer.add(IndexStore(index_dir), read_sources([source]), config)


def test_phrases_of_articles_added_one_by_one_add_up(make_index, fresh):
    """Each add makes a segment of its own, counted when written; a phrase in three of them
    is as frequent as one in three articles of a build."""
    filler = [article(n, "en", f"Story number{n} of the day") for n in range(40)]
    index_dir = make_index(filler)
    assert "harbour crane" not in [q.casefold() for q in _queries(index_dir, "harbour c")]
    for n in range(3):
        _add(index_dir, [article(100 + n, "en", f"Harbour crane arrives{n}", "Workers wait.")])
        _queries(index_dir, "harb")  # the worker has read the segments so far
    assert len(_vocab_files(index_dir)) >= 2
    assert "Harbour crane" in _queries(index_dir, "harbour c")


def test_a_deleted_article_takes_its_phrases_with_it(make_index, fresh):
    articles = [article(n, "en", f"Harbour crane moves{n}", "Cargo waits.") for n in range(3)]
    articles += [article(10 + n, "en", f"Story number{n} of the day") for n in range(40)]
    index_dir = make_index(articles)
    assert "Harbour crane" in _queries(index_dir, "harbour c")

    summary = writer.delete(IndexStore(index_dir), ["en-0"])
    assert summary.deleted == 1
    assert "Harbour crane" not in _queries(index_dir, "harbour c")


def test_each_segment_of_a_build_has_its_counts_and_they_go_with_it(make_index):
    """The file is named like the segment's own, so Whoosh removes it with a merged-away
    segment and replication copies it with the segment."""
    index_dir = make_index(ARTICLES)
    _, ix = IndexStore(index_dir).open_current()
    segments = {s.segment_id() for s in ix._segments()}
    assert {p.name.split(".")[0] for p in _vocab_files(index_dir)} == segments

    for n in range(8):  # enough single-article segments that Whoosh merges the small ones
        _add(index_dir, [article(200 + n, "en", f"Harbour crane arrives{n}")])
    _, ix = IndexStore(index_dir).open_current()
    segments = {s.segment_id() for s in ix._segments()}
    assert {p.name.split(".")[0] for p in _vocab_files(index_dir)} == segments


def test_a_file_cut_short_is_not_trusted(make_index):
    """A crash can leave an update's file incomplete: it is then counted again, not read."""
    index_dir = make_index(ARTICLES)
    path = _vocab_files(index_dir)[0]
    whole = path.read_bytes()
    _, ix = IndexStore(index_dir).open_current()
    with ix.reader() as reader:
        (leaf, _), *_ = reader.leaf_readers()
        assert vocabfile.load(leaf) is not None
        path.write_bytes(whole[: len(whole) // 2])
        assert vocabfile.load(leaf) is None
        path.write_bytes(b"")
        assert vocabfile.load(leaf) is None
