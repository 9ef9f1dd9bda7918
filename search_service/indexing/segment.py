"""The segment writers every write of ours uses.

Two of them: Whoosh's, with each distinct word analysed once (:class:`MemoSegmentWriter`,
see :mod:`.memo`), and a full build's, with its postings kept as columns
(:class:`BulkSegmentWriter`, see :mod:`.columns`).
"""

from __future__ import annotations

from typing import Any

from whoosh.util.numeric import length_to_byte
from whoosh.writing import SegmentWriter

from .codec.stored import length_table
from .columns import FieldPostings, SpellingPostings
from .fields import Parts, WeightedText
from .memo import FieldAnalysis, memoizable
from .spill import Runs

# What the sorting pool counts a posting as (Whoosh's estimate for a short word and value).
_POSTING_BYTES = 200


class MemoSegmentWriter(SegmentWriter):
    """Whoosh's ``SegmentWriter``; text fields are analysed through :class:`FieldAnalysis`."""

    _COPIES_VALUES = False  # see FieldAnalysis.single

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._analyses: dict[int, FieldAnalysis | None] = {}  # by id of the field's analyzer

    def _analysis(self, field: Any) -> FieldAnalysis | None:
        key = id(field.analyzer)
        if key not in self._analyses:
            self._analyses[key] = (
                FieldAnalysis(field.analyzer, self._COPIES_VALUES) if memoizable(field) else None
            )
        return self._analyses[key]

    def _index(self, field: Any, value: Any) -> tuple[Any, list[str] | None]:
        """The field's postings as ``field.index(value)`` gives them, and its spelling words
        (None when they must come from ``field.spellable_words``)."""
        analysis = self._analysis(field)
        if analysis is None or not isinstance(value, (str, Parts)):
            return field.index(value), None
        if isinstance(value, Parts) and not isinstance(field, WeightedText):
            return field.index(value), None
        parts = value.parts if isinstance(value, Parts) else ((value, 1.0),)
        spelled: set[str] | None = set() if field.separate_spelling() else None
        items = analysis.postings(field.format, parts, spelled)
        return items, sorted(spelled or ())

    def _pool_add(self, postings: list[tuple]) -> None:
        """``PostingPool.add`` for each of one field's postings, in one step (the pool's
        memory is counted at a flat :data:`_POSTING_BYTES` a posting)."""
        if not postings:
            return
        pool = self.pool
        pool.fieldnames.add(postings[0][0])
        pool.current.extend(postings)
        pool.currentsize += _POSTING_BYTES * len(postings)
        if pool.currentsize > pool.limit:
            pool.save()

    def _add_postings(self, fieldname: str, items: list[tuple], boost: float) -> None:
        """One field's postings of the current document: ``(term bytes, frequency, weight,
        value)`` as ``FieldType.index`` gives them, weights times ``boost``."""
        docnum = self.docnum
        self._pool_add([(fieldname, t, docnum, w * boost, v) for t, _, w, v in items])

    def _add_spelling(self, spellfield: str, words: list[str], vbytes: bytes | None) -> None:
        """The current document's unstemmed words of one field (sorted, each once), where
        they come out of indexing: into the field's spelling field ``spellfield``. Whoosh
        gives a spelling word the value of the last posting added, ``vbytes`` (the bytes of
        a build depend on it)."""
        self._pool_add([(spellfield, w.encode("utf-8"), 0, 1, vbytes) for w in words])

    # Whoosh's SegmentWriter.add_document, with field.index and field.spellable_words
    # replaced by one call to _index, and postings handed on a field at a time.
    def add_document(self, **fields: Any) -> None:
        self._check_state()
        perdocwriter = self.perdocwriter
        schema = self.schema

        docboost = self._doc_boost(fields)
        fieldnames = sorted(name for name in fields if not name.startswith("_"))
        self._check_fields(schema, fieldnames)

        perdocwriter.start_doc(self.docnum)
        vbytes = None
        try:
            for fieldname in fieldnames:
                value = fields.get(fieldname)
                if value is None:
                    continue
                field = schema[fieldname]
                length = 0
                words = None
                if field.indexed:
                    fieldboost = self._field_boost(fields, fieldname, docboost)
                    items, words = self._index(field, value)
                    items = list(items)
                    if field.scorable:
                        length = sum(item[1] for item in items)
                    if items:
                        vbytes = items[-1][3]
                        self._add_postings(fieldname, items, fieldboost)

                if field.separate_spelling():
                    if words is None:
                        words = field.spellable_words(value)
                    words = list(words)
                    if words:
                        self._add_spelling(field.spelling_fieldname(fieldname), words, vbytes)

                if field.vector:
                    vitems = field.vector.word_values(value, field.analyzer, mode="index")
                    vitems = sorted((text, weight, vb) for text, _, weight, vb in vitems)
                    perdocwriter.add_vector_items(fieldname, field, vitems)

                customval = fields.get(f"_stored_{fieldname}", value)
                stored = customval if field.stored else None
                perdocwriter.add_field(fieldname, field, stored, length)

                column = field.column_type
                if column and customval is not None:
                    perdocwriter.add_column_value(
                        fieldname, column, field.to_column_value(customval)
                    )
        except Exception:
            perdocwriter.cancel_doc()
            raise

        perdocwriter.finish_doc()
        self._added = True
        self.docnum += 1


