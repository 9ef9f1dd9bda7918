"""One story, one row: a search's rows group the copies of an article (the same normalised
title and body) and, without a language filter, the language versions of a story, showing
the best-ranked of each; a row names the copies it stands for and the story's versions in
other languages. The keys come from the index (:mod:`..indexing.stories`); a build made
before them has none, and each of its articles is a row of its own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from whoosh.searching import Searcher

from . import columns
from .matching import Matches

Ranked = list[tuple[int, float | None]]


@dataclass(frozen=True)
class Grouping:
    """Per document number: the group of its row and of its copies, each with whether the
    group holds other documents (None for a build without keys: every article its own row)."""

    rows: tuple[np.ndarray, np.ndarray] | None = None
    copies: tuple[np.ndarray, np.ndarray] | None = None

    def count(self, matches: Matches, pinned: list[int]) -> int:
        """How many rows the matches and the pinned articles make."""
        docs = matches.docnums
        if pinned:
            docs = np.union1d(docs, np.array(pinned, dtype=np.int64))
        if self.rows is None:
            return len(docs)
        group, shared = self.rows
        grouped = docs[shared[docs]]
        return len(docs) - len(grouped) + int(np.unique(group[grouped]).size)

    def page(self, ranking: Callable[[int], Ranked], pinned: list[int], limit: int) -> Ranked:
        """The first ``limit`` rows: the pinned articles, then ``ranking``'s best, each row
        its best-ranked article. ``ranking(n)`` is the best ``n`` matches; more are asked for
        until the rows fill ``limit`` or the matches run out, so every page agrees."""
        wanted = limit
        while True:
            ranked = ranking(wanted)
            chosen = set(pinned)
            placed = [(d, None) for d in pinned] + [p for p in ranked if p[0] not in chosen]
            kept = self._first_of_each_row(placed, limit)
            if len(kept) >= limit or len(ranked) < wanted:
                return kept
            wanted *= 2

    def _first_of_each_row(self, placed: Ranked, limit: int) -> Ranked:
        if self.rows is None:
            return placed[:limit]
        group, shared = self.rows
        kept: Ranked = []
        seen: set[int] = set()
        for docnum, score in placed:
            if shared[docnum]:
                if int(group[docnum]) in seen:
                    continue
                seen.add(int(group[docnum]))
            kept.append((docnum, score))
            if len(kept) == limit:
                break
        return kept

    def duplicates(self, matches: Matches, docnum: int) -> list[int]:
        """The other matching copies of the article ``docnum``."""
        if self.copies is None or not self.copies[1][docnum]:
            return []
        group = self.copies[0]
        same = matches.docnums[group[matches.docnums] == group[docnum]]
        return [other for other in same.tolist() if other != docnum]


def ranking(
    full: Matches, loose: Matches | None, keys: np.ndarray | None
) -> Callable[[int], Ranked]:
    """The best ``n`` of a search's matches (for :meth:`Grouping.page`): the full matches
    first, then the rest of the loose ones."""

    def best(n: int) -> Ranked:
        ranked = full.top(n, keys)
        if loose is not None:
            seen = {docnum for docnum, _ in ranked}
            ranked += [pair for pair in loose.top(n, keys) if pair[0] not in seen]
        return ranked[:n]

    return best


def grouping(searcher: Searcher, by_story: bool) -> Grouping:
    """Rows of copies, and of the versions of a story too when ``by_story``."""
    if "copy_key" not in searcher.schema:
        return Grouping()
    copies = columns.groups(searcher, "copy_key")
    return Grouping(columns.groups(searcher, "story_key") if by_story else copies, copies)


def translations(
    searcher: Searcher, fields: dict[str, Any], hidden: set[int]
) -> list[dict[str, Any]]:
    """The story's other versions in the index (any language, the hidden left out)."""
    story = fields.get("story")
    if not story:
        return []
    found = []
    for docnum in searcher.document_numbers(story=story):
        other = searcher.stored_fields(docnum)
        if other["id"] != fields["id"] and docnum not in hidden:
            found.append(
                {
                    "id": other["id"],
                    "lang": other.get("lang", ""),
                    "title": other.get("title", ""),
                    "url": other.get("url") or None,
                }
            )
    return sorted(found, key=lambda version: (version["lang"], version["id"]))
