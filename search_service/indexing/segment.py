"""The segment writer every write of ours uses: Whoosh's, with each distinct word analysed once.

News text repeats its words: in 3,000 articles the text fields' chains see about 600,000
tokens and 75,000 distinct token texts. Whoosh runs the whole chain (normalisation, folding,
stemming: Python generators stacked per filter) on every token, and the text field's chain a
second time, without the stemmer, for its unstemmed spelling words. Here the tokenizer's
regular expression still runs over all the text (positions come from it), but what the filters
make of a token's text is remembered per writer process, with and without the stemmer, and one
loop per field value gives the terms with their positions and weights and the spelling words.
The postings are the same, byte for byte (``tests/test_bulk_writing.py``): every filter of
our chains maps one token's text to one text and looks at nothing else (:data:`_PURE_FILTERS`);
a field analysed any other way is indexed by Whoosh as before.

A full build goes further (:class:`BulkSegmentWriter`): its postings are kept as columns per
field rather than in Whoosh's sorting pool, which holds a tuple per posting, spills runs to
disk past its memory limit and merges them back a posting at a time (28 % of the CPU of a
writer of 10,000 articles); at the commit each field is sorted at once with numpy and written
a term at a time through the codec.
"""

from __future__ import annotations

import tempfile
from array import array
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Iterator
from functools import partial
from itertools import repeat
from typing import Any

import numpy as np
from whoosh.analysis import CompositeAnalyzer, PyStemmerFilter, RegexTokenizer, Token
from whoosh.fields import TEXT
from whoosh.formats import Frequency, Positions
from whoosh.system import pack_uint
from whoosh.util.numeric import length_to_byte
from whoosh.writing import SegmentWriter

from ..analysis.azerbaijani import AzerbaijaniStemFilter, AzerbaijaniStemmer, stem
from ..analysis.filters import (
    APOSTROPHES,
    ApostropheSuffixFilter,
    FoldFilter,
    NormalizeFilter,
    fold,
    normalize,
)
from .codec.stored import length_table
from .fields import PART_GAP, Parts, SpelledText, WeightedText

_PURE_FILTERS = (
    NormalizeFilter,
    FoldFilter,
    ApostropheSuffixFilter,
    AzerbaijaniStemFilter,
    AzerbaijaniStemmer,
    PyStemmerFilter,
)
# Token texts remembered per chain before the memory starts again (about 25 MB).
LIMIT = 100_000
# What the sorting pool counts a posting as (Whoosh's estimate for a short word and value).
_POSTING_BYTES = 200
# Fields whose ``index`` is Whoosh's own (or WeightedText's for Parts): the ones replayed here.
_TEXT_TYPES = (TEXT, SpelledText, WeightedText)


class _Analysis:
    """A chain of a tokenizer and :data:`_PURE_FILTERS`, run as one loop per field value:
    the tokenizer's matches, each one's analysed text (and its unstemmed one, for spelling)
    from a memory."""

    def __init__(self, analyzer: CompositeAnalyzer, shared_values: bool = False) -> None:
        self.tokenizer = analyzer.items[0]
        self.filters = analyzer.items[1:]
        # What CompositeAnalyzer skips under no_morph.
        self.unstemmed = [f for f in self.filters if not getattr(f, "is_morph", False)]
        self.stem = _word_function(self.filters)
        self.unstem = _word_function(self.unstemmed)
        # A token's text → its term (UTF-8) and its unstemmed form.
        self.memory: dict[str, tuple[bytes, str]] = {}
        self.findall = self.tokenizer.expression.findall  # the tokens (see _memoizable)
        # Encoded positions of one-position postings, one object per position, when the
        # writer copies values (pickle writes an object met twice as a reference to it).
        self.single: dict[int, bytes] | None = {} if shared_values else None

    def forms(self, text: str) -> tuple[bytes, str]:
        """What the filters make of one token's text, with and without the stemmer."""
        forms = self.memory.get(text)
        if forms is None:
            if len(self.memory) >= LIMIT:
                self.memory.clear()
            forms = self.memory[text] = (self.stem(text).encode("utf-8"), self.unstem(text))
        return forms

    def postings(
        self, format_: Any, parts: tuple[tuple[str, float], ...], spelled: set[str] | None
    ) -> list[tuple[bytes, int, float, bytes]]:
        """``format_.word_values`` over ``parts`` (texts and their tokens' boosts, positions
        continuing after :data:`PART_GAP`, as ``fields._PartsAnalyzer`` numbers them),
        encoded as ``FieldType.index`` gives them, in one loop: for Positions and Frequency
        formats and a tokenizer whose tokens are its expression's matches (``findall``)."""
        positional = type(format_) is Positions
        memory = self.memory
        found: dict[bytes, list[int]] = {}
        weights: dict[bytes, float] = {}
        start = 0
        for text, boost in parts:
            words = self.findall(text)
            forms = [memory.get(word) or self.forms(word) for word in words]
            if spelled is not None:
                spelled.update([form[1] for form in forms])
            for pos, (term, _) in enumerate(forms, start):
                if term in found:
                    found[term].append(pos)
                    weights[term] += boost
                else:
                    found[term] = [pos]
                    weights[term] = 0.0 + boost
            start += (len(words) - 1 if words and positional else 0) + PART_GAP
        field_boost = format_.field_boost
        if not positional:
            return [
                (term, len(poses), weights[term] * field_boost, pack_uint(len(poses)))
                for term, poses in found.items()
            ]
        encode, single = format_.encode, self.single
        if single is None:
            return [
                (term, len(poses), weights[term] * field_boost, encode(poses))
                for term, poses in found.items()
            ]
        return [
            (
                term,
                len(poses),
                weights[term] * field_boost,
                (single.get(poses[0]) or self._single(format_, poses[0]))
                if len(poses) == 1
                else encode(poses),
            )
            for term, poses in found.items()
        ]

    def _single(self, format_: Any, pos: int) -> bytes:
        encoded = self.single[pos] = format_.encode([pos])  # type: ignore[index]
        return encoded


