"""Facet counts for a whole result set (not just one page): per language, category and year.

Counted from the sortable columns (read once per segment, see :mod:`.columns`), so no
stored document is read.
"""

from __future__ import annotations

from whoosh.searching import Searcher

from ..indexing.schema import day_year
from . import columns, matching

# Each facet, the column it counts and how a column value becomes the facet's value.
FACETS = {
    "lang": ("lang", None),
    "category": ("category", None),
    "year": ("published_day", day_year),
}


def counts(searcher: Searcher, matches: matching.Matches) -> dict[str, dict[str, int]]:
    """``{"lang": {"en": 12, ...}, "category": {...}, "year": {"2025": 3, ...}}``, each
    ordered by count (highest first), then value; missing values are left out."""
    facets: dict[str, dict[str, int]] = {}
    for name, (column, key) in FACETS.items():
        totals: dict[str, int] = {}
        grouped = matches.count_by(columns.codes(searcher, column, key))
        for value, count in grouped.items():
            if isinstance(value, bytes):
                value = value.decode("utf-8")
            if value in ("", None):
                continue
            totals[str(value)] = totals.get(str(value), 0) + count
        pairs = list(totals.items())
        pairs.sort(key=lambda pair: (-pair[1], pair[0]))
        facets[name] = dict(pairs)
    return facets
