"""Per-segment arrays of an index's columns: field lengths, sortable fields, deletions.

Whoosh reads a column one document at a time; scoring, counting and sorting whole result sets
with numpy (:mod:`.matching`, :mod:`.facets`, :mod:`.scoring`) need them as arrays. A segment
never changes once written (its deletions only grow, so they are keyed by their count), so
each array is read once per segment and shared by every search of the worker: an update
costs only its new segment.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import numpy as np
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield
from whoosh.reading import IndexReader
from whoosh.searching import Searcher
from whoosh.util.numeric import _length_byte_cache

# Field length of each stored length byte; a missing length counts as 1, as Whoosh's scorer
# asks for it with that default.
_LENGTHS = np.asarray(_length_byte_cache, dtype=np.float64)
_LENGTHS[0] = 1.0


def field_lengths(reader: IndexReader, field: str) -> np.ndarray:
    """Each document's length in ``field`` (as Whoosh stores it: one byte, log-scaled)."""
    return _per_segment(reader, "lengths", field, _read_lengths)


def deleted(reader: IndexReader) -> np.ndarray:
    """The segment's deleted document numbers."""
    gone = reader.deleted_docs_set
    return _cached(("deleted", _segment_id(reader), len(gone)), lambda: np.fromiter(gone, np.int64))


def numbers(searcher: Searcher, field: str) -> np.ndarray:
    """A numeric sortable column by index-wide document number, as stored (unsigned,
    untranslated)."""

    def load(reader: IndexReader, field: str) -> np.ndarray:
        return np.fromiter(reader.column_reader(field, translate=False), np.uint64)

    leaves = searcher.leaf_searchers()
    arrays = [_per_segment(leaf.reader(), "numbers", field, load) for leaf, _ in leaves]
    return np.concatenate(arrays) if arrays else np.empty(0, dtype=np.uint64)


def codes(
    searcher: Searcher, field: str, key: Callable[[Any], Any] | None = None
) -> list[tuple[int, np.ndarray, list[Any]]]:
    """A sortable column, per segment: (its first document number, the code of each of its
    documents' values, the value of each code), for counting documents per value. ``key``
    (a named function) maps each value first, such as a day to its year."""

    def load(reader: IndexReader, field: str) -> tuple[np.ndarray, list[Any]]:
        index: dict[Any, int] = {}
        values = reader.column_reader(field)
        if key is not None:
            values = map(key, values)
        found = np.fromiter((index.setdefault(v, len(index)) for v in values), np.int64)
        return found, list(index)

    kind = "codes" if key is None else f"codes:{key.__module__}.{key.__qualname__}"
    return [
        (offset, *_per_segment(leaf.reader(), kind, field, load))
        for leaf, offset in searcher.leaf_searchers()
    ]


def labels(
    searcher: Searcher, field: str, key: Callable[[Any], Any] | None = None
) -> tuple[np.ndarray, list[str], np.ndarray]:
    """A sortable column as labels for counting, over the whole index: each document's label
    number plus one (0 where the value is missing or empty), by index-wide document number;
    the labels (values as text, bytes decoded, equal texts one label); and each label's rank
    in sorted order. Built once per set of segments from their :func:`codes`."""
    kind = "labels" if key is None else f"labels:{key.__module__}.{key.__qualname__}"
    ids = tuple(_segment_id(leaf.reader()) for leaf, _ in searcher.leaf_searchers())

    def load() -> tuple[np.ndarray, list[str], np.ndarray]:
        index: dict[str, int] = {}
        parts = []
        for _, segment_codes, names in codes(searcher, field, key):
            numbers = [
                0 if text is None else index.setdefault(text, len(index) + 1)
                for text in map(_label, names)
            ]
            parts.append(np.asarray(numbers or [0], dtype=np.int32)[segment_codes])
        texts = list(index)
        ranks = np.empty(len(texts), dtype=np.int64)
        ranks[sorted(range(len(texts)), key=texts.__getitem__)] = np.arange(len(texts))
        by_document = np.concatenate(parts) if parts else np.empty(0, dtype=np.int32)
        return by_document, texts, ranks

    return _cached((kind, ids, field), load)


def groups(searcher: Searcher, field: str) -> tuple[np.ndarray, np.ndarray]:
    """A numeric column as groups of equal values: each document's group number, and whether
    its group holds other documents too, by index-wide document number. Built once per set
    of segments: most documents share their value with none, and a search need only look
    closer at those that do."""
    ids = tuple(_segment_id(leaf.reader()) for leaf, _ in searcher.leaf_searchers())

    def load() -> tuple[np.ndarray, np.ndarray]:
        _, group, sizes = np.unique(
            numbers(searcher, field), return_inverse=True, return_counts=True
        )
        return group.astype(np.int64), sizes[group] > 1

    return _cached(("groups", ids, field), load)


def _label(value: Any) -> str | None:
    if isinstance(value, bytes):
        value = value.decode("utf-8")
    return None if value in ("", None) else str(value)


def _read_lengths(reader: Any, field: str) -> np.ndarray:
    """The length column is one byte per document: read as one slice of the file rather
    than one document at a time (through the segment's own cached column reader)."""
    count = reader.doc_count_all()
    column = reader._perdoc._cached_reader(_lenfield(field), LENGTHS_COLUMN)
    if column is None:
        return np.ones(count, dtype=np.float64)
    raw = column._dbfile.get(column._basepos, column._count)
    stored = np.zeros(count, dtype=np.uint8)
    stored[: len(raw)] = np.frombuffer(raw, dtype=np.uint8)
    return _LENGTHS[stored]


def _segment_id(reader: IndexReader) -> str:
    return reader.segment().segment_id()


def _per_segment(reader: Any, kind: str, field: str, load: Callable[[Any, str], Any]) -> Any:
    """``load(reader, field)``, once per segment, field and kind of array."""
    return _cached((kind, _segment_id(reader), field), lambda: load(reader, field))


# The least recently used arrays are dropped once they hold more than this (segments merged
# away and old builds leave theirs behind). A 100,000-article index needs about 12 MB.
CACHE_BYTES = 64 * 2**20
_CACHE: OrderedDict[tuple, tuple[Any, int]] = OrderedDict()
_cache_bytes = 0
_CACHE_LOCK = threading.Lock()


def _cached(key: tuple, load: Callable[[], Any]) -> Any:
    global _cache_bytes
    with _CACHE_LOCK:
        if key in _CACHE:
            _CACHE.move_to_end(key)
            return _CACHE[key][0]
    value = load()
    size = sum(part.nbytes for part in _arrays(value))
    with _CACHE_LOCK:
        if key not in _CACHE:
            _CACHE[key] = (value, size)
            _cache_bytes += size
        while _cache_bytes > CACHE_BYTES and len(_CACHE) > 1:
            _, (_, dropped) = _CACHE.popitem(last=False)
            _cache_bytes -= dropped
    return value


def newest_first(searcher: Searcher) -> np.ndarray:
    """Sort keys for ``newest`` by document number: the publication time, undated last.

    The date column stores a missing value as its type's maximum, so a plain descending sort
    would put every undated article above the newest dated one.
    """
    published = numbers(searcher, "published_at")
    missing = searcher.schema["published_at"].default
    return np.where(published == missing, -1, published.astype(np.int64))


def _arrays(value: Any) -> list[np.ndarray]:
    parts = value if isinstance(value, tuple) else (value,)
    return [part for part in parts if isinstance(part, np.ndarray)]
