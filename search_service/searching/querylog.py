"""The query log (SEARCH_QUERY_LOG): one JSON line per reader search, written here and read
here into what readers search for (top queries, queries that found nothing, the slowest
searches over a recent period)."""

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
    """Summarise the log's searches newer than ``since``; unreadable lines are counted."""
    cutoff = (now or datetime.now(UTC)) - since
    counts: Counter[str] = Counter()
    zero: Counter[str] = Counter()
    slowest: list[dict[str, Any]] = []
    searches = skipped = 0
    with open(log, encoding="utf-8", errors="replace") as lines:
        for line in lines:
            try:
                entry = json.loads(line)
                moment = datetime.fromisoformat(entry["ts"])
                query = " ".join(str(entry["q"]).split()).casefold()
            except (ValueError, KeyError, TypeError):
                skipped += 1
                continue
            if moment < cutoff:
                continue
            searches += 1
            counts[query] += 1
            if entry.get("total") == 0:
                zero[query] += 1
            slowest.append({"q": entry["q"], "took_ms": entry.get("took_ms", 0), "ts": entry["ts"]})
    slowest.sort(key=lambda item: -float(item["took_ms"] or 0))
    return {
        "since": cutoff.isoformat(timespec="seconds"),
        "searches": searches,
        "distinct_queries": len(counts),
        "zero_result_searches": sum(zero.values()),
        "top_queries": [{"q": q, "searches": n} for q, n in counts.most_common(top)],
        "zero_result_queries": [{"q": q, "searches": n} for q, n in zero.most_common(top)],
        "slowest": slowest[:top],
        "unreadable_lines": skipped,
    }
