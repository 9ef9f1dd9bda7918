"""Whoosh's default codec (W3) with postings that numpy reads whole, spelling words and stored
fields kept compactly, and one fix.

**Postings.** W3 pickles each block of up to 128 postings as tuples of Python numbers, with
every posting's word positions in the same compressed pickle: reading a block's document
numbers and weights decompressed and unpickled all of it, 66 µs a block, so a word in 40,000
of 100,000 articles took 20 ms to read before any scoring. Here a block holds 512 postings;
its document numbers (as gaps) and weights are one compressed pair of raw little-endian
arrays, and its positions a separately compressed pickle. Reading the numbers is one
``zlib.decompress`` and ``numpy.frombuffer`` (see :mod:`.matching`), and positions are
unpickled only when a phrase needs them. Whoosh's matchers read the same blocks through
:class:`LeafMatcher`.

**Writing.** Whoosh hands a segment's sorted postings to the codec one at a time (a method
call, a field-length look-up and a type check per posting: half of a build). Here each term's
postings go to the postings writer in one call, as lists, with the field lengths read once per
field; the blocks written are the same bytes as the per-posting path writes.

**Lengths.**
Whoosh's per-document reader caches the length column of a field it has found, but asks the
file system again, for every posting, about a field that has none: the unstemmed spelling
fields (:mod:`.fields`), whose postings are most of a build's. A rebuild of 5,000 articles
made 472,000 ``stat`` calls there, about a tenth of its time. Builds record the codec they were
written with, so readers of them get the fix too.

**Spelling words.** The unstemmed spelling sub-fields (:mod:`.fields`) were a posting per
article and word, every one at document 0, and a term each in the terms file: two fifths of a
build's terms and postings, for what their readers use of them, a word list with the number
of articles that hold each word. Segments written now keep each spelling field as that list,
sorted and compressed, in the terms file's extras (:func:`_pack_words`); the terms reader
(:class:`_TermsReader`) answers term look-ups, counts, iteration and postings (one per
article at document 0, what a merge copies) from it. A segment without the list (written
before it) is read as it was.

**Stored fields.** W3 pickles a document's stored fields and compresses each with zlib alone,
which finds little to share inside one short article. Here they are compressed by zstd
against a dictionary trained on the segment's first documents (:class:`_PerDocWriter`): 40 %
smaller, faster to write and to read back. Segments without that column are read as W3 wrote
them.
"""

from __future__ import annotations

import bisect
import heapq
import pickle
import struct
import sys
import threading
import zlib
from array import array
from collections.abc import Iterable, Iterator, Sequence
from itertools import groupby, pairwise
from operator import itemgetter
from typing import Any

import numpy as np
import zstandard
from whoosh import columns
from whoosh.codec.base import FieldCursor, OutOfOrderError
from whoosh.codec.whoosh3 import (
    LENGTHS_COLUMN,
    WHOOSH3_HEADER_MAGIC,
    W3Codec,
    W3FieldWriter,
    W3LeafMatcher,
    W3PerDocReader,
    W3PerDocWriter,
    W3PostingsWriter,
    W3TermInfo,
    W3TermsReader,
    _lenfield,
)
from whoosh.fields import SpellField
from whoosh.reading import TermNotFound
from whoosh.system import pack_int, pack_long, pack_ushort
from whoosh.util.numeric import byte_to_length, length_to_byte

# Stored fields: each document's pickled stored fields compressed by zstd with a dictionary
# trained on the segment's first documents, in a column of their own, the dictionary in a
# column file beside it.
_STORED = "_zstored"
_STORED_COLUMN = columns.VarBytesColumn()
_DICTIONARY = "_zdict"
# Documents buffered to train the dictionary on, the smallest number worth one, its size, and
# zstd's level: 3 compresses an article in 8 µs (W3's zlib took 54 µs) to within 8 % of level
# 9's size (70 µs).
_DICTIONARY_SAMPLES = 2000
_DICTIONARY_MINIMUM = 64
_DICTIONARY_BYTES = 112_640
_STORED_LEVEL = 3


