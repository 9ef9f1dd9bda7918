"""What every source reader yields (a :class:`Batch`) and offers (a :class:`Reader`), and the
sources' logger: the readers share these and nothing else, so they need not know each other."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..articles import Article
from ..errors import ArticleError

log = logging.getLogger("search_service.sources")


@dataclass
class Batch:
    """What a reader found in one step, and its position once that is applied."""

    position: dict[str, Any]
    articles: list[Article] = field(default_factory=list)
    rejected: list[ArticleError] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)  # ids the source has unpublished
    seen: set[str] = field(default_factory=set)  # ids the source still publishes
    errors: list[str] = field(default_factory=list)  # records that could not be fetched
    read: int = 0  # records looked at, for progress
    total: int | None = None  # records in the whole pass, when the reader knows
    ahead: int = 0  # records stamped after the source's own clock (read again next pass)


class Reader(Protocol):
    """What the sync loop needs of a source."""

    def batches(self, position: dict[str, Any] | None, full: bool) -> Iterator[Batch]:
        """Changes since ``position`` (None: the first pass); ``full`` reads everything again,
        keeping only what saves a download (ETags)."""
        ...

    def gone(self, ids: set[str], position: dict[str, Any]) -> set[str]:
        """Of ``ids`` (in the index, not seen in a full pass), those the source confirms it
        no longer publishes; an id it cannot answer for is kept."""
        ...

    def watermark(self, position: dict[str, Any]) -> Any:
        """A short description of the position, for /healthz."""
        ...
