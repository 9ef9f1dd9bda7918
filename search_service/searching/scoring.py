"""How a match scores: the BM25F parameters and the recency boost, in one place.

Each language's text is one field whose words count by the part they are in (title 3, lead
2, body 1, tags and category 2; see indexing.fields.WeightedText); Whoosh scores it with BM25
and adds the folded field's score (query.py). ``K1`` is how soon repeating a term stops
adding score; ``B`` how strongly a long text is discounted against an average one.

``B`` is Whoosh's and Lucene's default, 0.75, except for Russian text, 0.5. No single value
suits every language (bench/RESULTS.md, "B with one weighted field" and "B per language"):
Turkish and Azerbaijani gain from the stronger discount, and both Russian sets from the
weaker one (Russian posts .228 → .253 nDCG@10, Russian XQuAD .959 → .961). A field's B only
changes the scores of its own language's articles, so the choices do not trade against
each other.

``sort=relevance`` and title suggestions prefer recent articles gently: each BM25F score is
multiplied by ``1 + RECENCY_WEIGHT × 0.5 ^ (age / half-life)``, so a story published now gets
up to 20 % more, one a half-life old 10 %, an old or undated one nothing. That reorders
results whose relevance is close and leaves clearly better matches on top.
``SEARCH_RECENCY_HALF_LIFE_DAYS=0`` turns it off.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime

import numpy as np
from whoosh import scoring
from whoosh.searching import Searcher
from whoosh.util.times import datetime_to_long

from ..indexing.schema import text_field
from . import columns

K1 = 1.2
B = 0.75
# Languages whose text is discounted for length with another B than the default.
LANGUAGE_B: dict[str, float] = {"ru": 0.5}
RECENCY_WEIGHT = 0.2
_DAY = 86400 * 10**6  # published_at is stored as microseconds since datetime.min


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


Rescale = Callable[[np.ndarray, np.ndarray], np.ndarray]


def recency_boost(
    searcher: Searcher, half_life_days: float, now: float | None = None
) -> Rescale | None:
    """The recency boost as a function of (document numbers, scores) → boosted scores, for
    :func:`.matching.evaluate`; None when the boost is off."""
    boost = _factors_for(searcher, half_life_days, now)
    if boost is None:
        return None
    return lambda docnums, scores: scores * boost[docnums]


def _factors(searcher: Searcher, half_life_days: float, now: float) -> np.ndarray:
    """Every document's boost factor, by document number (1.0 when undated)."""
    published = columns.numbers(searcher, "published_at")
    dated = published != searcher.schema["published_at"].default
    moment = datetime_to_long(datetime.fromtimestamp(now, UTC).replace(tzinfo=None))
    age = np.maximum(moment - published.astype(np.float64), 0)  # microseconds; future: 0
    fresh = 1 + RECENCY_WEIGHT * 0.5 ** (age / (half_life_days * _DAY))
    return np.where(dated, fresh, 1.0)


# The live reader, its key and its factors: one entry, since a worker serves one index.
_cache: list = [None, None, None]
_cache_lock = threading.Lock()


def _factors_for(searcher: Searcher, half_life_days: float, now: float | None) -> np.ndarray | None:
    """The factors of the searcher's reader, computed once per reader and hour, not per
    request."""
    if half_life_days <= 0:
        return None
    now = time.time() if now is None else now
    reader = searcher.reader()
    key = (reader.generation(), half_life_days, int(now // 3600))
    with _cache_lock:
        cached_reader, cached_key, boost = _cache
        if cached_reader is not reader or cached_key != key:  # identity, never a reused id
            boost = _factors(searcher, half_life_days, now)
            _cache[:] = [reader, key, boost]
    return boost
