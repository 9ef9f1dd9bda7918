"""A gentle preference for recent articles in ``sort=relevance``.

Each BM25F score is multiplied by ``1 + RECENCY_WEIGHT × 0.5 ^ (age / half-life)``: a story
published now gets up to 20 % more, one a half-life old 10 %, an old or undated one nothing.
That reorders results whose relevance is close and leaves clearly better matches on top.
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

from . import columns

RECENCY_WEIGHT = 0.2
_DAY = 86400 * 10**6  # published_at is stored as microseconds since datetime.min


class RecencyWeighting(scoring.WeightingModel):
    """Wraps a weighting model and scales its final score by the article's freshness."""

    use_final = True

    def __init__(self, base: scoring.WeightingModel, factors: np.ndarray) -> None:
        self.base = base
        self.factors = factors

    def scorer(self, searcher, fieldname, text, qf=1):
        return self.base.scorer(searcher, fieldname, text, qf=qf)

    def idf(self, searcher, fieldname, text):
        return self.base.idf(searcher, fieldname, text)

    def final(self, searcher, docnum, score):
        return score * float(self.factors[docnum])


def factors(searcher: Searcher, half_life_days: float, now: float) -> np.ndarray:
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


def searcher_for(searcher: Searcher, half_life_days: float, now: float | None = None) -> Searcher:
    """A searcher over the same reader that ranks with the recency boost (or ``searcher``
    itself when the boost is off). Cheap: it shares the open reader and closes nothing."""
    boost = _factors_for(searcher, half_life_days, now)
    if boost is None:
        return searcher
    return Searcher(
        searcher.reader(), weighting=RecencyWeighting(searcher.weighting, boost), closereader=False
    )


def rescaler(
    searcher: Searcher, half_life_days: float, now: float | None = None
) -> Callable[[np.ndarray, np.ndarray], np.ndarray] | None:
    """The boost as a function of (document numbers, scores) → boosted scores, for
    :func:`.matching.evaluate`; None when the boost is off."""
    boost = _factors_for(searcher, half_life_days, now)
    if boost is None:
        return None
    return lambda docnums, scores: scores * boost[docnums]


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
            boost = factors(searcher, half_life_days, now)
            _cache[:] = [reader, key, boost]
    return boost
