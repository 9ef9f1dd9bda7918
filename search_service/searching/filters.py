"""A request's filters (language, category, tags, dates) as the set of articles they allow."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from whoosh import query as wq
from whoosh.searching import Searcher

from ..indexing.schema import day_value
from . import matching


def allowed(
    searcher: Searcher,
    lang: str | None,
    category: str | None,
    tags: Iterable[str],
    date_from: date | None,
    date_to: date | None,
) -> matching.Matches | None:
    """The articles the filters allow, or None when there are none: every filter must hold,
    and a date range is inclusive at both ends, either end open."""
    conditions: list[wq.Query] = []
    if lang:
        conditions.append(wq.Term("lang", lang))
    if category:
        conditions.append(wq.Term("category", category))
    conditions.extend(wq.Term("tag", tag) for tag in tags)
    if date_from or date_to:
        conditions.append(wq.NumericRange("published_day", _day(date_from), _day(date_to)))
    if not conditions:
        return None
    query = conditions[0] if len(conditions) == 1 else wq.And(conditions)
    return matching.evaluate(searcher, query)[0]


def _day(value: date | None) -> int | None:
    return None if value is None else day_value(value)