class _PerDocWriter(W3PerDocWriter):
    """W3's per-document writer, with stored fields compressed against a dictionary (see
    :data:`_STORED`): a news article's fields share most of their pickle and much of their
    wording with the others, which zlib per document, as W3 compresses them, cannot use."""

    def __init__(self, codec: Any, storage: Any, segment: Any) -> None:
        super().__init__(codec, storage, segment)
        self._create_column(_STORED, _STORED_COLUMN)
        self._pending: list[tuple[int, bytes]] | None = []  # waiting for the dictionary
        self._compressor: zstandard.ZstdCompressor | None = None

    def finish_doc(self) -> None:
        stored = self._storedfields
        if stored:
            self._add_stored(self._docnum, pickle.dumps(stored, pickle.HIGHEST_PROTOCOL))
            stored.clear()
        self._indoc = False

    def _add_stored(self, docnum: int, data: bytes) -> None:
        if self._pending is None:
            self._get_column(_STORED).add(docnum, self._compressor.compress(data))
            return
        self._pending.append((docnum, data))
        if len(self._pending) >= _DICTIONARY_SAMPLES:
            self._flush_pending()

    def _flush_pending(self) -> None:
        pending, self._pending = self._pending or [], None
        dictionary = None
        if len(pending) >= _DICTIONARY_MINIMUM:
            samples = [data for _, data in pending]
            try:
                dictionary = zstandard.train_dictionary(_DICTIONARY_BYTES, samples)
            except zstandard.ZstdError:  # too little text to learn from
                dictionary = None
        if dictionary is not None:
            handle = self._cols.create_file(_DICTIONARY)
            handle.write(dictionary.as_bytes())
            handle.close()
        self._compressor = zstandard.ZstdCompressor(
            level=_STORED_LEVEL, dict_data=dictionary, write_checksum=False, write_dict_id=False
        )
        for docnum, data in pending:
            self._get_column(_STORED).add(docnum, self._compressor.compress(data))

    def close(self) -> None:
        if self._indoc:
            self.finish_doc()
        if self._pending is not None:
            self._flush_pending()
        super().close()


class _PerDocReader(W3PerDocReader):
    def __init__(self, storage: Any, segment: Any) -> None:
        super().__init__(storage, segment)
        self._dictionary: zstandard.ZstdCompressionDict | None = None
        # zstd's decompression contexts are not for concurrent use: one per thread.
        self._local = threading.local()

    def _cached_reader(self, fieldname: str, column: Any) -> Any:
        if fieldname not in self._readers:
            found = self.has_column(fieldname)
            self._readers[fieldname] = self.column_reader(fieldname, column) if found else None
        return self._readers[fieldname]

    def stored_fields(self, docnum: int) -> dict[str, Any]:
        """A document's stored fields, from :data:`_STORED` when the segment has it, else as
        W3 stores them (segments written before)."""
        reader = self._cached_reader(_STORED, _STORED_COLUMN)
        if reader is None:
            return super().stored_fields(docnum)
        data = reader[docnum]
        return pickle.loads(self._decompressor().decompress(data)) if data else {}

    def _decompressor(self) -> zstandard.ZstdDecompressor:
        found = getattr(self._local, "decompressor", None)
        if found is None:
            if self._dictionary is None and self.has_column(_DICTIONARY):
                handle, offset, length = self._get_column_file(_DICTIONARY)
                data = bytes(handle.get(offset, length))
                handle.close()
                self._dictionary = zstandard.ZstdCompressionDict(data)
            found = zstandard.ZstdDecompressor(dict_data=self._dictionary)
            self._local.decompressor = found
        return found


# The narrowest array type for a block's document-number gaps, and for its weights, which
# are mostly sums of part weights (3, 1.5, 1) and so stored as whole halves when they can be.
_TYPECODES = ("B", "H", "I")
_WEIGHT_TYPECODES = ("B", "H", "f")
_DTYPES = {"B": np.dtype("u1"), "H": np.dtype("<u2"), "I": np.dtype("<u4"), "f": np.dtype("<f4")}
_WEIGHTS = _DTYPES["f"]
# Postings per block: fewer, larger blocks cost less per posting to read whole (what
# matching.py does); Whoosh's default is 128.
BLOCK_POSTINGS = 512
_LEVEL = 3  # zlib level of each block's arrays and of its positions
_LENGTH = struct.Struct("<I")


