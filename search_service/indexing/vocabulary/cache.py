"""Each process's word and phrase lexicons of the live build, read once per segment.

A segment's stored tables are mapped into memory on first use (milliseconds, and the pages are
shared by every worker), kept while the segment is live, and combined across the segments of
the live build. A segment without stored counts (a build from an older version) is counted
here instead, once per segment and process.
"""

from __future__ import annotations

import threading

from whoosh.reading import IndexReader
from whoosh.searching import Searcher

from . import counting, phrases, vocabfile
from .lexicon import Lexicon, Vocabulary
from .live import LiveLexicon, LiveWords, Words
from .phrases import LivePhrases
from .tables import GroupCounts


class _Segment:
    """One segment's words and phrases per language group: its stored counts, mapped, or
    counted here for a segment written without them."""

    def __init__(self, leaf: IndexReader) -> None:
        self.stored = vocabfile.load(leaf)
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
                found = counting.count_group(leaf, group)
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
            live = self._live[group] = LiveWords(leaf, group, live)
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
                least=phrases.MIN_DOCUMENTS,
            )


VOCABULARIES = _Vocabularies()
