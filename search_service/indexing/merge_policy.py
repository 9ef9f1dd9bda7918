"""Which segments a merge takes: a logarithmic policy over the segments' live documents.

A segment's tier is ``log(documents, factor)``; when a tier holds ``factor`` segments, they
are merged (with the few of the tiers below) into one, so ``n`` single adds leave at most
``(factor - 1)`` segments per tier, about ``(factor - 1) * log(n, factor)`` in all, and each
document is copied about ``log(n, factor)`` times. A merge never makes a segment of more than
``max_docs`` documents, so the large segments of a full build are not rewritten by updates.
How a merge runs is :mod:`.merging`'s.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Policy:
    """How many segments of one tier make a merge, and the largest segment a merge makes."""

    factor: int = 4
    max_docs: int = 50_000

    @classmethod
    def of(cls, config: Any) -> Policy:
        return cls(factor=config.merge_factor, max_docs=config.merge_max_docs)


def tier(documents: int, factor: int) -> int:
    return int(math.log(max(documents, 1), factor) + 1e-9)


def plan(segments: Sequence[Any], policy: Policy) -> list[Any]:
    """The segments to merge next (none, or at least two).

    The lowest tier holding ``factor`` segments is merged, together with every segment of the
    tiers below it, smallest first, up to ``max_docs`` documents. When the merge keeps up, the
    tiers below hold fewer than ``factor`` segments each and add little; when commits came
    faster than merges, everything that piled up is copied once, in one merge, rather than
    tier by tier. A segment is placed by its live documents, so one whose documents were
    mostly replaced or deleted sinks to a lower tier and its deleted documents are dropped.
    """
    tiers: dict[int, list[Any]] = {}
    for segment in segments:
        tiers.setdefault(tier(segment.doc_count(), policy.factor), []).append(segment)
    below: list[Any] = []
    for level in sorted(tiers):
        below += tiers[level]
        if len(tiers[level]) < policy.factor:
            continue
        chosen: list[Any] = []
        documents = 0
        for segment in sorted(below, key=lambda s: s.doc_count()):
            if documents + segment.doc_count() > policy.max_docs:
                break
            chosen.append(segment)
            documents += segment.doc_count()
        if len(chosen) >= policy.factor:
            return chosen
    return []