class _PostingsWriter(W3PostingsWriter):
    """Writes each block as W3 does (length, pickled block statistics, data), with our data:
    the document-number gaps and weights as two narrow arrays packed together, then the
    values (positions) pickled and packed apart (see :func:`_pack`). No pickle wraps the
    data: protocol 2, which W3 uses, stores bytes as Latin-1 text, a third larger."""

    def _write_block(self, last: bool = False) -> None:
        if not self._blockcount:
            self._postfile.write(WHOOSH3_HEADER_MAGIC)
        self._terminfo.add_block(self)
        arrays, values = self._arrays(), self._packed_values()
        data = _LENGTH.pack(len(arrays)) + arrays + values
        statistics = (
            len(self._ids),
            self._ids[-1],
            self._maxweight,
            0,  # W3's compression flag: the data is packed its own way
            length_to_byte(self._minlength),
            length_to_byte(self._maxlength),
        )
        info = pickle.dumps(statistics, 2)
        size = len(info) + len(data)
        self._postfile.write_int(-size if last else size)
        self._postfile.write(info)
        self._postfile.write(data)
        self._blockcount += 1
        self._new_block()

    def add_postings(
        self, ids: list[int], weights: list[float], values: list[bytes], lengths: list[int]
    ) -> None:
        """A whole term's postings at once (inside ``start_postings``/``finish_postings``):
        what :meth:`add_posting` for each would buffer, block by block, with ``lengths`` the
        field-length bytes of the postings' documents (0 for none). The last block stays
        buffered for ``finish_postings``, as with :meth:`add_posting`."""
        limit, count = self._blocklimit, len(ids)
        for start in range(0, count, limit):
            if self._ids:
                self._write_block()
            stop = start + limit
            block_ids = ids[start:stop] if start or count > limit else ids
            block_weights = weights[start:stop] if start or count > limit else weights
            self._ids = array("I", block_ids)
            self._weights = array("f", block_weights)
            self._maxweight = max(0, max(block_weights))
            block_values = values[start:stop] if start or count > limit else values
            self._values = [value for value in block_values if value]
            block_lengths = [b for b in lengths[start:stop] if b]
            if block_lengths:
                self._minlength = byte_to_length(min(block_lengths))
                self._maxlength = byte_to_length(max(block_lengths))
            else:
                self._minlength, self._maxlength = None, 0

    def _arrays(self) -> bytes:
        return _block_arrays(self._ids, self._weights)

    def _packed_values(self) -> bytes:
        values = self._mini_values()
        if values is None:
            return b""
        return _pack(pickle.dumps(values, pickle.HIGHEST_PROTOCOL))


def _block_arrays(ids: Any, weights32: array) -> bytes:
    """A block's document-number gaps and (float32) weights, as :class:`_PostingsWriter`
    stores them."""
    # Plain arrays, not numpy: most blocks hold one or two postings (rare words), where
    # numpy's per-call cost would dominate a build.
    if len(ids) == 1:
        return _single_posting(ids[0], weights32[0])
    gaps = [ids[0]] + [b - a for a, b in pairwise(ids)]
    halves = [w * 2 for w in weights32]
    whole = all(map(float.is_integer, halves))
    weights = list(map(int, halves)) if whole else list(weights32)
    id_code = _narrowest(max(gaps), _TYPECODES)
    weight_code = _narrowest(max(weights), _WEIGHT_TYPECODES) if whole else "f"
    parts = [array(id_code, gaps), array(weight_code, weights)]
    if sys.byteorder != "little":
        for part in parts:
            part.byteswap()
    head = (id_code + weight_code).encode()
    return _pack(head + parts[0].tobytes() + parts[1].tobytes())


def _single_posting(docnum: int, weight: float) -> bytes:
    """:func:`_block_arrays` of one posting (most terms have one), with a struct per pair of
    type codes instead of two arrays."""
    half = weight * 2
    value: float = int(half) if half.is_integer() else weight
    id_code = _narrowest(docnum, _TYPECODES)
    weight_code = _narrowest(value, _WEIGHT_TYPECODES) if half.is_integer() else "f"
    codes = id_code + weight_code
    return _pack(codes.encode() + _PAIRS[codes].pack(docnum, value))


