"""A gentle preference for recent articles in ``sort=relevance``.

Each BM25F score is multiplied by ``1 + RECENCY_WEIGHT × 0.5 ^ (age / half-life)``: a story
published now gets up to 20 % more, one a half-life old 10 %, an old or undated one nothing.
That reorders results whose relevance is close and leaves clearly better matches on top.
``SEARCH_RECENCY_HALF_LIFE_DAYS=0`` turns it off.
"""

from __future__ import annotations

import bisect
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

    def __init__(self, base: scoring.WeightingModel, half_life_days: float, now: float) -> None:
        self.base = base
        self.half_life = half_life_days * _DAY
        self.now = now
        self._column = None

    def scorer(self, searcher, fieldname, text, qf=1):
        return self.base.scorer(searcher, fieldname, text, qf=qf)

    def idf(self, searcher, fieldname, text):
        return self.base.idf(searcher, fieldname, text)

    def final(self, searcher, docnum, score):
        if self._column is None:
            # One column per segment: Whoosh's multi-segment column reader mis-indexes
            # segments that have deletions.
            leaves = searcher.reader().leaf_readers()
            self._offsets = [offset for _, offset in leaves]
            self._column = [r.column_reader("published_at", translate=False) for r, _ in leaves]
            self._missing = searcher.schema["published_at"].default
        segment = bisect.bisect_right(self._offsets, docnum) - 1
        published = self._column[segment][docnum - self._offsets[segment]]
        if published is None or published >= self._missing:
            return score
        age = max(self.now - published, 0)
        return score * (1 + RECENCY_WEIGHT * 0.5 ** (age / self.half_life))


def searcher_for(searcher: Searcher, half_life_days: float, now: float | None = None) -> Searcher:
    """A searcher over the same reader that ranks with the recency boost (or ``searcher``
    itself when the boost is off). Cheap: it shares the open reader and closes nothing."""
    if half_life_days <= 0:
        return searcher
    moment = datetime.fromtimestamp(time.time() if now is None else now, UTC).replace(tzinfo=None)
    weighting = RecencyWeighting(searcher.weighting, half_life_days, datetime_to_long(moment))
    return Searcher(searcher.reader(), weighting=weighting, closereader=False)
