"""The vocabulary's tables: strings sorted by their folded form, with a count each.

Built in memory when a segment is counted, or mapped from its ``.vocab`` file
(:mod:`.vocabfile`); sorted by :func:`~search_service.analysis.filters.search_key` (case and
diacritics removed), so that a prefix costs a binary search.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ...analysis.filters import search_key


class Strings:
    """Strings in one UTF-8 buffer, each followed by a newline, and their start offsets.

    ``strings[i]`` is the i-th string as bytes (UTF-8 orders as the code points do, so
    :mod:`bisect` finds a prefix in sorted strings without decoding them);
    :meth:`texts` decodes a range in one call."""

    def __init__(self, buffer: Any, offsets: np.ndarray, base: int = 0) -> None:
        self.buffer, self.offsets, self.base = buffer, offsets, base
        # Python ints from a memoryview: a third of the time of numpy's scalars per look-up.
        self._at = memoryview(offsets).cast("B").cast("Q")

    @classmethod
    def of(cls, texts: Iterable[str]) -> Strings:
        encoded = [text.encode("utf-8") + b"\n" for text in texts]
        offsets = np.zeros(len(encoded) + 1, dtype=np.uint64)
        np.cumsum([len(item) for item in encoded], out=offsets[1:])
        return cls(b"".join(encoded), offsets)

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def __getitem__(self, i: int) -> bytes:
        at, base = self._at, self.base
        return self.buffer[base + at[i] : base + at[i + 1] - 1]

    def texts(self, start: int, end: int) -> list[str]:
        if end <= start:
            return []
        at, base = self._at, self.base
        raw = self.buffer[base + at[start] : base + at[end] - 1]
        return raw.decode("utf-8").split("\n")

    def text(self, i: int) -> str:
        return self[i].decode("utf-8")


@dataclass
class Table:
    """Strings sorted by their folded form (``keys``), with a count each."""

    keys: Strings
    words: Strings
    counts: np.ndarray

    @classmethod
    def of(cls, counts: dict[str, int]) -> Table:
        """Sorted as (folded form, most frequent first, the string)."""
        entries = sorted((search_key(word), -count, word) for word, count in counts.items())
        return cls(
            Strings.of(key for key, _, _ in entries),
            Strings.of(word for _, _, word in entries),
            np.array([-count for _, count, _ in entries], dtype=np.uint32),
        )

    def __len__(self) -> int:
        return len(self.counts)


@dataclass
class GroupCounts:
    """One language group's words and phrases in one segment. Phrase counts are those of the
    counted articles (``sample``, document numbers in the segment), each of which stands for
    ``step`` articles; phrases counted fewer than ``least`` times were left out."""

    words: Table
    phrases: Table
    step: float
    sample: np.ndarray
    least: int