# Little-endian, standard sizes: the bytes of array(...).tobytes() on a little-endian machine.
_PAIRS = {i + w: struct.Struct(f"<{i}{w}") for i in _TYPECODES for w in _WEIGHT_TYPECODES}


def _narrowest(largest: float, typecodes: tuple[str, ...]) -> str:
    for code in typecodes[:-1]:
        if largest < 1 << (8 * array(code).itemsize):
            return code
    return typecodes[-1]


# zlib's smallest output (header, an empty block, checksum): nothing this short gets shorter.
_ZLIB_MINIMUM = 8


def _pack(data: bytes) -> bytes:
    """``data`` compressed when that makes it shorter (not for the one or two postings of
    most words, where zlib's header and checksum outweigh the gain), marked by a first byte."""
    if len(data) <= _ZLIB_MINIMUM:
        return b"r" + data
    packed = zlib.compress(data, _LEVEL)
    return b"z" + packed if len(packed) < len(data) else b"r" + data


def _unpack(data: bytes) -> bytes:
    return zlib.decompress(data[1:]) if data[:1] == b"z" else data[1:]


class LeafMatcher(W3LeafMatcher):
    """Whoosh's matcher over our blocks; :meth:`all_arrays` is the fast path."""

    def _goto(self, position: int) -> None:
        self._arrays: tuple[np.ndarray, np.ndarray] | None = None
        super()._goto(position)

    def _read_data(self) -> None:
        data = self._postfile.get(self._dataoffset, self._nextoffset - self._dataoffset)
        (length,) = _LENGTH.unpack_from(data)
        start = _LENGTH.size
        self._data = (data[start : start + length], None, data[start + length :])

    def block_arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """The current block's document numbers (ascending, within the segment) and weights."""
        if self._arrays is None:
            if self._data is None:
                self._read_data()
            raw, count = _unpack(self._data[0]), self._blocklength
            id_type, weight_type = _DTYPES[chr(raw[0])], _DTYPES[chr(raw[1])]
            ids = np.frombuffer(raw, dtype=id_type, count=count, offset=2)
            weights = np.frombuffer(raw, dtype=weight_type, offset=2 + id_type.itemsize * count)
            if weight_type != _WEIGHTS:
                weights = (weights / 2).astype(_WEIGHTS)
            self._arrays = ids.cumsum(dtype=np.int64), weights
        return self._arrays

    def all_arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """Every posting's document number and weight, from the current block to the end."""
        ids, weights = [], []
        while self.is_active():
            block_ids, block_weights = self.block_arrays()
            ids.append(block_ids[self._i :])
            weights.append(block_weights[self._i :])
            self._next_block()
        if not ids:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=_WEIGHTS)
        return np.concatenate(ids), np.concatenate(weights)

    def values_for(self, wanted: np.ndarray) -> list[Any]:
        """The encoded values (positions) of the postings of ``wanted``, ascending document
        numbers that all have a posting here; only the blocks holding them are unpickled."""
        found: list[Any] = []
        while self.is_active() and len(found) < len(wanted):
            ids, _ = self.block_arrays()
            start = len(found)
            stop = start + int(np.searchsorted(wanted[start:], ids[-1], side="right"))
            if stop > start:
                self._read_values()
                where = np.searchsorted(ids, wanted[start:stop])
                found.extend(self._values[i] for i in where.tolist())
            self._next_block()
        return found

    def _read_ids(self) -> None:
        self._ids = self.block_arrays()[0].tolist()

    def _read_weights(self) -> None:
        self._weights = self.block_arrays()[1].tolist()

    def _read_values(self) -> None:
        if self._data is None:
            self._read_data()
        packed = self._data[2]
        if isinstance(packed, bytes):
            self._data = (*self._data[:2], pickle.loads(_unpack(packed)) if packed else None)
        super()._read_values()


