"""A segment's terms and postings read from memory maps of its files, for searching.

Whoosh reads the terms file's hash table and the postings file through file objects, a seek
and a few bytes at a time, each through several Python calls: at 20,000 articles a term
look-up took 27 µs, and reading a term's 700 postings as arrays (block headers unpickled from
the file, block by block) 150 µs; a search looks up a dozen terms per segment. Here both
files are mapped once per segment, a look-up is a hash and a few ``struct`` reads of the map,
and a term's postings are one slice of it, split into blocks without a matcher object. The
bytes are those :mod:`.codec` writes; a segment this cannot read (a compound file, another
hash type) is read through Whoosh, as is a term whose postings are not in the hash table.
"""

from __future__ import annotations

import io
import mmap
import pickle
import struct
import weakref
import zlib
from dataclasses import dataclass
from hashlib import md5
from itertools import chain
from typing import Any

import numpy as np
from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC, W3TermInfo

from .codec import postings as block_format
from .codec.terms import table_fields

_POINTER = struct.Struct("!Iq")  # a hash table slot: the key's hash, the key's position
_LENGTHS = struct.Struct("!ii")  # before each key: its length and its value's length
_INT = struct.Struct("!i")
_TERMINFO = W3TermInfo._struct
_EXTENT = struct.Struct("!qi")  # after the term info: where its postings are, how long
_DOC_FREQUENCY = 2  # the term info's field with the number of documents
_EMPTY_IDS = np.empty(0, dtype=np.int64)
_EMPTY_WEIGHTS = np.empty(0, dtype=np.float32)


def _md5(key: bytes) -> int:
    return int.from_bytes(md5(key, usedforsecurity=False).digest()[12:], "big")


def _crc(key: bytes) -> int:
    return zlib.crc32(key) & 0xFFFFFFFF


# Whoosh's hash types, in its order; the third (cdb) cannot hash bytes on Python 3.
_HASHES = (_md5, _crc)


class _Files:
    """The maps of one segment's terms and postings files, and the terms table's layout."""

    def __init__(self, terms: Any) -> None:
        table = terms._tindex
        self.terms = _mapped(table.dbfile)
        self.postings = _mapped(terms._postfile)
        self.usable = (
            self.terms is not None
            and self.postings is not None
            and table.startoffset == 0
            and table.hashtype < len(_HASHES)
        )
        if self.usable:
            self.hash = _HASHES[table.hashtype]
            self.tables = table.tables
            self.fields = table_fields(terms)

    def knows(self, field: str) -> bool:
        """Whether the terms table can answer for ``field``: it has terms of it."""
        return self.usable and field in self.fields

    def term_info(self, field: str, text: bytes) -> bytes | None:
        """The stored term info of ``field``'s ``text``, or None when the table lacks it."""
        number = self.fields[field]
        key = number.to_bytes(2, "big") + text
        keyhash = self.hash(key)
        start, slots = self.tables[keyhash & 255]
        if not slots:
            return None
        data, size = self.terms, _POINTER.size
        end = start + slots * size
        slot = start + ((keyhash >> 8) % slots) * size
        for _ in range(slots):
            found, position = _POINTER.unpack_from(data, slot)
            if not position:
                return None
            if found == keyhash:
                keylength, valuelength = _LENGTHS.unpack_from(data, position)
                at = position + _LENGTHS.size
                if keylength == len(key) and data[at : at + keylength] == key:
                    return data[at + keylength : at + keylength + valuelength]
            slot += size
            if slot == end:
                slot = start
        return None


def _mapped(structfile: Any) -> Any:
    """The whole of a Whoosh file as a buffer: a memory map of a real file, the memory view
    of a file already in memory; None for anything else (a part of a compound file)."""
    buffer = getattr(structfile, "_buf", None)
    if buffer is not None:
        return buffer
    handle = getattr(structfile, "file", None)
    if handle is None or not getattr(structfile, "is_real", False):
        return None
    try:
        return mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
    except (OSError, ValueError, io.UnsupportedOperation):
        return None


# Per open segment (its terms reader), its maps; gone with the reader.
_FILES: weakref.WeakKeyDictionary[Any, _Files] = weakref.WeakKeyDictionary()


