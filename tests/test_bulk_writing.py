"""Index writing in bulk (a term's postings at once, each distinct word analysed once, a full
build's postings kept as columns instead of Whoosh's sorting pool) writes the same bytes as
Whoosh's own per-posting, per-token path."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial
from itertools import groupby
from pathlib import Path
from typing import Any

from whoosh.codec.base import FieldWriter
from whoosh.fields import SpellField
from whoosh.filedb.filestore import FileStorage
from whoosh.writing import SegmentWriter

from search_service.articles import Article
from search_service.indexing.codec import Codec
from search_service.indexing.codec.terms import FieldWriter as _FieldWriter
from search_service.indexing.documents import document
from search_service.indexing.parallel import ParallelWriter
from search_service.indexing.schema import build_schema
from search_service.indexing.segment import BulkSegmentWriter, MemoSegmentWriter
from search_service.searching import scoring
from search_service.searching.searcher import SearchRequest, search


class _PerPostingFieldWriter(_FieldWriter):
    """Whoosh's ``FieldWriter.add_postings``, one ``add`` call per posting, for every field
    but the spelling fields, whose words only our writer keeps (as word lists)."""

    def add_postings(self, schema, lengths, items):
        for fieldname, postings in groupby(items, key=lambda item: item[0]):
            if isinstance(schema[fieldname], SpellField):
                super().add_postings(schema, lengths, postings)
            else:
                FieldWriter.add_postings(self, schema, lengths, postings)


class _PerPostingCodec(Codec):
    """Our codec with Whoosh's per-posting path."""

    def field_writer(self, storage, segment):
        return _PerPostingFieldWriter(self, storage, segment)


def _articles() -> list[Article]:
    words = "harbour crane pilot strike river bridge council budget vote ферма урожай"
    articles = []
    for n in range(60):
        # Repeated words (one block), a word in every article (more than one block when
        # BLOCK_POSTINGS is small), mixed case, Russian, Azerbaijani, lede paragraphs.
        body = " ".join(words.split()[: 3 + n % 9]) + f" Item{n} common COMMON Common."
        lang, title = ("ru", "Ферма и урожай") if n % 3 == 0 else ("en", f"Harbour news {n}")
        if n % 7 == 0:
            lang, title = "az", "Bakı'da Qarabağ xəbərləri"
        articles.append(
            Article(
                id=f"a{n}",
                lang=lang,
                title=title,
                lead="" if n % 2 else f"Lead {n} of the crane story.",
                body=f"{'Short lede.' if n % 4 == 0 else ''}\n\n{body}\n\nMore: {words}",
                tags=("news", f"t{n % 3}"),
                category="local" if n % 2 else "",
                published=datetime(2024, 1, 1 + n % 28, tzinfo=UTC) if n % 5 else None,
                published_text="2024-01-01" if n % 5 else "",
            )
        )
    return articles


def _build(
    directory: Path, writer_class: type, index_codec: Codec, **options: Any
) -> dict[str, bytes]:
    directory.mkdir()
    schema = build_schema(("en", "ru", "az"))
    ix = FileStorage(str(directory)).create_index(schema)
    writer = writer_class(ix, codec=index_codec, compound=False, **options)
    for article in _articles():
        fields, _, _ = document(article, ix.schema, "en")
        writer.add_document(**fields)
    writer.commit()
    return {
        path.suffix: path.read_bytes()
        for path in directory.iterdir()
        if path.suffix in (".pst", ".trm")
    }


def test_bulk_writing_gives_the_same_postings_and_terms_bytes_as_whooshs_path(tmp_path):
    # Blocks of 16 postings: common words take several blocks, the bulk path's other branch.
    ours = _build(tmp_path / "ours", MemoSegmentWriter, Codec(blocklimit=16))
    whooshs = _build(tmp_path / "whoosh", SegmentWriter, _PerPostingCodec(blocklimit=16))

    assert set(ours) == {".pst", ".trm"}
    assert ours == whooshs


def test_a_full_builds_writer_gives_the_same_bytes_as_whooshs_path(tmp_path):
    ours = _build(tmp_path / "ours", BulkSegmentWriter, Codec(blocklimit=16))
    whooshs = _build(tmp_path / "whoosh", SegmentWriter, _PerPostingCodec(blocklimit=16))

    assert set(ours) == {".pst", ".trm"}
    assert ours == whooshs


