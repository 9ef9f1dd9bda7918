"""Whether a word of a segment's vocabulary is still in one of its live articles.

A segment's words and their document counts are written with it (:mod:`.words`), and its
files never change: deleting an article (a retraction, an unpublished post) only marks it
deleted. Without a check, its words would stay in ``/suggest`` and "did you mean" until the
segment is merged away. The check needs no recount: a word found in more of the segment's
articles than it has deleted ones is in a live one; any other (rare words, what a retraction
leaves behind) is looked up in the segment's postings of the word's terms, in the leader and
in every follower alike. A look-up is remembered with the live article that answered it, and
kept across later deletions unless they take that very article (a word gone stays gone: a
segment gains no articles).
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np
from whoosh.reading import IndexReader

from ...analysis.memo import query_terms
from .. import reading
from ..schema import TITLE_PREFIX, text_field


class Words(Protocol):
    """A segment's words as suggestions and spelling read them."""

    def complete(self, prefix: str, limit: int) -> list[tuple[int, str]]: ...
    def near(self, word: str, maxdist: int) -> list[tuple[str, int]]: ...
    def same_key(self, word: str) -> tuple[int, str] | None: ...


class LiveWords:
    """One language group's words of one segment as they stand with its current deletions,
    starting from what ``earlier`` (the check for fewer deletions) found."""

    def __init__(self, leaf: IndexReader, group: str, earlier: LiveWords | None = None) -> None:
        segment = leaf.segment()
        self.deleted = segment.deleted_count()
        self._gone = np.fromiter(segment.deleted_docs(), dtype=np.int64, count=self.deleted)
        self._fields = (text_field(group), f"{TITLE_PREFIX}{group}")
        # word → a live article that has it, or -1: none has
        self._known: dict[str, int] = {}
        if earlier is not None:
            newly = set(self._gone.tolist()) - set(earlier._gone.tolist())
            self._known = {w: doc for w, doc in earlier._known.items() if doc not in newly}

    def holds(self, leaf: IndexReader, word: str, documents: int = 0) -> bool:
        """Whether a live article of the segment has ``word``, which ``documents`` of its
        articles, deleted ones included, are counted to have (0: not known)."""
        if documents > self.deleted:
            return True
        found = self._known.get(word)
        if found is None:
            found = self._known[word] = self._look_up(leaf, word)
        return found >= 0

    def _look_up(self, leaf: IndexReader, word: str) -> int:
        """A live article of the segment with one of the word's terms, or -1."""
        schema = leaf.schema
        for field in self._fields:
            for term in query_terms(schema, field, word):
                postings = reading.postings(leaf, field, schema[field].to_bytes(term))
                if postings is not None:
                    live = postings.ids[~np.isin(postings.ids, self._gone)]
                    if len(live):
                        return int(live[0])
        return -1


class LiveLexicon:
    """A segment's words (a lexicon) with the words only deleted articles had left out."""

    def __init__(self, words: Words, leaf: IndexReader, live: LiveWords) -> None:
        self.words, self.leaf, self.live = words, leaf, live

    def complete(self, prefix: str, limit: int) -> list[tuple[int, str]]:
        wanted = limit
        while True:
            found = self.words.complete(prefix, wanted)
            kept = [(n, word) for n, word in found if self.live.holds(self.leaf, word, n)]
            if len(kept) >= limit or len(found) < wanted:
                return kept[:limit]
            wanted *= 4

    def near(self, word: str, maxdist: int) -> list[tuple[str, int]]:
        found = self.words.near(word, maxdist)
        return [(w, distance) for w, distance in found if self.live.holds(self.leaf, w)]

    def same_key(self, word: str) -> Any:
        return self.words.same_key(word)
