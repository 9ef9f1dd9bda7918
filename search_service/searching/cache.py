"""A bounded per-worker cache of /search responses, keyed by the request and the index state.

Search-box traffic repeats itself (a few popular queries make up much of it), and a Whoosh
search costs milliseconds of pure Python, so a worker remembers its recent answers. The key
holds the live build's id and the Whoosh generation the searcher reads, so a new build, an
``add`` or a ``delete`` makes every older entry unreachable (it ages out of the LRU order).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Any


class ResultCache:
    """Least-recently-used mapping of at most ``size`` entries; ``size`` 0 disables it."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.hits = 0
        self.misses = 0
        self._entries: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Any | None:
        if not self.size:
            return None
        with self._lock:
            value = self._entries.get(key)
            if value is None:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return value

    def put(self, key: Hashable, value: Any) -> None:
        if not self.size:
            return
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)
