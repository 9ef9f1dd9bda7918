"""The headline counts as a headline: an article whose title holds every typed word ranks higher.

A title word weighs three body words in the text field (indexing.fields.WeightedText), but
BM25 saturates: an article whose title has one of two words and whose body repeats both
outscores the one whose title has both. A reader who remembers a headline's words expects
that article first, so among the articles with every word, those whose title alone also has
every word get :data:`HEADLINE_BONUS` more of their own score.

A clause is in the title when one of the terms it matches in the text field (its analysed
forms, its synonyms, a joined word's parts) is in the title field of the same language, which
holds the title alone, analysed alike (indexing.schema). Only the title postings of the
query's terms are read, and only the full matches are looked up in them: no field is scored.
The diacritic-free copy of the text has no title of its own, so a word typed without its
diacritics does not count as in the title.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from whoosh import query as wq
from whoosh.searching import Searcher

from ..indexing import reading
from ..indexing.schema import TEXT_PREFIX, TITLE_PREFIX
from .matching import Matches

# What an article whose title holds every typed word gains, as a share of its own score.
HEADLINE_BONUS = 0.25


def bonus(searcher: Searcher, full: Matches, clauses: Sequence[Sequence[wq.Query]]) -> Matches:
    """``full`` (the articles with every word) with the scores of those whose title holds
    every clause raised by :data:`HEADLINE_BONUS`; ``clauses`` holds each positive clause's
    queries (one per language field set, see query.build's ``parts``)."""
    if not len(full) or not clauses:
        return full
    titled = np.zeros(len(full), dtype=bool)
    for leaf, offset in searcher.leaf_searchers():
        reader = leaf.reader()
        first, last = np.searchsorted(full.docnums, [offset, offset + reader.doc_count_all()])
        if first == last:
            continue
        titles = _Titles(reader, full.docnums[first:last] - offset)
        found = np.ones(last - first, dtype=bool)
        for queries in clauses:
            in_title = np.zeros(last - first, dtype=bool)
            for query in queries:
                in_title |= titles.has(query)
            found &= in_title
            if not found.any():
                break
        titled[first:last] = found
    if not titled.any():
        return full
    return Matches(full.docnums, np.where(titled, full.scores * (1 + HEADLINE_BONUS), full.scores))


class _Titles:
    """Which of a segment's candidate documents have in their title what a clause's query
    matches in the text."""

    def __init__(self, reader: Any, candidates: np.ndarray) -> None:
        self.reader = reader
        self.files = reading.segment_files(reader)
        self.candidates = candidates  # ascending segment document numbers

    def has(self, node: wq.Query) -> np.ndarray:
        """Whether each candidate's title has ``node`` (a phrase: its words anywhere in it, as
        the title keeps no positions)."""
        if isinstance(node, wq.Term):
            return self._term(node.fieldname, node.text)
        if isinstance(node, wq.Phrase):
            return self._every([self._term(node.fieldname, word) for word in node.words])
        if isinstance(node, wq.And):
            return self._every([self.has(sub) for sub in node.subqueries])
        found = np.zeros(len(self.candidates), dtype=bool)
        if isinstance(node, wq.Or):
            for sub in node.subqueries:
                found |= self.has(sub)
        return found

    def _term(self, field: str, text: str) -> np.ndarray:
        found = np.zeros(len(self.candidates), dtype=bool)
        if not field.startswith(TEXT_PREFIX):
            return found  # the folded copy: no title of its own
        title = TITLE_PREFIX + field.removeprefix(TEXT_PREFIX)
        postings = reading.postings(self.reader, title, text.encode("utf-8"), self.files)
        if postings is not None:
            # the title's documents are few: each is looked up among the candidates
            where = np.searchsorted(self.candidates, postings.ids)
            inside = where < len(self.candidates)
            where = where[inside]
            found[where[self.candidates[where] == postings.ids[inside]]] = True
        return found

    def _every(self, parts: list[np.ndarray]) -> np.ndarray:
        found = np.ones(len(self.candidates), dtype=bool)
        for part in parts:
            found &= part
        return found