def postings(reader: Any, field: str, text: bytes) -> LeafMatcher | None:
    """A segment's postings of a term, from one look-up of it in the terms file, or None
    when the segment lacks the term. Whoosh looks a term up three times to check, score and
    read it: 0.1 ms a term, a millisecond a query. Deleted documents are left in, for the
    caller to drop."""
    terms = reader._terms  # a segment's W3TermsReader
    try:
        info = terms.term_info(field, text)
    except TermNotFound:
        return None
    if info.is_inlined():  # never: an inlinelimit of 1 inlines only empty posting lists
        raise ValueError(f"{field}:{text!r} has inlined postings, which Codec never writes")
    offset, length = info.extent()
    return LeafMatcher(terms._postfile, offset, length, reader.schema[field].format)


_TERM = itemgetter(0, 1)
_TERMINFO = W3TermInfo._struct


class _FieldWriter(W3FieldWriter):
    """W3's terms and postings writer, fed a term's postings at a time; spelling fields'
    words go to the terms file's extras as word lists (see the module's docstring)."""

    def __init__(self, codec: Any, storage: Any, segment: Any) -> None:
        super().__init__(codec, storage, segment)
        # spelling field → (its words, sorted, and the number of postings of each)
        self._spellings: dict[str, tuple[list[bytes], list[int]]] = {}
        self._words: tuple[list[bytes], list[int]] | None = None  # the current field's

    def start_field(self, fieldname: str, fieldobj: Any) -> None:
        super().start_field(fieldname, fieldobj)
        self._words = None
        if isinstance(fieldobj, SpellField):
            self._words = self._spellings.setdefault(fieldname, ([], []))

    def close(self) -> None:
        self._tindex.extras[_SPELLING] = {
            name: _pack_words(*words) for name, words in self._spellings.items()
        }
        super().close()

    def add_postings(self, schema: Any, lengths: Any, items: Iterable[tuple]) -> None:
        """Write sorted ``(field, term bytes, docnum, weight, value)`` postings, as Whoosh's
        ``FieldWriter.add_postings`` does, one call per term instead of per posting."""
        last: tuple[str, bytes] | None = None
        table: bytes | None = None
        for key, group in groupby(items, key=_TERM):
            fieldname, btext = key
            if last is not None and key <= last:
                raise OutOfOrderError(f"Term {last!r} .. {key!r}")
            if last is None or fieldname != last[0]:
                if last is not None:
                    self.finish_field()
                fieldobj = schema[fieldname]
                self.start_field(fieldname, fieldobj)
                table = length_table(lengths, fieldname) if fieldobj.scorable else b""
            last = key
            _, _, ids, weights, values = zip(*group, strict=True)
            if ids[0] == -1:  # Whoosh's marker of a spelling-only word, never a posting
                kept = [i for i, docnum in enumerate(ids) if docnum != -1]
                if not kept:
                    continue
                ids, weights, values = (
                    [column[i] for i in kept] for column in (ids, weights, values)
                )
            if table is None:  # lengths Whoosh can only look up one at a time
                field_lengths = [
                    length_to_byte(lengths.doc_field_length(docnum, fieldname) or 0)
                    for docnum in ids
                ]
            elif table:
                field_lengths = [table[docnum] for docnum in ids]
            else:
                field_lengths = []
            self.add_term(btext, ids, weights, values, field_lengths)
        if last is not None:
            self.finish_field()

    def add_term(
        self,
        btext: bytes,
        ids: Sequence[int],
        weights: Sequence[float],
        values: Sequence[bytes | None],
        lengths: list[int],
    ) -> None:
        """One term's postings, ascending document numbers (inside ``start_field`` and
        ``finish_field``, terms in ascending order), with ``lengths`` the field-length bytes
        of their documents (empty for a field that is not scorable). A spelling field's
        word keeps its count only."""
        if self._words is not None:
            self._words[0].append(btext)
            self._words[1].append(len(ids))
            return
        if len(ids) <= self._postwriter._blocklimit:
            self._add_block_term(btext, ids, weights, values, lengths)
            return
        self.start_term(btext)
        self._postwriter.add_postings(list(ids), list(weights), [v or b"" for v in values], lengths)
        self.finish_term()

    def add_spelling(self, btext: bytes, documents: int) -> None:
        """A word of a spelling field and how many documents hold it, inside its
        ``start_field`` and ``finish_field``, words in ascending order: all the word list
        keeps of Whoosh's postings of it (see the module's docstring)."""
        if self._words is None:
            raise ValueError(f"{self._fieldname} is not a spelling field")
        self._words[0].append(btext)
        self._words[1].append(documents)

    def _add_block_term(
        self,
        btext: bytes,
        ids: Sequence[int],
        weights: Sequence[float],
        values: Sequence[bytes | None],
        lengths: list[int],
    ) -> None:
        """A term whose postings fit one block: what ``start_term``, :meth:`_PostingsWriter.
        add_postings` and ``finish_term`` write (same bytes), without their objects."""
        weights32 = array("f", weights)
        maxweight = max(0, max(weights))  # the first largest, as add_posting keeps it
        known = [b for b in lengths if b]
        shortest, longest = (min(known), max(known)) if known else (0, 0)
        kept = [value for value in values if value]
        fixed = self._format.fixed_value_size()
        if fixed is None or fixed < 0:
            mini: Any = tuple(kept)
        else:
            mini = b"".join(kept) if fixed else None
        packed = b"" if mini is None else _pack(pickle.dumps(mini, pickle.HIGHEST_PROTOCOL))
        arrays = _block_arrays(ids, weights32)
        data = _LENGTH.pack(len(arrays)) + arrays + packed
        info = pickle.dumps((len(ids), ids[-1], maxweight, 0, shortest, longest), 2)
        block = WHOOSH3_HEADER_MAGIC + pack_int(-(len(info) + len(data))) + info + data
        postfile = self._postfile.file  # past StructFile's Python wrappers
        offset = postfile.tell()
        postfile.write(block)
        terminfo = _TERMINFO.pack(
            0, 0 + sum(weights32), len(ids), shortest, longest, maxweight, ids[0], ids[-1]
        )
        self._tindex.add(
            pack_ushort(self._fieldid) + btext, terminfo + pack_long(offset) + pack_int(len(block))
        )


