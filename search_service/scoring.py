"""How a match scores: the BM25F parameters, in one place.

Each language's text is one field whose words count by the part they are in (title 3, lead
1.5, body 1; see spellfield.WeightedText); Whoosh scores it with BM25 and adds the folded
field's score (query.py). ``K1`` is how soon repeating a term stops adding score; ``B`` how
strongly a long text is discounted against an average one.

``B`` is Whoosh's and Lucene's default, 0.75. With three fields scored apart, 0.5 had measured
best; once each language's text became one weighted field, no single value met every
relevance target, and 0.75 meets the most (six of eight, against five for 0.5: it gains on
Turkish and Azerbaijani, and loses on short Russian posts; bench/RESULTS.md, "B with one
weighted field").
"""

from __future__ import annotations

from whoosh import scoring
from whoosh.searching import Searcher

K1 = 1.2
B = 0.75


def weighting() -> scoring.WeightingModel:
    return scoring.BM25F(B=B, K1=K1)


def searcher_for(searcher: Searcher) -> Searcher:
    """A searcher over the same reader that scores with these parameters, whatever the caller
    opened it with (the serving handle opens its searchers with them already). Cheap: it
    shares the open reader and closes nothing."""
    current = searcher.weighting
    if isinstance(current, scoring.BM25F) and (current.B, current.K1) == (B, K1):
        return searcher
    return Searcher(searcher.reader(), weighting=weighting(), closereader=False)
