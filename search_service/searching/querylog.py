"""The query log (SEARCH_QUERY_LOG): one JSON line per reader search and per result a reader
followed, written here and read here into what readers search for (top queries with their
clicks, queries that found nothing, queries whose results nobody opened, the slowest searches
over a recent period). A click names its search by ``search_id``, the search's
``request_id``."""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

_PERIOD = re.compile(r"^(\d+)([smhdw])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def append(path: str, searched: Any, args: Mapping[str, str], request_id: str) -> None:
    """Add one search: a short O_APPEND write, atomic across workers. No client address."""
    line = {
        "ts": datetime.now(UTC).isoformat(timespec="milliseconds"),
        "request_id": request_id,
        "q": searched.query,
        "lang": args.get("lang") or None,
        "category": args.get("category") or None,
        "sort": args.get("sort") or "relevance",
        "page": searched.page,
        "total": searched.total,
        "took_ms": searched.took_ms,
        "relaxed": searched.relaxed,
        "partial": searched.partial,
    }
    _write(path, line)


def append_click(path: str, search_id: str, article_id: str, position: int) -> None:
    """Add one followed result, written like a search. No client address."""
    line = {
        "ts": datetime.now(UTC).isoformat(timespec="milliseconds"),
        "event": "click",
        "search_id": search_id,
        "id": article_id,
        "position": position,
    }
    _write(path, line)


def _write(path: str, line: dict[str, Any]) -> None:
    data = (json.dumps(line, ensure_ascii=False) + "\n").encode()
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)


def parse_period(text: str) -> timedelta:
    """``30m``, ``24h``, ``7d``, ``2w`` → a timedelta; ValueError otherwise."""
    match = _PERIOD.match(text.strip().lower())
    if not match:
        raise ValueError(f"{text!r} is not a period such as 30m, 24h, 7d or 2w")
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


def report(log: Path, since: timedelta, top: int = 10, now: datetime | None = None) -> dict:
    """Summarise the log's searches newer than ``since``, and the results readers followed
    from them; unreadable lines are counted."""
    cutoff = (now or datetime.now(UTC)) - since
    searched = _Searches()
    clicks: list[tuple[str, int]] = []  # (search id, position)
    skipped = 0
    with open(log, encoding="utf-8", errors="replace") as lines:
        for line in lines:
            try:
                entry = json.loads(line)
                moment = datetime.fromisoformat(entry["ts"])
                if moment.tzinfo is None:  # not written here: its time cannot be compared
                    raise ValueError(entry["ts"])
                if entry.get("event") == "click":
                    click = (str(entry["search_id"]), int(entry["position"]))
                else:
                    query = " ".join(str(entry["q"]).split()).casefold()
                    took_ms = float(entry.get("took_ms") or 0)
            except (ValueError, KeyError, TypeError, AttributeError):
                skipped += 1
                continue
            if moment < cutoff:
                continue
            if entry.get("event") == "click":
                clicks.append(click)
            else:
                searched.add(query, entry, took_ms)
    return {
        "since": cutoff.isoformat(timespec="seconds"),
        **searched.summary(clicks, top),
        "unreadable_lines": skipped,
    }


class _Searches:
    """The searches of a period by query, and which of them readers followed a result of."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.zero: Counter[str] = Counter()
        self.found: Counter[str] = Counter()  # searches with at least one result
        self.query_of: dict[str, str] = {}  # search id → query
        self.slowest: list[dict[str, Any]] = []

    def add(self, query: str, entry: dict[str, Any], took_ms: float) -> None:
        self.counts[query] += 1
        if entry.get("total") == 0:
            self.zero[query] += 1
        else:
            self.found[query] += 1
        if entry.get("request_id"):
            self.query_of[str(entry["request_id"])] = query
        self.slowest.append({"q": entry["q"], "took_ms": took_ms, "ts": entry["ts"]})

    def summary(self, clicks: list[tuple[str, int]], top: int) -> dict[str, Any]:
        clicked: Counter[str] = Counter()
        positions: dict[str, list[int]] = {}
        followed: dict[str, set[str]] = {}  # query → its searches with a click
        for search_id, position in clicks:
            query = self.query_of.get(search_id)
            if query is not None:
                clicked[query] += 1
                positions.setdefault(query, []).append(position)
                followed.setdefault(query, set()).add(search_id)

        def row(query: str, searches: int) -> dict[str, Any]:
            where = positions.get(query)
            return {
                "q": query,
                "searches": searches,
                "clicks": clicked[query],
                "click_through_rate": round(len(followed.get(query, ())) / searches, 3),
                "mean_clicked_position": round(sum(where) / len(where), 2) if where else None,
            }

        unclicked = Counter({q: n for q, n in self.found.items() if not clicked[q]})
        self.slowest.sort(key=lambda item: -item["took_ms"])
        return {
            "searches": sum(self.counts.values()),
            "distinct_queries": len(self.counts),
            "zero_result_searches": sum(self.zero.values()),
            "clicks": sum(clicked.values()),
            "top_queries": [row(q, n) for q, n in self.counts.most_common(top)],
            "zero_result_queries": [{"q": q, "searches": n} for q, n in self.zero.most_common(top)],
            "no_click_queries": [{"q": q, "searches": n} for q, n in unclicked.most_common(top)],
            "slowest": self.slowest[:top],
        }
