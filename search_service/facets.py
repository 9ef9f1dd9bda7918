"""Facet counts for a whole result set (not just one page): per language, category and year.

Counted by Whoosh while it collects the matches (``groupedby`` with ``Count``), from the
sortable columns, so no stored document is read.
"""

from __future__ import annotations

from typing import Any

from whoosh import sorting

FACETS = ("lang", "category", "year")
_LAST_YEAR = 9999  # published_day stores a missing date as its column's maximum


def search_options() -> dict[str, Any]:
    """Keyword arguments for ``Searcher.search`` that make it count the facets."""
    return {
        "groupedby": {
            "lang": sorting.FieldFacet("lang"),
            "category": sorting.FieldFacet("category"),
            # Counted per day and summed per year below: a TranslateFacet would see the
            # column's encoded sort keys, not the days.
            "year": sorting.FieldFacet("published_day"),
        },
        "maptype": sorting.Count,
    }


def counts(results: Any) -> dict[str, dict[str, int]]:
    """``{"lang": {"en": 12, ...}, "category": {...}, "year": {"2025": 3, ...}}``, each
    ordered by count (highest first), then value; missing values are left out."""
    facets: dict[str, dict[str, int]] = {}
    for name in FACETS:
        totals: dict[str, int] = {}
        for value, count in results.groups(name).items():
            if isinstance(value, bytes):
                value = value.decode("utf-8")
            if value in ("", None):
                continue
            if name == "year":
                value = value // 10000
                if value > _LAST_YEAR:
                    continue
            totals[str(value)] = totals.get(str(value), 0) + count
        pairs = list(totals.items())
        pairs.sort(key=lambda pair: (-pair[1], pair[0]))
        facets[name] = dict(pairs)
    return facets