def _content(directory: Path) -> dict[str, Any]:
    """What a build holds, by article id rather than document number (which depends on the
    segments): stored fields, field lengths, and every term's postings with their weights
    and values; spelling words (every posting at document 0) by their document frequency."""
    ix = FileStorage(str(directory)).open_index()
    with ix.reader() as reader:
        ids = {docnum: fields["id"] for docnum, fields in reader.iter_docs()}
        schema = ix.schema
        scorable = [name for name in schema.names() if schema[name].scorable]
        lengths = {
            # None where the article's segment has no article with the field: 0 as well.
            (ids[docnum], name): reader.doc_field_length(docnum, name) or 0
            for docnum in ids
            for name in scorable
        }
        postings: dict[tuple[str, bytes], Any] = {}
        for fieldname, btext in reader.all_terms():
            if fieldname.startswith("spell_"):
                postings[fieldname, btext] = reader.doc_frequency(fieldname, btext)
                continue
            matcher = reader.postings(fieldname, btext)
            found = set()
            while matcher.is_active():
                found.add((ids[matcher.id()], matcher.weight(), matcher.value()))
                matcher.next()
            postings[fieldname, btext] = found
        stored = {fields["id"]: fields for _, fields in reader.iter_docs()}
        segments = len(reader.leaf_readers())
    with ix.searcher(weighting=scoring.weighting()) as searcher:
        # In order of score; equal scores are in document order, which depends on the
        # segments, so by id here.
        answers = {
            query: sorted(
                ((-hit.score, hit.id) for hit in search(searcher, request(query)).results),
            )
            for query in _QUERIES
        }
    return {
        "stored": stored,
        "lengths": lengths,
        "postings": postings,
        "segments": segments,
        "answers": answers,
    }


def request(query: str) -> SearchRequest:
    return SearchRequest(q=query, per_page=100)


# Words in every article, in some, in one; Russian and Azerbaijani; a phrase; a misspelling.
_QUERIES = ("common", "harbour crane", "item7", "урожай", "Bakı", '"crane pilot"', "harbur")


def test_a_parallel_build_holds_what_whooshs_own_writer_writes(tmp_path):
    directory = tmp_path / "parallel"
    directory.mkdir()
    ix = FileStorage(str(directory)).create_index(build_schema(("en", "ru", "az")))
    writer = ParallelWriter(
        ix, procs=2, batchsize=7, multisegment=True, compound=False, codec=Codec(blocklimit=16)
    )
    for article in _articles():
        fields, _, _ = document(article, ix.schema, "en")
        writer.add_document(**fields)
    writer.commit()
    _build(tmp_path / "whoosh", SegmentWriter, _PerPostingCodec(blocklimit=16))

    ours, whooshs = _content(directory), _content(tmp_path / "whoosh")

    assert ours["segments"] == 2 and whooshs["segments"] == 1
    assert len(ours["stored"]) == len(_articles())
    for part in ("stored", "lengths", "postings", "answers"):
        assert ours[part] == whooshs[part], part


def test_a_full_builds_writer_past_its_memory_limit_spills_and_writes_the_same_bytes(tmp_path):
    spilled = []

    class Bounded(BulkSegmentWriter):
        def _flush_segment(self) -> None:
            spilled.append(self.spills)
            super()._flush_segment()

    # About 3 KB of columns held at a time: a few articles each.
    ours = _build(tmp_path / "ours", partial(Bounded, segment_mb=0.003), Codec(blocklimit=16))
    whooshs = _build(tmp_path / "whoosh", SegmentWriter, _PerPostingCodec(blocklimit=16))

    assert spilled[0] >= 5
    assert set(ours) == {".pst", ".trm"}
    assert ours == whooshs


def test_a_parallel_build_past_its_writers_memory_limit_holds_the_same(tmp_path):
    directory = tmp_path / "parallel"
    directory.mkdir()
    ix = FileStorage(str(directory)).create_index(build_schema(("en", "ru", "az")))
    writer = ParallelWriter(
        ix,
        procs=2,
        batchsize=7,
        multisegment=True,
        compound=False,
        codec=Codec(blocklimit=16),
        segment_mb=0.003,
    )
    for article in _articles():
        fields, _, _ = document(article, ix.schema, "en")
        writer.add_document(**fields)
    writer.commit()
    _build(tmp_path / "whoosh", SegmentWriter, _PerPostingCodec(blocklimit=16))

    ours, whooshs = _content(directory), _content(tmp_path / "whoosh")

    assert ours["segments"] == 2
    for part in ("stored", "lengths", "postings", "answers"):
        assert ours[part] == whooshs[part], part