def length_table(lengths: Any, fieldname: str) -> bytes | None:
    """Every document's field-length byte (0 for none), or None when ``lengths`` can only
    be asked one document at a time."""
    if not lengths:
        return b""
    if not isinstance(lengths, W3PerDocReader):
        return None
    reader = lengths._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
    if reader is None:
        return b""
    table = bytes(reader.load())
    return table + bytes(lengths.doc_count_all() + 1 - len(table))


# The terms file's extras key of a segment's spelling words: {field: _pack_words(...)}.
_SPELLING = "spelling"
_SEPARATOR = b"\x00"
_COUNTS = np.dtype("<u4")
_WORDS_LEVEL = 6


def _pack_words(words: list[bytes], counts: list[int]) -> tuple[bytes, bytes]:
    """A spelling field's sorted words, joined by NUL and compressed, and their counts, as
    compressed little-endian 32-bit numbers (most are 1: they compress to almost nothing)."""
    joined = _SEPARATOR.join(words)
    if joined.count(_SEPARATOR) != max(0, len(words) - 1):
        raise ValueError("a spelling word holds a NUL character")
    packed_counts = np.asarray(counts, dtype=_COUNTS).tobytes()
    return zlib.compress(joined, _WORDS_LEVEL), zlib.compress(packed_counts, _WORDS_LEVEL)