def segment_files(reader: Any) -> _Files:
    """The maps of a segment's files (opened once per segment)."""
    terms = reader._terms
    found = _FILES.get(terms)
    if found is None:
        found = _FILES[terms] = _Files(terms)
    return found


@dataclass(frozen=True)
class TermPostings:
    """A term's postings in one segment: document numbers (ascending), weights, and each
    block's packed values (positions), unpacked only when asked for."""

    ids: np.ndarray
    weights: np.ndarray
    blocks: tuple[tuple[int, int, bytes], ...]  # (first posting, past its last, values)

    def values_for(self, wanted: np.ndarray) -> list[bytes]:
        """The encoded values of the postings of ``wanted``, ascending document numbers that
        all have a posting here; only the blocks holding them are unpickled."""
        where = np.searchsorted(self.ids, wanted)
        found: list[bytes] = []
        for start, stop, packed in self.blocks:
            first, last = np.searchsorted(where, [start, stop])
            if first == last:
                continue
            values = pickle.loads(block_format.unpack(packed))
            found.extend(values[i - start] for i in where[first:last].tolist())
        return found


def postings(
    reader: Any, field: str, text: bytes, maps: _Files | None = None
) -> TermPostings | None:
    """A segment's postings of a term, read whole, or None when the segment lacks it.
    Deleted documents are left in, for the caller to drop. ``maps``: :func:`segment_files` of the
    reader, when the caller has them."""
    files = maps or segment_files(reader)
    if not files.knows(field):
        return _through_whoosh(reader, field, text)
    info = files.term_info(field, text)
    if info is None:
        return None
    if info[0]:  # inlined postings, which the codec never writes
        raise ValueError(f"{field}:{text!r} has inlined postings, which Codec never writes")
    offset, length = _EXTENT.unpack_from(info, _TERMINFO.size)
    return _read(files.postings[offset : offset + length])


def doc_frequency(reader: Any, field: str, text: bytes) -> int:
    """How many of a segment's documents (deleted ones too, as Whoosh counts) have a term."""
    files = segment_files(reader)
    if not files.knows(field):
        return reader.doc_frequency(field, text)
    info = files.term_info(field, text)
    if info is None:
        return 0
    return _TERMINFO.unpack_from(info)[_DOC_FREQUENCY]


def _through_whoosh(reader: Any, field: str, text: bytes) -> TermPostings | None:
    matcher = block_format.term_postings(reader, field, text)
    if matcher is None:
        return None
    ids, weights, blocks, count = [], [], [], 0
    while matcher.is_active():
        block_ids, block_weights = matcher.block_arrays()
        if matcher._data is None:
            matcher._read_data()
        ids.append(block_ids)
        weights.append(block_weights)
        blocks.append((count, count + len(block_ids), matcher._data[2]))
        count += len(block_ids)
        matcher._next_block()
    return _postings(ids, weights, blocks)


def _postings(ids: list, weights: list, blocks: list) -> TermPostings:
    if not ids:
        return TermPostings(_EMPTY_IDS, _EMPTY_WEIGHTS, ())
    if len(ids) == 1:
        return TermPostings(ids[0], weights[0], tuple(blocks))
    return TermPostings(np.concatenate(ids), np.concatenate(weights), tuple(blocks))


def _read(data: bytes) -> TermPostings:
    """Parse a term's blocks as :class:`.codec.postings.LeafMatcher` reads them: after the
    header, per block its size (negative for the last), its pickled statistics, then the
    packed arrays (see :func:`.codec.postings.block_arrays`) and values."""
    if data[:4] != WHOOSH3_HEADER_MAGIC:
        raise ValueError(f"postings start with {data[:4]!r}, not a block header")
    arrays, blocks = [], []
    position, count = len(WHOOSH3_HEADER_MAGIC), 0
    while True:
        (size,) = _INT.unpack_from(data, position)
        start = position + _INT.size
        end = start + abs(size)
        at = _past_statistics(data, start)
        (length,) = block_format.LENGTH.unpack_from(data, at)
        at += block_format.LENGTH.size
        raw = block_format.unpack(data[at : at + length])
        id_type, weight_type = block_format.DTYPES[chr(raw[0])], block_format.DTYPES[chr(raw[1])]
        size_ids = (len(raw) - 2) // (id_type.itemsize + weight_type.itemsize)
        arrays.append((raw, id_type, weight_type, size_ids))
        blocks.append((count, count + size_ids, data[at + length : end]))
        count += size_ids
        if size < 0:
            break
        position = end
    ids, weights = _arrays(arrays)
    return TermPostings(ids, weights, tuple(blocks))