def _word_function(filters: list[Any]) -> Callable[[str], str]:
    """What ``filters`` make of one token's text, as one function of the text."""
    steps = [_step(item) for item in filters]

    def analysed(text: str) -> str:
        for step in steps:
            text = step(text)
        return text

    return analysed


def _step(item: Any) -> Callable[[str], str]:
    """One of :data:`_PURE_FILTERS` as a function of a token's text."""
    kind = type(item)
    if kind is NormalizeFilter:
        return partial(normalize, turkic=item.turkic)
    if kind is FoldFilter:
        return fold
    if kind is ApostropheSuffixFilter:
        return _drop_suffix
    if kind in (AzerbaijaniStemFilter, AzerbaijaniStemmer):
        return partial(stem, harmony=item.harmony)
    if kind is PyStemmerFilter and not item.ignore:
        return item._stem
    return partial(_filtered, item)


def _drop_suffix(text: str) -> str:
    for mark in APOSTROPHES:
        text = text.split(mark, 1)[0]
    return text


def _filtered(item: Any, text: str) -> str:
    (token,) = item(iter([Token(text=text, stopped=False)]))
    return token.text


def _memoizable(field: Any) -> bool:
    """True for a text field whose analysis :class:`_Analysis` replays exactly: a regex
    tokenizer whose tokens are its matches (what ``findall`` gives), then pure filters, into
    a Positions or Frequency format."""
    analyzer = field.analyzer
    if type(field) not in _TEXT_TYPES or type(field.format) not in (Positions, Frequency):
        return False
    if type(analyzer) is not CompositeAnalyzer or len(analyzer.items) < 2:
        return False
    tokenizer = analyzer.items[0]
    return (
        type(tokenizer) is RegexTokenizer
        and not tokenizer.gaps
        and not tokenizer.expression.groups
        and all(type(item) in _PURE_FILTERS for item in analyzer.items[1:])
    )