class BulkSegmentWriter(MemoSegmentWriter):
    """The writer of a full build: postings kept as columns per field (:class:`FieldPostings`)
    instead of Whoosh's sorting pool, which holds a Python tuple per posting, spills runs
    to disk past its memory limit and merges them back a posting at a time; at the commit
    each field's postings are sorted at once (numpy) and written a term at a time through
    the codec's :meth:`~.codec.terms.FieldWriter.add_term`. Only documents added to it: Whoosh's
    merges (``add_reader``) go through the pool, which is why incremental writes use
    :class:`MemoSegmentWriter`.

    The columns are bounded: once they hold about ``segment_mb`` megabytes, every field's
    columns are appended to a temporary file (:class:`Runs`) and emptied; at the commit each
    field's columns are read back, in the order they were added, before its sort. So the
    segment and its bytes are the same, and the commit holds one field's postings at a time
    (the vocabularies stay in memory throughout)."""

    _COPIES_VALUES = True  # into FieldPostings.values

    def __init__(self, *args: Any, segment_mb: float | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._postings: dict[str, FieldPostings | SpellingPostings] = {}
        self._limit = None if segment_mb is None else int(segment_mb * 1024 * 1024)
        self._held = 0  # about how many bytes the columns take
        self._runs: Runs | None = None
        self.spills = 0  # how many times the columns went to disk

    def _add_postings(self, fieldname: str, items: list[tuple], boost: float) -> None:
        postings = self._postings.get(fieldname)
        if postings is None:
            postings = self._postings[fieldname] = FieldPostings()
        self._held += postings.add(self.docnum, items, boost)

    def _add_spelling(self, spellfield: str, words: list[str], vbytes: bytes | None) -> None:
        postings = self._postings.get(spellfield)
        if postings is None:
            postings = self._postings[spellfield] = SpellingPostings()
        self._held += postings.add(words, vbytes)

    def add_document(self, **fields: Any) -> None:
        super().add_document(**fields)
        if self._limit is not None and self._held >= self._limit:
            self._spill()

    def _spill(self) -> None:
        if self._runs is None:
            self._runs = Runs(getattr(self._tempstorage, "folder", None))
        for postings in self._postings.values():
            postings.spill(self._runs)
        self._held = 0
        self.spills += 1

    def add_reader(self, reader: Any) -> None:
        raise NotImplementedError("a full build's writer takes documents, not segments")

    def _flush_segment(self) -> None:
        if self.pool.current or self.pool.runs:
            raise RuntimeError("postings in the sorting pool of a BulkSegmentWriter")
        self.perdocwriter.close()
        lengths = self.per_document_reader()
        fieldwriter = self.fieldwriter
        for fieldname in sorted(self._postings):
            field = self.schema[fieldname]
            fieldwriter.start_field(fieldname, field)
            table = _lengths(lengths, fieldname, self.docnum) if field.scorable else b""
            self._postings.pop(fieldname).write(fieldwriter, table)
            fieldwriter.finish_field()
        fieldwriter.close()
        lengths.close()
        if self._runs is not None:
            self._runs.close()
            self._runs = None


def _lengths(reader: Any, fieldname: str, count: int) -> bytes:
    """Every document's field-length byte (0 for none), from a per-document reader."""
    table = length_table(reader, fieldname)
    if table is None:
        table = bytes(
            length_to_byte(reader.doc_field_length(docnum, fieldname) or 0)
            for docnum in range(count)
        )
    return table
