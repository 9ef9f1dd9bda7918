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
    options = [[o for query in queries for o in _title_terms(query)] for queries in clauses]
    if not all(options):
        return full
    titled = np.zeros(len(full), dtype=bool)
    for leaf, offset in searcher.leaf_searchers():
        reader = leaf.reader()
        first, last = np.searchsorted(full.docnums, [offset, offset + reader.doc_count_all()])
        if first < last:
            titled[first:last] = _titled(reader, full.docnums[first:last] - offset, options)
    if not titled.any():
        return full
    return Matches(full.docnums, np.where(titled, full.scores * (1 + HEADLINE_BONUS), full.scores))


def _title_terms(node: wq.Query) -> list[tuple[tuple[str, str], ...]]:
    """What a clause's ``node`` matches in the text, as title terms: its options, each the
    terms a title must all hold (a phrase's words anywhere, as the title keeps no positions).
    The folded copy of the text has no title of its own, so its terms are no option."""
    if isinstance(node, (wq.Term, wq.Phrase)):
        if not node.fieldname.startswith(TEXT_PREFIX):
            return []
        title = TITLE_PREFIX + node.fieldname.removeprefix(TEXT_PREFIX)
        words = node.words if isinstance(node, wq.Phrase) else [node.text]
        return [tuple((title, word) for word in words)] if words else []
    if isinstance(node, wq.Or):
        return [option for sub in node.subqueries for option in _title_terms(sub)]
    if isinstance(node, wq.And):
        combined: list[tuple[tuple[str, str], ...]] = [()]
        for sub in node.subqueries:
            combined = [have + more for have in combined for more in _title_terms(sub)]
        return combined
    return []


def _titled(reader: Any, candidates: np.ndarray, options: list[list[tuple]]) -> np.ndarray:
    """Which of a segment's ``candidates`` (ascending) have a title holding, for each clause,
    every term of one of its ``options``."""
    files = reading.segment_files(reader)
    found: dict[tuple[str, str], np.ndarray | None] = {}

    def has(term: tuple[str, str]) -> np.ndarray | None:
        if term not in found:
            field, text = term
            postings = reading.postings(reader, field, text.encode("utf-8"), files)
            found[term] = None if postings is None else _among(candidates, postings.ids)
        return found[term]

    titled = np.ones(len(candidates), dtype=bool)
    for clause in options:
        in_title = np.zeros(len(candidates), dtype=bool)
        for option in clause:
            marks = [has(term) for term in option]
            if all(mark is not None for mark in marks):
                in_title |= np.logical_and.reduce(marks)
        titled &= in_title
        if not titled.any():
            break
    return titled


def _among(candidates: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """Which ``candidates`` are in ``ids`` (both ascending); each of the title's documents,
    fewer than the candidates as a rule, is looked up among them."""
    marks = np.zeros(len(candidates), dtype=bool)
    where = np.searchsorted(candidates, ids)
    inside = where < len(candidates)
    where = where[inside]
    marks[where[candidates[where] == ids[inside]]] = True
    return marks
