"""Partial matches that can win: an article missing a typed word pays for it by the word's rarity.

Requiring every word first buries the article a reader means when it lacks one of the two or
three words typed (a synonym, another form, a word the reader misremembers): on known-item
searches built from real headlines that is the commonest way to lose. So an article with some
of the words is scored like one with all of them, less a cost for each word it lacks: the
word's BM25 rarity times :data:`MISSING_COST`. A rare missing word costs much (the reader
means it), a common one little. Articles whose cost exceeds their score are left out, so a
query whose words all occur together does not fill its pages with articles that have one.
Quoted phrases and excluded words are not weighed here: they stay strict (query.py).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

from . import query
from .matching import Matches

# What a missing word costs, in units of its BM25 inverse document frequency.
MISSING_COST = 0.5


def rarity(found_in: int, documents: int) -> float:
    """BM25's inverse document frequency of a word found in ``found_in`` of ``documents``."""
    return math.log(1 + (documents - found_in + 0.5) / (found_in + 0.5))


def weigh(
    full: Matches, some: Matches, words: Sequence[tuple[Matches, bool]], documents: int
) -> Matches:
    """``full`` (articles with every word) with those of ``some`` (articles with any word)
    that lack words, each scored less the cost of the words it lacks (see module docstring),
    when that leaves it a positive score. ``words`` holds each clause's own matches and
    whether it is strict (a quoted phrase: an article without it is left out)."""
    cost = np.zeros(len(some.docnums))
    for matches, strict in words:
        missing = ~np.isin(some.docnums, matches.docnums, assume_unique=True)
        cost[missing] += math.inf if strict else MISSING_COST * rarity(len(matches), documents)
    lacking = ~np.isin(some.docnums, full.docnums, assume_unique=True)
    scores = some.scores - cost
    kept = lacking & (scores > 0)
    docnums = np.concatenate([full.docnums, some.docnums[kept]])
    order = np.argsort(docnums, kind="stable")
    return Matches(docnums[order], np.concatenate([full.scores, scores[kept]])[order])


def each_word(
    run: Callable[..., tuple[Matches, bool]], clauses: Sequence[query.Clause]
) -> list[tuple[Matches, bool]]:
    """Each positive clause's matches on its own (with its synonyms and folded forms), as
    ``run(match_all=True, clauses=[clause])`` finds them, and whether it is a quoted phrase,
    for :func:`weigh`."""
    return [
        (run(match_all=True, clauses=[clause])[0], clause.phrase)
        for clause in clauses
        if not clause.excluded
    ]