class MemoSegmentWriter(SegmentWriter):
    """Whoosh's ``SegmentWriter``; text fields are analysed through :class:`_Analysis`."""

    _COPIES_VALUES = False  # see _Analysis.single

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._analyses: dict[int, _Analysis | None] = {}  # by id of the field's analyzer

    def _analysis(self, field: Any) -> _Analysis | None:
        key = id(field.analyzer)
        if key not in self._analyses:
            self._analyses[key] = (
                _Analysis(field.analyzer, self._COPIES_VALUES) if _memoizable(field) else None
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


class _FieldPostings:
    """One field's postings, as columns in the order they were added: a term number, a
    document number, a weight and a value (its bytes in one buffer) per posting."""

    def __init__(self) -> None:
        self.vocabulary: dict[bytes, int] = {}  # term → number, in order of first sight
        self.terms = array("i")
        self.docs = array("i")
        self.weights = array("d")
        self.sizes = array("I")
        self.values = bytearray()
        self.runs: _Runs | None = None  # where columns were spilled to, if they were

    def add(self, docnum: int, items: list[tuple], boost: float) -> int:
        """One document's postings of this field; returns about how many bytes they take."""
        vocabulary = self.vocabulary
        known = len(vocabulary)
        texts, _, weights, values = zip(*items, strict=True)
        self.terms.extend([vocabulary.setdefault(t, len(vocabulary)) for t in texts])
        self.docs.extend(repeat(docnum, len(texts)))
        self.weights.extend(weights if boost == 1.0 else [w * boost for w in weights])
        values = [v or b"" for v in values]
        self.sizes.extend(map(len, values))
        joined = b"".join(values)
        self.values += joined
        return _POSTING_COLUMNS * len(texts) + len(joined) + _TERM_BYTES * (len(vocabulary) - known)

    def columns(self) -> list[Any]:
        return [self.terms, self.docs, self.weights, self.sizes, self.values]

    def spill(self, runs: _Runs) -> None:
        """The columns so far to ``runs``, and emptied (the vocabulary stays)."""
        runs.save(self, self.columns())
        self.terms, self.docs, self.weights = array("i"), array("i"), array("d")
        self.sizes, self.values = array("I"), bytearray()

    def restore(self, runs: _Runs) -> None:
        """The columns spilled to ``runs``, in front of the ones in memory."""
        spilled = runs.load(self, self.columns())
        if spilled is not None:
            self.terms, self.docs, self.weights, self.sizes, self.values = spilled

    def write(self, writer: Any, table: bytes) -> None:
        """Every term's postings to ``writer`` (a field of our codec's field writer): terms
        in byte order, each term's postings by document number, as Whoosh's sorting pool
        hands them on; ``table`` is the field-length byte of each document (empty when the
        field keeps no lengths)."""
        if self.runs is not None:
            self.restore(self.runs)
        texts = list(self.vocabulary)
        keys, order = _term_order(texts, self.terms, self.docs)
        docs = np.frombuffer(self.docs, dtype=np.int32)[order]
        weights = np.frombuffer(self.weights, dtype=np.float64)[order]
        ends = np.cumsum(np.frombuffer(self.sizes, dtype=np.uint32), dtype=np.int64)
        value_ends = ends[order]
        value_starts = value_ends - np.frombuffer(self.sizes, dtype=np.uint32)[order]
        lengths = np.frombuffer(table, dtype=np.uint8)[docs] if table else None
        blob = bytes(self.values)
        for first, last, groups in _chunks(keys):
            chunk_docs = docs[first:last].tolist()
            chunk_weights = weights[first:last].tolist()
            chunk_values = [
                blob[a:b]
                for a, b in zip(
                    value_starts[first:last].tolist(), value_ends[first:last].tolist(), strict=True
                )
            ]
            chunk_lengths = lengths[first:last].tolist() if lengths is not None else None
            for key, start, stop in groups:
                writer.add_term(
                    texts[key],
                    chunk_docs[start:stop],
                    chunk_weights[start:stop],
                    chunk_values[start:stop],
                    chunk_lengths[start:stop] if chunk_lengths is not None else [],
                )


class _SpellingPostings:
    """A spelling field's words with how many documents each is in: all the codec keeps of
    them (a word list with counts). The counts grow with the vocabulary, not with the
    postings, so there is nothing to spill."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()

    def add(self, words: list[str], vbytes: bytes | None) -> int:
        """One document's spelling words; returns about how many bytes they add."""
        known = len(self.counts)
        self.counts.update(words)
        return _TERM_BYTES * (len(self.counts) - known)

    def spill(self, runs: _Runs) -> None:
        pass

    def write(self, writer: Any, table: bytes) -> None:
        counts = self.counts
        for word in sorted(counts):  # code point order is UTF-8 byte order
            writer.add_spelling(word.encode("utf-8"), counts[word])


def _empty_like(column: array | bytearray) -> array | bytearray:
    return array(column.typecode) if isinstance(column, array) else bytearray()


class _Runs:
    """Columns spilled to one temporary file, read back a field at a time, in order."""

    def __init__(self, directory: str | None) -> None:
        # Closed by the writer once its segment is written (or when collected, if cancelled).
        self.file = tempfile.TemporaryFile(dir=directory)  # noqa: SIM115
        self.spans: dict[int, list[list[tuple[int, int]]]] = {}  # by id of the owner
        self.count = 0

    def save(self, owner: Any, columns: list[Any]) -> None:
        spans = []
        for column in columns:
            start = self.file.tell()
            self.file.write(column)
            spans.append((start, self.file.tell() - start))
        self.spans.setdefault(id(owner), []).append(spans)
        owner.runs = self
        self.count += 1

    def load(self, owner: Any, current: list[Any]) -> list[Any] | None:
        """The owner's spilled columns, each followed by ``current``'s (then forgotten)."""
        runs = self.spans.pop(id(owner), None)
        if runs is None:
            return None
        columns = [_empty_like(column) for column in current]
        for spans in runs:
            for column, (start, size) in zip(columns, spans, strict=True):
                self.file.seek(start)
                data = self.file.read(size)
                if isinstance(column, array):
                    column.frombytes(data)
                else:
                    column += data
        for column, tail in zip(columns, current, strict=True):
            column += tail
        self.file.seek(0, 2)
        owner.runs = None
        return columns

    def close(self) -> None:
        self.file.close()


# What a posting takes in _FieldPostings' arrays besides its value's bytes (term, document,
# weight, value size), and a new term in a vocabulary (its dict entry and bytes object).
_POSTING_COLUMNS = 4 + 4 + 8 + 4
_TERM_BYTES = 120

# Postings turned into Python lists at a time when writing (bounds the lists' memory).
_CHUNK = 1 << 16


def _term_order(texts: list[Any], terms: array, docs: array | None) -> tuple[np.ndarray, Any]:
    """Postings sorted by term text, then document number: each posting's term as its rank
    among ``texts`` (in sorted order, renumbering ``texts`` in place), and the order."""
    ranked = sorted(range(len(texts)), key=texts.__getitem__)
    rank = np.empty(len(texts), dtype=np.int64)
    rank[ranked] = np.arange(len(texts))
    texts[:] = [texts[i] for i in ranked]
    keys = rank[np.frombuffer(terms, dtype=np.int32)]
    if docs is None:
        order = np.argsort(keys, kind="stable")
    else:
        order = np.lexsort((np.frombuffer(docs, dtype=np.int32), keys))
    return keys[order], order


def _chunks(keys: np.ndarray) -> Iterator[tuple[int, int, list[tuple[int, int, int]]]]:
    """Sorted term keys cut into runs of whole terms of about :data:`_CHUNK` postings: each
    run's first and last posting, and its terms' (key, start, stop) relative to the run."""
    if not len(keys):
        return
    starts = np.flatnonzero(np.diff(keys)) + 1
    starts = np.concatenate(([0], starts)).tolist()
    stops = [*starts[1:], len(keys)]
    terms = keys[starts].tolist() if starts else []
    group = 0
    while group < len(starts):
        first = starts[group]
        end = bisect_right(starts, first + _CHUNK, lo=group + 1)
        last = stops[end - 1]
        yield (
            first,
            last,
            [(terms[g], starts[g] - first, stops[g] - first) for g in range(group, end)],
        )
        group = end


class BulkSegmentWriter(MemoSegmentWriter):
    """The writer of a full build: postings kept as columns per field (:class:`_FieldPostings`)
    instead of Whoosh's sorting pool, which holds a Python tuple per posting, spills runs
    to disk past its memory limit and merges them back a posting at a time; at the commit
    each field's postings are sorted at once (numpy) and written a term at a time through
    the codec's :meth:`~.codec.terms.FieldWriter.add_term`. Only documents added to it: Whoosh's
    merges (``add_reader``) go through the pool, which is why incremental writes use
    :class:`MemoSegmentWriter`.

    The columns are bounded: once they hold about ``segment_mb`` megabytes, every field's
    columns are appended to a temporary file (:class:`_Runs`) and emptied; at the commit each
    field's columns are read back, in the order they were added, before its sort. So the
    segment and its bytes are the same, and the commit holds one field's postings at a time
    (the vocabularies stay in memory throughout)."""

    _COPIES_VALUES = True  # into _FieldPostings.values

    def __init__(self, *args: Any, segment_mb: float | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._postings: dict[str, _FieldPostings | _SpellingPostings] = {}
        self._limit = None if segment_mb is None else int(segment_mb * 1024 * 1024)
        self._held = 0  # about how many bytes the columns take
        self._runs: _Runs | None = None
        self.spills = 0  # how many times the columns went to disk

    def _add_postings(self, fieldname: str, items: list[tuple], boost: float) -> None:
        postings = self._postings.get(fieldname)
        if postings is None:
            postings = self._postings[fieldname] = _FieldPostings()
        self._held += postings.add(self.docnum, items, boost)

    def _add_spelling(self, spellfield: str, words: list[str], vbytes: bytes | None) -> None:
        postings = self._postings.get(spellfield)
        if postings is None:
            postings = self._postings[spellfield] = _SpellingPostings()
        self._held += postings.add(words, vbytes)

    def add_document(self, **fields: Any) -> None:
        super().add_document(**fields)
        if self._limit is not None and self._held >= self._limit:
            self._spill()

    def _spill(self) -> None:
        if self._runs is None:
            self._runs = _Runs(getattr(self._tempstorage, "folder", None))
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
