"""Cost limits of one search: a deadline on collecting matches.

Whoosh's own :class:`~whoosh.collectors.TimeLimitCollector` starts a timer thread per search
and, on Unix, interrupts with SIGALRM, which is unsafe in a gunicorn worker that uses signals
itself. This collector checks a monotonic deadline between matched documents instead: no
thread, no signal, at the cost of finishing the current posting before it notices.
"""

from __future__ import annotations

import time
from typing import Any

from whoosh.collectors import FilterCollector, TimeLimit, TimeLimitCollector
from whoosh.searching import Results, Searcher

__all__ = ["DeadlineCollector", "TimeLimit", "run_with_deadline"]


class DeadlineCollector(TimeLimitCollector):
    """Stops collecting (raising :class:`TimeLimit`) once ``timelimit`` seconds have passed;
    ``results()`` then holds what was collected so far."""

    def __init__(self, child: Any, timelimit: float) -> None:
        super().__init__(child, timelimit, use_alarm=False)
        self.deadline = 0.0

    def prepare(self, top_searcher: Searcher, q: Any, context: Any) -> None:
        self.child.prepare(top_searcher, q, context)
        self.timedout = False
        self.deadline = time.monotonic() + self.timelimit

    def collect_matches(self) -> None:
        for sub_docnum in self.child.matches():
            self.collect(sub_docnum)

    def collect(self, sub_docnum: int) -> Any:
        # Checked per document so that a FilterCollector wrapping this one keeps its filter.
        if time.monotonic() >= self.deadline:
            self.timedout = True
            raise TimeLimit
        return self.child.collect(sub_docnum)

    def computes_count(self) -> bool:
        return self.child.computes_count()

    def finish(self) -> None:
        self.child.finish()


def run_with_deadline(
    searcher: Searcher, q: Any, options: dict[str, Any], time_limit: float | None
) -> tuple[Results, bool]:
    """``searcher.search(q, **options)`` within ``time_limit`` seconds; returns the results
    and whether they are partial (the deadline passed before every match was collected)."""
    if not time_limit:
        return searcher.search(q, **options), False
    options = dict(options)
    allow, restrict = options.pop("filter", None), options.pop("mask", None)
    collector: Any = DeadlineCollector(searcher.collector(**options), time_limit)
    if allow is not None or restrict is not None:
        collector = FilterCollector(collector, allow, restrict)  # outside, as Whoosh does
    try:
        searcher.search_with_collector(q, collector)
    except TimeLimit:
        return collector.results(), True
    return collector.results(), False
