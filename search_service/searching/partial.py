"""Partial matches that can win: an article missing a typed word pays for it by the word's rarity.

When few articles have every word (fewer than searcher.FILL_BELOW), requiring every word
first buries the article a reader means when it lacks one of the two or three words typed (a
synonym, another form, a word the reader misremembers): on known-item searches built from
real headlines that is the commonest way to lose. So an article with some of the words is
scored like one with all of them, less a cost for each word it lacks: the word's BM25 rarity
times :data:`MISSING_COST`. A rare missing word costs much (the reader means it), a common one
little. Articles whose cost exceeds their score are left out, so a query whose words all
occur together does not fill its pages with articles that have one.
Quoted phrases and excluded words are not weighed here: they stay strict (query.py).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import pairwise

import numpy as np
from whoosh import query as wq

from . import query
from .matching import Matches

_NONE = np.empty(0, dtype=np.int64)

# What a missing word costs, in units of its BM25 inverse document frequency.
MISSING_COST = 0.5


def rarity(found_in: int, documents: int) -> float:
    """BM25's inverse document frequency of a word found in ``found_in`` of ``documents``."""
    return math.log(1 + (documents - found_in + 0.5) / (found_in + 0.5))


def weigh(
    full: Matches, some: Matches, words: Sequence[tuple[np.ndarray, bool]], documents: int
) -> Matches:
    """``full`` (articles with every word) with those of ``some`` (articles with any word)
    that lack words, each scored less the cost of the words it lacks (see module docstring),
    when that leaves it a positive score. ``words`` holds each clause's documents and
    whether it is strict (a quoted phrase: an article without it is left out)."""
    cost = np.zeros(len(some.docnums))
    for docnums, strict in words:
        missing = ~_within(some.docnums, docnums)
        cost[missing] += math.inf if strict else MISSING_COST * rarity(len(docnums), documents)
    lacking = ~_within(some.docnums, full.docnums)
    scores = some.scores - cost
    kept = lacking & (scores > 0)
    docnums = np.concatenate([full.docnums, some.docnums[kept]])
    order = np.argsort(docnums, kind="stable")
    return Matches(docnums[order], np.concatenate([full.scores, scores[kept]])[order])


def clause_documents(
    parts: dict[query.Clause, list[wq.Query]], watch: dict[int, list[np.ndarray]]
) -> dict[query.Clause, np.ndarray]:
    """Each clause's documents (ascending, index-wide), from what the evaluation of the query
    whose clause queries ``parts`` names recorded in ``watch`` (see matching.evaluate)."""
    return {
        clause: _union([ids for q in queries for ids in watch[id(q)]])
        for clause, queries in parts.items()
    }


# np.isin and np.unique spend tens of microseconds setting up (hashing, choosing a method)
# whatever the size, and a binary search per article costs as much on the thousands of articles
# a common word matches; a table of document numbers (its pages untouched but where written)
# and a merge of arrays already in order cost a fraction of that on every weighed query.


def _within(values: np.ndarray, members: np.ndarray) -> np.ndarray:
    """Which of ``values`` are in ``members`` (both ascending)."""
    if not len(members) or not len(values):
        return np.zeros(len(values), dtype=bool)
    table = np.zeros(max(values[-1], members[-1]) + 1, dtype=bool)
    table[members] = True
    return table[values]


def _union(arrays: list[np.ndarray]) -> np.ndarray:
    """The documents of ``arrays`` (each ascending and unique), ascending and unique."""
    found = [ids for ids in arrays if len(ids)]
    if not found:
        return _NONE
    if all(a[-1] < b[0] for a, b in pairwise(found)):  # one segment after another
        return found[0] if len(found) == 1 else np.concatenate(found)
    ids = np.concatenate(found)
    ids.sort()
    keep = np.empty(len(ids), dtype=bool)
    keep[0] = True
    np.not_equal(ids[1:], ids[:-1], out=keep[1:])
    return ids[keep]
