"""The postings block format: narrow raw arrays that numpy reads whole, positions apart.

W3 pickles each block of up to 128 postings as tuples of Python numbers, with every posting's
word positions in the same compressed pickle: reading a block's document numbers and weights
decompressed and unpickled all of it, 66 µs a block, so a word in 40,000 of 100,000 articles
took 20 ms to read before any scoring. Here a block holds 512 postings; its document numbers
(as gaps) and weights are one compressed pair of raw little-endian arrays, and its positions
a separately compressed pickle. Reading the numbers is one ``zlib.decompress`` and
``numpy.frombuffer`` (see :mod:`search_service.indexing.reading`), and positions are
unpickled only when a phrase needs them. Whoosh's matchers read the same blocks through
:class:`LeafMatcher`.
"""

from __future__ import annotations

import pickle
import struct
import sys
import zlib
from array import array
from itertools import pairwise
from typing import Any

import numpy as np
from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC, W3LeafMatcher, W3PostingsWriter
from whoosh.reading import TermNotFound
from whoosh.util.numeric import byte_to_length, length_to_byte

# The narrowest array type for a block's document-number gaps, and for its weights, which
# are mostly sums of part weights (3, 1.5, 1) and so stored as whole halves when they can be.
_TYPECODES = ("B", "H", "I")
_WEIGHT_TYPECODES = ("B", "H", "f")
DTYPES = {"B": np.dtype("u1"), "H": np.dtype("<u2"), "I": np.dtype("<u4"), "f": np.dtype("<f4")}
WEIGHTS = DTYPES["f"]
# Postings per block: fewer, larger blocks cost less per posting to read whole (what
# matching.py does); Whoosh's default is 128.
BLOCK_POSTINGS = 512
_LEVEL = 3  # zlib level of each block's arrays and of its positions
LENGTH = struct.Struct("<I")


class PostingsWriter(W3PostingsWriter):
    """Writes each block as W3 does (length, pickled block statistics, data), with our data:
    the document-number gaps and weights as two narrow arrays packed together, then the
    values (positions) pickled and packed apart (see :func:`pack`). No pickle wraps the
    data: protocol 2, which W3 uses, stores bytes as Latin-1 text, a third larger."""

    def _write_block(self, last: bool = False) -> None:
        if not self._blockcount:
            self._postfile.write(WHOOSH3_HEADER_MAGIC)
        self._terminfo.add_block(self)
        arrays, values = self._arrays(), self._packed_values()
        data = LENGTH.pack(len(arrays)) + arrays + values
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
        return block_arrays(self._ids, self._weights)

    def _packed_values(self) -> bytes:
        values = self._mini_values()
        if values is None:
            return b""
        return pack(pickle.dumps(values, pickle.HIGHEST_PROTOCOL))


def block_arrays(ids: Any, weights32: array) -> bytes:
    """A block's document-number gaps and (float32) weights, as :class:`PostingsWriter`
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
    return pack(head + parts[0].tobytes() + parts[1].tobytes())


def _single_posting(docnum: int, weight: float) -> bytes:
    """:func:`block_arrays` of one posting (most terms have one), with a struct per pair of
    type codes instead of two arrays."""
    half = weight * 2
    value: float = int(half) if half.is_integer() else weight
    id_code = _narrowest(docnum, _TYPECODES)
    weight_code = _narrowest(value, _WEIGHT_TYPECODES) if half.is_integer() else "f"
    codes = id_code + weight_code
    return pack(codes.encode() + _PAIRS[codes].pack(docnum, value))


# Little-endian, standard sizes: the bytes of array(...).tobytes() on a little-endian machine.
_PAIRS = {i + w: struct.Struct(f"<{i}{w}") for i in _TYPECODES for w in _WEIGHT_TYPECODES}


def _narrowest(largest: float, typecodes: tuple[str, ...]) -> str:
    for code in typecodes[:-1]:
        if largest < 1 << (8 * array(code).itemsize):
            return code
    return typecodes[-1]


# zlib's smallest output (header, an empty block, checksum): nothing this short gets shorter.
_ZLIB_MINIMUM = 8


def pack(data: bytes) -> bytes:
    """``data`` compressed when that makes it shorter (not for the one or two postings of
    most words, where zlib's header and checksum outweigh the gain), marked by a first byte."""
    if len(data) <= _ZLIB_MINIMUM:
        return b"r" + data
    packed = zlib.compress(data, _LEVEL)
    return b"z" + packed if len(packed) < len(data) else b"r" + data


def unpack(data: bytes) -> bytes:
    return zlib.decompress(data[1:]) if data[:1] == b"z" else data[1:]


class LeafMatcher(W3LeafMatcher):
    """Whoosh's matcher over our blocks; :meth:`all_arrays` is the fast path."""

    def _goto(self, position: int) -> None:
        self._arrays: tuple[np.ndarray, np.ndarray] | None = None
        super()._goto(position)

    def _read_data(self) -> None:
        data = self._postfile.get(self._dataoffset, self._nextoffset - self._dataoffset)
        (length,) = LENGTH.unpack_from(data)
        start = LENGTH.size
        self._data = (data[start : start + length], None, data[start + length :])

    def block_arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """The current block's document numbers (ascending, within the segment) and weights."""
        if self._arrays is None:
            if self._data is None:
                self._read_data()
            raw, count = unpack(self._data[0]), self._blocklength
            id_type, weight_type = DTYPES[chr(raw[0])], DTYPES[chr(raw[1])]
            ids = np.frombuffer(raw, dtype=id_type, count=count, offset=2)
            weights = np.frombuffer(raw, dtype=weight_type, offset=2 + id_type.itemsize * count)
            if weight_type != WEIGHTS:
                weights = (weights / 2).astype(WEIGHTS)
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
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=WEIGHTS)
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
            self._data = (*self._data[:2], pickle.loads(unpack(packed)) if packed else None)
        super()._read_values()


def term_postings(reader: Any, field: str, text: bytes) -> LeafMatcher | None:
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