class _Words:
    """One segment's words of a spelling field, decoded on first use: the words as one
    bytes object with the offsets of each (a list of bytes objects would take five times the
    memory) and their counts. A sequence of the words, for :mod:`bisect`."""

    def __init__(self, packed: tuple[bytes, bytes]) -> None:
        self._packed: tuple[bytes, bytes] | None = packed
        self._blob = b""
        self._starts = self._ends = array("I")
        self.counts = array("I")

    def _load(self) -> None:
        if self._packed is None:
            return
        words, counts = self._packed
        blob = zlib.decompress(words)
        self.counts = array("I", np.frombuffer(zlib.decompress(counts), dtype=_COUNTS).tolist())
        if self.counts:
            ends = np.flatnonzero(np.frombuffer(blob, dtype=np.uint8) == 0)
            starts = np.concatenate(([0], ends + 1)).astype(np.uint32)
            ends = np.concatenate((ends, [len(blob)])).astype(np.uint32)
            self._starts, self._ends = array("I", starts.tolist()), array("I", ends.tolist())
        self._blob, self._packed = blob, None

    def __len__(self) -> int:
        self._load()
        return len(self.counts)

    def __getitem__(self, i: int) -> bytes:
        return self._blob[self._starts[i] : self._ends[i]]

    def index(self, word: bytes) -> int:
        """The position of ``word``; KeyError when it is not a word of the segment."""
        i = bisect.bisect_left(self, word)
        if i == len(self.counts) or self[i] != word:
            raise KeyError(word)
        return i

    def count(self, word: bytes) -> int:
        """The number of postings (articles) of ``word``; KeyError when it has none."""
        i = self.index(word)  # first: it decodes the lists
        return self.counts[i]

    def items_from(self, prefix: bytes) -> Iterator[tuple[bytes, int]]:
        """(word, count) of the words from ``prefix`` on, in order."""
        start = bisect.bisect_left(self, prefix)
        if start == len(self.counts):
            return iter(())
        tail = self._blob[self._starts[start] :].split(_SEPARATOR)
        return zip(tail, self.counts[start:], strict=True)


class _SpellingInfo(W3TermInfo):
    """A spelling word's term info, from its count: the postings are ``count`` postings at
    document 0 of weight 1, as Whoosh's spelling fields write them (their values are empty:
    nothing reads them)."""

    def __init__(self, count: int) -> None:
        super().__init__(float(count), count, 0, 0, 1.0, 0, 0)

    def is_inlined(self) -> bool:
        return True

    def inlined_postings(self) -> tuple[tuple, tuple, tuple]:
        count = self._df
        return (0,) * count, (1.0,) * count, (b"",) * count


class _WordsCursor(FieldCursor):
    """Whoosh's cursor over a field's terms (what its fuzzy-term automata walk), for a
    spelling field's word list."""

    def __init__(self, words: _Words, fieldobj: Any) -> None:
        self._words, self._fieldobj = words, fieldobj
        self._i = 0

    def first(self) -> str | None:
        self._i = 0
        return self.text()

    def find(self, term: Any) -> str | None:
        if not isinstance(term, bytes):
            term = self._fieldobj.to_bytes(term)
        self._i = bisect.bisect_left(self._words, term)
        return self.text()

    def next(self) -> str | None:
        self._i += 1
        return self.text()

    def is_valid(self) -> bool:
        return self._i < len(self._words)

    def text(self) -> str | None:
        return self._fieldobj.from_bytes(self._words[self._i]) if self.is_valid() else None

    def term_info(self) -> W3TermInfo | None:
        return _SpellingInfo(self._words.counts[self._i]) if self.is_valid() else None


def _word_items(name: str, words: _Words, prefix: bytes) -> Iterator:
    return (((name, word), _SpellingInfo(count)) for word, count in words.items_from(prefix))


