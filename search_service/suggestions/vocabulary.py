"""The index's own words and frequent phrases, per language: what suggestions complete and
what "did you mean" corrects towards.

They are counted per index segment when the segment is written and stored beside it
(:mod:`~search_service.indexing.counts`); here each segment's tables are mapped into memory on
first use (milliseconds, and the pages are shared by every worker), kept while the segment is
live, and combined across the segments of the live build. A segment without stored counts (a
build from an older version) is counted here instead, once per segment and process.
Each table is sorted by :func:`~search_service.analysis.filters.search_key` (case and
diacritics removed), so a prefix costs a binary search.
"""

from __future__ import annotations

import bisect
import heapq
import threading
from collections.abc import Callable

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import OSA
from whoosh.reading import IndexReader
from whoosh.searching import Searcher

from ..analysis.filters import search_key
from ..indexing import counts
from ..indexing.counts import GroupCounts, LivePhrases, Table
from ..indexing.live import LiveLexicon, LiveWords, Words

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


class _Segment:
    """One segment's words and phrases per language group: its stored counts, mapped, or
    counted here for a segment written without them."""

    def __init__(self, leaf: IndexReader) -> None:
        self.stored = counts.load(leaf)
        self._groups: dict[str, GroupCounts] = {}
        self._words: dict[str, Lexicon] = {}
        self._live: dict[str, LiveWords] = {}  # group → its words' check, for the deletions
        # group → (deleted articles seen, counts without them, their lexicon)
        self._phrases: dict[str, tuple[int, LivePhrases, Lexicon]] = {}

    def _counts(self, leaf: IndexReader, group: str) -> GroupCounts:
        found = self._groups.get(group)
        if found is None:
            if self.stored is not None and group in self.stored:
                found = self.stored[group]
            else:
                found = counts.count_group(leaf, group)
            self._groups[group] = found
        return found

    def words(self, leaf: IndexReader, group: str) -> Words:
        """The group's words, those only deleted articles had left out."""
        found = self._words.get(group)
        if found is None:
            found = self._words[group] = Lexicon.of(self._counts(leaf, group).words)
        deleted = leaf.segment().deleted_count()
        if not deleted:
            return found
        live = self._live.get(group)
        if live is None or live.deleted != deleted:
            live = self._live[group] = LiveWords(leaf, group)
        return LiveLexicon(found, leaf, live)

    def phrases(self, leaf: IndexReader, group: str) -> Lexicon:
        deleted = leaf.segment().deleted_count()
        known = self._phrases.get(group)
        if known is None or known[0] != deleted:
            live = known[1] if known else LivePhrases(self._counts(leaf, group))
            live.update(leaf, group)
            known = (deleted, live, Lexicon.of(live.counts.phrases, live.scaled()))
            self._phrases[group] = known
        return known[2]


class _Vocabularies:
    """The word and phrase lexicons of the live index, per segment: a segment's are read once
    per process (and its phrases corrected when articles of it are deleted)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._segments: dict[str, _Segment] = {}  # by segment id; only the live ones are kept

    def _leaves(self, searcher: Searcher) -> list[tuple[_Segment, IndexReader]]:
        leaves = [leaf for leaf, _ in searcher.reader().leaf_readers()]
        ids = [leaf.segment().segment_id() for leaf in leaves]
        for segment_id, leaf in zip(ids, leaves, strict=True):
            if segment_id not in self._segments:
                self._segments[segment_id] = _Segment(leaf)
        for stale in set(self._segments) - set(ids):
            del self._segments[stale]
        return [(self._segments[i], leaf) for i, leaf in zip(ids, leaves, strict=True)]

    def get(self, searcher: Searcher, group: str) -> Vocabulary:
        """The group's words."""
        with self._lock:
            return Vocabulary(
                [segment.words(leaf, group) for segment, leaf in self._leaves(searcher)]
            )

    def phrases(self, searcher: Searcher, group: str) -> Vocabulary:
        """The group's frequent phrases."""
        with self._lock:
            return Vocabulary(
                [segment.phrases(leaf, group) for segment, leaf in self._leaves(searcher)],
                same=str.lower,
                least=counts.MIN_DOCUMENTS,
            )


VOCABULARIES = _Vocabularies()
