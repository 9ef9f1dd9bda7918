"""When the sources are synced: one pass over each, or a pass every few seconds with a full
one whenever a source's last full pass is older than ``SEARCH_SYNC_FULL_INTERVAL``."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

from ..config import Config
from ..indexing.store import IndexStore
from . import watermarks
from .batch import Reader
from .spec import SourceSpec
from .sync import Report, SyncResult, sync_source


def sync_all(
    store: IndexStore,
    config: Config,
    specs: list[SourceSpec],
    readers: dict[str, Reader],
    *,
    full: bool = False,
    every: float | None = None,
    report: Report | None = None,
    on_result: Callable[[SourceSpec, SyncResult], None] = lambda spec, result: None,
) -> bool:
    """Sync every source once (``full``: a full pass each) and return whether all went well;
    with ``every`` (seconds), keep syncing, a pass starting every ``every`` seconds, and never
    return. ``on_result`` hears of each source's pass as it ends."""
    first = True
    while True:
        started = time.monotonic()
        ok = True
        for spec in specs:
            full_now = (full and first) or (
                every is not None and full_due(store, spec.name, config.sync_full_interval)
            )
            result = sync_source(
                store, config, spec, full=full_now, report=report, reader=readers[spec.name]
            )
            on_result(spec, result)
            ok &= result.ok
        first = False
        if every is None:
            return ok
        time.sleep(max(0.0, every - (time.monotonic() - started)))


def full_due(store: IndexStore, name: str, interval: float) -> bool:
    """Whether a source's periodic full pass is due (never when ``interval`` is 0)."""
    if interval <= 0:
        return False
    last = watermarks.load_state(store.root, name).get("last_full")
    if not last:
        return True
    return (datetime.now(UTC) - datetime.fromisoformat(last)).total_seconds() >= interval
