"""What the reader-page features cost ``/search``: recency boost and facet counting.

Runs the same queries against an existing index (build one with ``bench/suggest.py``) with
the recency boost on and off, and with facet counting switched off by replacing
``facets.counts`` for the run, and prints p50/p95 of
:func:`search_service.searching.searcher.search`.

Example:

    .venv/bin/python bench/search_features.py --index-dir /tmp/suggest-bench-index

Timings on a shared machine are noisy; run it twice and compare.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from search_service.indexing.store import IndexStore
from search_service.searching import facets
from search_service.searching.searcher import SearchRequest, search

QUERIES = [
    "oil prices", "government", "нефть", "москва", "bank", "trade deficit",
    "президент россии", "iqtisadiyyat", "market", "wheat exports", "goverment budget",
]  # fmt: skip


def measure(searcher, rounds: int, **options) -> str:
    for q in QUERIES:  # warm caches (recency factors, lexicons)
        search(searcher, SearchRequest(q=q), **options)
    timings = []
    for _ in range(rounds):
        for q in QUERIES:
            started = time.perf_counter()
            search(searcher, SearchRequest(q=q), **options)
            timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    p95 = timings[int(len(timings) * 0.95) - 1]
    return f"p50 {statistics.median(timings):7.1f} ms   p95 {p95:7.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--index-dir", type=Path, default=Path("/tmp/suggest-bench-index"))
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    _, ix = IndexStore(args.index_dir).open_current()
    with ix.searcher() as searcher:
        print(f"{searcher.doc_count()} articles, {len(QUERIES)} queries × {args.rounds}")
        print("recency 180 days, facets :", measure(searcher, args.rounds, recency_half_life=180))
        print("recency off,      facets :", measure(searcher, args.rounds, recency_half_life=0))
        counts = facets.counts
        facets.counts = lambda searcher, matches: {}
        try:
            print("recency off,   no facets :", measure(searcher, args.rounds, recency_half_life=0))
        finally:
            facets.counts = counts


if __name__ == "__main__":
    main()
