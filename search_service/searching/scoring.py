"""How a match scores: the BM25F parameters, in one place.

Each language's text is one field whose words count by the part they are in (title 3, lead
1.5, body 1; see indexing.fields.WeightedText); Whoosh scores it with BM25 and adds the folded
field's score (query.py). ``K1`` is how soon repeating a term stops adding score; ``B`` how
strongly a long text is discounted against an average one.

``B`` is Whoosh's and Lucene's default, 0.75, except for Russian text, 0.5. No single value
suits every language (bench/RESULTS.md, "B with one weighted field" and "B per language"):
Turkish and Azerbaijani gain from the stronger discount, and both Russian sets from the
weaker one (Russian posts .228 → .253 nDCG@10, Russian XQuAD .959 → .961). A field's B only
changes the scores of its own language's articles, so the choices do not trade against
each other.
"""

from __future__ import annotations

from whoosh import scoring
from whoosh.searching import Searcher

from ..indexing.schema import text_field

K1 = 1.2
B = 0.75
# Languages whose text is discounted for length with another B than the default.
LANGUAGE_B: dict[str, float] = {"ru": 0.5}


def weighting() -> scoring.WeightingModel:
    fields = {f"{text_field(group)}_B": value for group, value in LANGUAGE_B.items()}
    return scoring.BM25F(B=B, K1=K1, **fields)


def searcher_for(searcher: Searcher) -> Searcher:
    """A searcher over the same reader that scores with these parameters, whatever the caller
    opened it with (the serving handle opens its searchers with them already). Cheap: it
    shares the open reader and closes nothing."""
    current, wanted = searcher.weighting, weighting()
    if isinstance(current, scoring.BM25F) and _parameters(current) == _parameters(wanted):
        return searcher
    return Searcher(searcher.reader(), weighting=wanted, closereader=False)


def _parameters(model: scoring.BM25F) -> tuple[float, float, dict[str, float]]:
    return model.B, model.K1, model._field_B