class _TermsReader(W3TermsReader):
    """W3's terms reader, with the spelling fields of a segment that keeps them as word
    lists answered from those (in the terms file's order: by field number, then bytes)."""

    def __init__(self, codec: Any, dbfile: Any, length: int, postfile: Any) -> None:
        super().__init__(codec, dbfile, length, postfile)
        packed = self._tindex.extras.get(_SPELLING, {})
        self._words = {name: _Words(lists) for name, lists in packed.items()}

    def __contains__(self, term: tuple[str, bytes]) -> bool:
        words = self._words.get(term[0])
        if words is None:
            return super().__contains__(term)
        try:
            words.index(term[1])
        except KeyError:
            return False
        return True

    def cursor(self, fieldname: str, fieldobj: Any) -> Any:
        words = self._words.get(fieldname)
        if words is None:
            return super().cursor(fieldname, fieldobj)
        return _WordsCursor(words, fieldobj)

    def terms(self) -> Iterator[tuple[str, bytes]]:
        return (term for term, _ in self.items())

    def terms_from(self, fieldname: str, prefix: bytes) -> Iterator[tuple[str, bytes]]:
        return (term for term, _ in self.items_from(fieldname, prefix))

    def items(self) -> Iterator[tuple[tuple[str, bytes], W3TermInfo]]:
        if not self._words:
            return super().items()
        return self._merged(super().items(), None, b"")

    def items_from(
        self, fieldname: str, prefix: bytes
    ) -> Iterator[tuple[tuple[str, bytes], W3TermInfo]]:
        if not self._words:
            return super().items_from(fieldname, prefix)
        return self._merged(super().items_from(fieldname, prefix), fieldname, prefix)

    def _merged(self, hashed: Iterator, fieldname: str | None, prefix: bytes) -> Iterator:
        """The terms file's items from (``fieldname``, ``prefix``) on (all of them for
        None), with the spelling fields' words in their place."""
        fieldmap = self._fieldmap
        first = -1 if fieldname is None else fieldmap.get(fieldname, 65535)
        streams = [hashed]
        for name, words in self._words.items():
            number = fieldmap.get(name, 65535)
            if number >= first:
                streams.append(_word_items(name, words, prefix if number == first else b""))
        return heapq.merge(*streams, key=lambda item: (fieldmap[item[0][0]], item[0][1]))

    def term_info(self, fieldname: str, tbytes: bytes) -> W3TermInfo:
        words = self._words.get(fieldname)
        if words is None:
            return super().term_info(fieldname, tbytes)
        try:
            return _SpellingInfo(words.count(tbytes))
        except KeyError:
            raise TermNotFound(f"No term {fieldname}:{tbytes!r}") from None

    def frequency(self, fieldname: str, tbytes: bytes) -> float:
        words = self._words.get(fieldname)
        if words is None:
            return super().frequency(fieldname, tbytes)
        return float(words.count(tbytes))

    def doc_frequency(self, fieldname: str, tbytes: bytes) -> int:
        words = self._words.get(fieldname)
        if words is None:
            return super().doc_frequency(fieldname, tbytes)
        return words.count(tbytes)


def table_fields(terms: W3TermsReader) -> dict[str, int]:
    """The fields of a segment's terms reader whose terms are in its terms file's hash table,
    by field number (not the spelling fields it keeps as word lists)."""
    words = getattr(terms, "_words", {})
    return {name: n for name, n in terms._fieldmap.items() if name not in words}


class Codec(W3Codec):
    """The codec every writer of ours uses."""

    def __init__(self, blocklimit: int = BLOCK_POSTINGS, inlinelimit: int = 1) -> None:
        super().__init__(blocklimit=blocklimit, compression=0, inlinelimit=inlinelimit)

    def postings_reader(
        self, dbfile: Any, terminfo: Any, format_: Any, term: Any = None, scorer: Any = None
    ) -> Any:
        if terminfo.is_inlined():
            return super().postings_reader(dbfile, terminfo, format_, term, scorer)
        offset, length = terminfo.extent()
        return LeafMatcher(dbfile, offset, length, format_, term=term, scorer=scorer)

    def postings_writer(self, dbfile: Any, byteids: bool = False) -> W3PostingsWriter:
        # Term vectors (byteids) keep W3's format: Whoosh reads them with its own matcher.
        writer = W3PostingsWriter if byteids else _PostingsWriter
        return writer(dbfile, blocklimit=self._blocklimit, byteids=byteids, compression=0)

    def terms_reader(self, storage: Any, segment: Any) -> W3TermsReader:
        name = segment.make_filename(self.TERMS_EXT)
        postings = segment.open_file(storage, self.POSTS_EXT)
        return _TermsReader(self, storage.open_file(name), storage.file_length(name), postings)

    def per_document_writer(self, storage: Any, segment: Any) -> W3PerDocWriter:
        return _PerDocWriter(self, storage, segment)

    def per_document_reader(self, storage: Any, segment: Any) -> W3PerDocReader:
        return _PerDocReader(storage, segment)

    def field_writer(self, storage: Any, segment: Any) -> W3FieldWriter:
        return _FieldWriter(self, storage, segment)
