"""A gentle preference for recent articles in ``sort=relevance``.

Each BM25F score is multiplied by ``1 + RECENCY_WEIGHT × 0.5 ^ (age / half-life)``: a story
published now gets up to 20 % more, one a half-life old 10 %, an old or undated one nothing.
That reorders results whose relevance is close and leaves clearly better matches on top.
``SEARCH_RECENCY_HALF_LIFE_DAYS=0`` turns it off.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

from whoosh import scoring
from whoosh.searching import Searcher
from whoosh.util.times import datetime_to_long

RECENCY_WEIGHT = 0.2
_DAY = 86400 * 10**6  # published_at is stored as microseconds since datetime.min


class RecencyWeighting(scoring.WeightingModel):
    """Wraps a weighting model and scales its final score by the article's freshness."""

    use_final = True

    def __init__(self, base: scoring.WeightingModel, factors: list[float]) -> None:
        self.base = base
        self.factors = factors

    def scorer(self, searcher, fieldname, text, qf=1):
        return self.base.scorer(searcher, fieldname, text, qf=qf)

    def idf(self, searcher, fieldname, text):
        return self.base.idf(searcher, fieldname, text)

    def final(self, searcher, docnum, score):
        return score * self.factors[docnum]


def factors(searcher: Searcher, half_life_days: float, now: float) -> list[float]:
    """Every document's boost factor, by document number (1.0 when undated)."""
    missing = searcher.schema["published_at"].default
    half_life = half_life_days * _DAY
    moment = datetime_to_long(datetime.fromtimestamp(now, UTC).replace(tzinfo=None))
    result: list[float] = []
    # One column per segment: Whoosh's multi-segment column reader mis-indexes segments
    # that have deletions.
    for reader, _ in searcher.reader().leaf_readers():
        for published in reader.column_reader("published_at", translate=False):
            if published is None or published >= missing:
                result.append(1.0)
            else:
                age = max(moment - published, 0)
                result.append(1 + RECENCY_WEIGHT * 0.5 ** (age / half_life))
    return result


# The live reader, its key and its factors: one entry, since a worker serves one index.
_cache: list = [None, None, None]
_cache_lock = threading.Lock()


def searcher_for(searcher: Searcher, half_life_days: float, now: float | None = None) -> Searcher:
    """A searcher over the same reader that ranks with the recency boost (or ``searcher``
    itself when the boost is off). Cheap: it shares the open reader and closes nothing, and
    the factors are computed once per reader and hour, not per request."""
    if half_life_days <= 0:
        return searcher
    now = time.time() if now is None else now
    reader = searcher.reader()
    key = (reader.generation(), half_life_days, int(now // 3600))
    with _cache_lock:
        cached_reader, cached_key, boost = _cache
        if cached_reader is not reader or cached_key != key:  # identity, never a reused id
            boost = factors(searcher, half_life_days, now)
            _cache[:] = [reader, key, boost]
    return Searcher(
        reader, weighting=RecencyWeighting(searcher.weighting, boost), closereader=False
    )
