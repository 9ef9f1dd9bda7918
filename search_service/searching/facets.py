"""Facet counts for a whole result set (not just one page): per language, category and year.

Counted from the sortable columns (read once per set of segments as one label number per
document, see :func:`.columns.labels`): a facet is one ``bincount`` of the matches' labels, and no
stored document is read.
"""

from __future__ import annotations

import numpy as np
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
        labels, texts, ranks = columns.labels(searcher, column, key)
        found = np.bincount(labels[matches.docnums], minlength=len(texts) + 1)[1:]
        present = np.flatnonzero(found)
        order = present[np.lexsort((ranks[present], -found[present]))].tolist()
        facets[name] = {
            texts[i]: count for i, count in zip(order, found[order].tolist(), strict=True)
        }
    return facets
