"""The spelling fields' word lists: each field's words with how many articles hold each.

Each spelling field is kept as a sorted, compressed word list with those counts, and read
back as Whoosh's terms.

The unstemmed spelling sub-fields (:mod:`..fields`) were a posting per article and word,
every one at document 0, and a term each in the terms file: two fifths of a build's terms and
postings, for what their readers use of them, a word list with the number of articles that
hold each word. A segment keeps each spelling field as that list, sorted and compressed, in
the terms file's extras (:func:`pack_words`); the terms reader (:class:`.terms.TermsReader`)
answers term look-ups, counts, iteration and postings (one per article at document 0, what a
merge copies) from it. A segment without the list is read from its terms file as Whoosh
wrote it.
"""

from __future__ import annotations

import bisect
import zlib
from array import array
from collections.abc import Iterator
from typing import Any

import numpy as np
from whoosh.codec.base import FieldCursor
from whoosh.codec.whoosh3 import W3TermInfo

# The terms file's extras key of a segment's spelling words: {field: pack_words(...)}.
SPELLING = "spelling"
_SEPARATOR = b"\x00"
_COUNTS = np.dtype("<u4")
_WORDS_LEVEL = 6


def pack_words(words: list[bytes], counts: list[int]) -> tuple[bytes, bytes]:
    """A spelling field's sorted words, joined by NUL and compressed, and their counts, as
    compressed little-endian 32-bit numbers (most are 1: they compress to almost nothing)."""
    joined = _SEPARATOR.join(words)
    if joined.count(_SEPARATOR) != max(0, len(words) - 1):
        raise ValueError("a spelling word holds a NUL character")
    packed_counts = np.asarray(counts, dtype=_COUNTS).tobytes()
    return zlib.compress(joined, _WORDS_LEVEL), zlib.compress(packed_counts, _WORDS_LEVEL)


class Words:
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


class SpellingInfo(W3TermInfo):
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


class WordsCursor(FieldCursor):
    """Whoosh's cursor over a field's terms (what its fuzzy-term automata walk), for a
    spelling field's word list."""

    def __init__(self, words: Words, fieldobj: Any) -> None:
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
        return SpellingInfo(self._words.counts[self._i]) if self.is_valid() else None


def word_items(name: str, words: Words, prefix: bytes) -> Iterator:
    return (((name, word), SpellingInfo(count)) for word, count in words.items_from(prefix))
