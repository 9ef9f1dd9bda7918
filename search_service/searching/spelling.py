"""\"Did you mean …?\": corrections for query words that are rare or absent in the index.

Candidates come from the index's own vocabulary, per language: the unstemmed words of its
articles (:mod:`~search_service.indexing.vocabulary`, the same words suggestions complete),
searched in memory for words within one or two edits. A word is only corrected when it matches
none of the results and a candidate is clearly more frequent.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from whoosh import query as wq
from whoosh.searching import Searcher

from ..analysis.memo import query_terms
from ..indexing.schema import FOLD_PREFIX, text_field
from ..indexing.vocabulary.cache import VOCABULARIES
from . import matching
from . import query as reader_query

# A word found in more documents than this is never "rare", whatever the results hold.
RARE_DOCUMENTS = 2
# A correction must be found in at least this many times more documents than the word.
BETTER_BY = 4
MIN_WORD_LENGTH = 3


def did_you_mean(
    searcher: Searcher,
    text: str,
    clauses: Sequence[reader_query.Clause],
    groups: Sequence[str],
    matched: Callable[[wq.Query], bool],
    frequency: Callable[[str, str], int] | None = None,
) -> str | None:
    """The query with its misspelt words corrected, or None when there is nothing to fix.

    ``matched(query)`` says whether any result of the search matches ``query``; a word that
    does is never corrected, however rare it is. ``frequency(field, term)``, the number of
    articles with a term, defaults to the index's count; the search passes the counts of the
    words it has just read.
    """
    frequency = frequency or searcher.reader().doc_frequency
    corrections: dict[str, str] = {}
    for clause in clauses:
        if clause.excluded or clause.phrase or len(clause.text) < MIN_WORD_LENGTH:
            continue
        if clause.text in corrections:
            continue
        better = _correct(searcher, clause.text, groups, matched, frequency)
        if better:
            corrections[clause.text] = better
    if not corrections:
        return None
    pattern = re.compile("|".join(rf"(?<!\w){re.escape(w)}(?!\w)" for w in corrections))
    return pattern.sub(lambda m: _same_case(m.group(0), corrections[m.group(0)]), text)


def _correct(
    searcher: Searcher,
    word: str,
    groups: Sequence[str],
    matched: Callable[[wq.Query], bool],
    frequency: Callable[[str, str], int],
) -> str | None:
    schema, reader = searcher.schema, searcher.reader()
    found, terms = 0, []
    for group in groups:
        exact = _terms(schema, group, word)
        found += sum(frequency(text_field(group), term) for term in exact)
        terms += [wq.Term(text_field(group), t) for t in exact]
        # The word as a search also matches it without diacritics ("qarabag", "xezer"): that
        # is the same word, found, not a misspelling.
        folded = f"{FOLD_PREFIX}{group}"
        if folded in schema:
            for term in query_terms(schema, folded, word):
                found += frequency(folded, term)
                terms.append(wq.Term(folded, term))
        if found > RARE_DOCUMENTS:  # common: the other languages cannot make it rare
            return None
    if found and matched(wq.Or(terms)):
        return None
    # (distance, -documents, -documents with this very form, word): words sharing a stem tie
    # on documents, and then the form readers use most wins (нефтъ → нефть, not нефте).
    best: tuple[int, int, int, str] | None = None
    for group in groups:
        field = text_field(group)
        surface = [t.text for t in schema[field].analyzer(word, no_morph=True)]
        if len(surface) != 1:
            continue
        typed = surface[0]
        maxdist = 1 if len(typed) <= 4 else 2
        spelling = schema[field].spelling_fieldname(field)
        for candidate, distance in VOCABULARIES.get(searcher, group).near(typed, maxdist):
            if candidate == typed or candidate[:1] != typed[:1]:
                continue
            documents = sum(
                _documents(searcher, group, t) for t in _terms(schema, group, candidate)
            )
            if documents < max(1, BETTER_BY * found):
                continue
            form = reader.doc_frequency(spelling, candidate)
            key = (distance, -documents, -form, candidate)
            if best is None or key < best:
                best = key
    return None if best is None else best[-1]


def _terms(schema, group: str, word: str) -> list[str]:
    return list(query_terms(schema, text_field(group), word))


def _documents(searcher: Searcher, group: str, term: str) -> int:
    """Documents of one language containing ``term`` in title, lead or body."""
    return matching.doc_frequency(searcher, text_field(group), term)


def _same_case(typed: str, word: str) -> str:
    if typed.isupper() and len(typed) > 1:
        return word.upper()
    if typed[:1].isupper():
        return word[:1].upper() + word[1:]
    return word