def _arrays(arrays: list[tuple[bytes, np.dtype, np.dtype, int]]) -> tuple[np.ndarray, np.ndarray]:
    """The document numbers and weights of a term's blocks, from each block's unpacked
    arrays: two type codes, the document-number gaps (the first from 0), the weights (whole
    halves unless float). Blocks of the same types, most of a long list, are read as one."""
    if len(arrays) == 1 or len({(a[1], a[2]) for a in arrays}) > 1:
        parts = [_block(*block) for block in arrays]
        if len(parts) == 1:
            return parts[0]
        return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])
    _, id_type, weight_type, _ = arrays[0]
    counts = np.fromiter((a[3] for a in arrays), np.int64, count=len(arrays))
    width = id_type.itemsize
    gaps = b"".join(raw[2 : 2 + width * count] for raw, _, _, count in arrays)
    totals = np.zeros(len(gaps) // width + 1, dtype=np.int64)
    np.cumsum(np.frombuffer(gaps, dtype=id_type), out=totals[1:])
    # Each block's gaps start from 0: take back the sum of the blocks before it.
    ids = totals[1:] - np.repeat(totals[np.cumsum(counts) - counts], counts)
    weights = np.frombuffer(
        b"".join(raw[2 + width * count :] for raw, _, _, count in arrays), dtype=weight_type
    )
    return ids, _float_weights(weights, weight_type)


def _block(
    raw: bytes, id_type: np.dtype, weight_type: np.dtype, count: int
) -> tuple[np.ndarray, np.ndarray]:
    ids = np.frombuffer(raw, dtype=id_type, count=count, offset=2).cumsum(dtype=np.int64)
    weights = np.frombuffer(raw, dtype=weight_type, offset=2 + id_type.itemsize * count)
    return ids, _float_weights(weights, weight_type)


def _float_weights(weights: np.ndarray, weight_type: np.dtype) -> np.ndarray:
    return (
        weights
        if weight_type == block_format.WEIGHTS
        else (weights / 2).astype(block_format.WEIGHTS)
    )


# Pickle opcodes of the statistics tuple: a number's opcode and how many bytes follow it.
_NUMBER_WIDTHS = {ord("K"): 1, ord("M"): 2, ord("J"): 4, ord("G"): 8, ord("N"): 0}
_STATISTICS = 6


def _past_statistics(data: bytes, start: int) -> int:
    """Where a block's pickled statistics end: walked opcode by opcode when they have the
    shape the codec writes (protocol 2, a memoised tuple of six numbers), else unpickled."""
    if data[start : start + 3] == b"\x80\x02(":
        at = start + 3
        for _ in range(_STATISTICS):
            width = _NUMBER_WIDTHS.get(data[at])
            if width is None:
                break
            at += 1 + width
        else:
            if data[at : at + 2] == b"tq" and data[at + 3] == ord("."):
                return at + 4
    stream = io.BytesIO(data)
    stream.seek(start)
    pickle.Unpickler(stream).load()
    return stream.tell()


def positions(values: list[bytes]) -> tuple[np.ndarray, np.ndarray]:
    """The word positions in ``values`` (the Positions format's: a count, then a pickled
    list of gaps from the previous position), as one array, and how many each value has."""
    gaps = [
        pickle.loads(value[4:] if value.endswith(b".") else value[4:] + b".") for value in values
    ]
    counts = np.fromiter(map(len, gaps), np.int64, count=len(gaps))
    totals = np.zeros(int(counts.sum()) + 1, dtype=np.int64)
    np.cumsum(
        np.fromiter(chain.from_iterable(gaps), np.int64, count=len(totals) - 1), out=totals[1:]
    )
    # Each value's gaps start from 0: take back the sum of the values before it.
    firsts = np.cumsum(counts) - counts
    return totals[1:] - np.repeat(totals[firsts], counts), counts
