"""Completions, near words and exact look-ups over the vocabulary's tables.

A :class:`Lexicon` reads one segment's table, a :class:`Vocabulary` adds up a build's.
rapidfuzz finds the near words ("did you mean"); each table is sorted by folded form, so a
prefix costs a binary search.
"""

from __future__ import annotations

import bisect
import heapq
from collections.abc import Callable

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import OSA

from ...analysis.filters import search_key
from .live import Words
from .tables import Table

# Past the last key starting with a prefix (as UTF-8, which orders as the code points do).
_LAST = "\U0010ffff".encode()


class Lexicon:
    """One language's words (or phrases), sorted by folded form, with their document counts."""

    def __init__(self, words: dict[str, int]) -> None:
        self._set(Table.of(words), None)

    @classmethod
    def of(cls, table: Table, counts: np.ndarray | None = None) -> Lexicon:
        """A lexicon over a stored table, with other ``counts`` if given (0: left out)."""
        lexicon = cls.__new__(cls)
        lexicon._set(table, counts)
        return lexicon

    def _set(self, table: Table, counts: np.ndarray | None) -> None:
        self.keys, self.words = table.keys, table.words
        self.counts = table.counts if counts is None else counts
        self._sparse = counts is not None and not counts.all()
        self._top: dict[str, list[tuple[int, str]]] = {}

    def complete(self, prefix: str, limit: int) -> list[tuple[int, str]]:
        """The most frequent words whose folded form starts with ``prefix``: (count, word)."""
        cached = self._top.get(prefix)
        if cached is not None and len(cached) >= limit:
            return cached[:limit]
        wanted = prefix.encode("utf-8")
        start = bisect.bisect_left(self.keys, wanted)
        end = bisect.bisect_left(self.keys, wanted + _LAST, start)
        counts = self.counts[start:end]
        if len(counts) > limit:
            # Every entry counted at least as often as the limit-th most frequent one: the
            # top ``limit`` of these by (count, word) are those of the whole range.
            least = np.partition(counts, len(counts) - limit)[len(counts) - limit]
            chosen = np.flatnonzero(counts >= max(least, 1)) + start
        else:
            chosen = np.arange(start, end)[counts > 0] if self._sparse else range(start, end)
        top = heapq.nlargest(limit, ((int(self.counts[i]), self.words.text(i)) for i in chosen))
        if end - start > 500 and len(self._top) < 50_000:
            self._top[prefix] = top  # short prefixes span many words: remember them
        return top

    def near(self, word: str, maxdist: int) -> list[tuple[str, int]]:
        """(word, edit distance) of the words within ``maxdist`` edits of ``word`` that begin
        with the same folded letter; a swap of neighbouring letters is one edit (optimal
        string alignment). rapidfuzz compares in C++: a Python loop over the tens of
        thousands of words under one letter, or Whoosh's automaton over its term index, takes
        a hundred times longer."""
        first = search_key(word[:1]).encode("utf-8")
        start = bisect.bisect_left(self.keys, first)
        end = bisect.bisect_left(self.keys, first + _LAST, start)
        found = process.extract(
            word,
            self.words.texts(start, end),
            scorer=OSA.distance,
            score_cutoff=maxdist,
            limit=None,
        )
        return [(candidate, int(distance)) for candidate, distance, _ in found]

    def same_key(self, word: str) -> tuple[int, str] | None:
        """(count, word) of the most frequent word that folds like ``word``, if any."""
        key = search_key(word).encode("utf-8")
        start = bisect.bisect_left(self.keys, key)
        end = bisect.bisect_right(self.keys, key, start)
        found = [(int(self.counts[i]), self.words.text(i)) for i in range(start, end)]
        return max(found) if found else None


class Vocabulary:
    """One language's words (or phrases) across the segments of an index: completions and
    counts add up over the per-segment lexicons (approximately: each segment offers its own
    top words). Entries are the same when ``same`` maps them to one value (phrases: whatever
    their case); the most frequent spelling is shown. Totals below ``least`` are left out."""

    def __init__(
        self, lexicons: list[Words], same: Callable[[str], str] | None = None, least: int = 1
    ) -> None:
        self.lexicons = lexicons
        self.same = same
        self.least = least

    def complete(self, prefix: str, limit: int) -> list[tuple[int, str]]:
        if len(self.lexicons) == 1:
            found = self.lexicons[0].complete(prefix, limit)
            return [entry for entry in found if entry[0] >= self.least]
        counts: dict[str, int] = {}
        spelling: dict[str, tuple[int, str]] = {}
        for lexicon in self.lexicons:
            for count, word in lexicon.complete(prefix, limit):
                key = self.same(word) if self.same else word
                counts[key] = counts.get(key, 0) + count
                spelling[key] = max(spelling.get(key, (0, word)), (count, word))
        return heapq.nlargest(
            limit,
            ((count, spelling[key][1]) for key, count in counts.items() if count >= self.least),
        )

    def near(self, word: str, maxdist: int) -> list[tuple[str, int]]:
        """See :meth:`Lexicon.near`; each word once."""
        return list(
            dict(pair for lexicon in self.lexicons for pair in lexicon.near(word, maxdist)).items()
        )

    def exact(self, word: str) -> str | None:
        found = [best for lexicon in self.lexicons if (best := lexicon.same_key(word))]
        return max(found)[1] if found else None
