"""Counting a segment's words and phrases, and every segment a commit left without a file.

The writer counts each new or merged segment once, after its commit and before any worker
reads it; a worker counts a segment written without a file itself, once, when it first reads
it (:mod:`.cache`).
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
from whoosh.reading import IndexReader, SegmentReader

from ..schema import language_groups
from . import phrases, vocabfile
from .tables import GroupCounts, Table
from .words import documents_by_group, segment_words


def write_missing(ix: Any) -> int:
    """Count and store the words and phrases of each segment of ``ix`` that has no file yet
    (the writer calls this after each commit: a new or merged segment is counted once, by the
    writer, before any worker reads it). Returns the number of segments counted.

    The segments of a full build (one per writer process) are counted in parallel, in forked
    processes: counting is pure Python, and a build uses every core."""
    global _missing
    missing = [
        (segment, path)
        for segment in ix._segments()  # the latest generation's, without opening them all
        if (path := vocabfile.path_of(ix.storage, segment)) is not None and not path.exists()
    ]
    processes = min(len(missing), os.cpu_count() or 1)
    if processes <= 1:
        for n in range(len(missing)):
            _count_and_write(ix.storage, ix.schema, *missing[n])
        return len(missing)
    _missing = (ix.storage, ix.schema, missing)
    try:
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(processes, mp_context=context) as pool:
            list(pool.map(_count_missing, range(len(missing))))
    finally:
        _missing = None
    return len(missing)


# What the forked processes of write_missing count (inherited, not pickled).
_missing: tuple[Any, Any, list[tuple[Any, Path]]] | None = None


def _count_missing(n: int) -> None:
    assert _missing is not None
    storage, schema, missing = _missing
    _count_and_write(storage, schema, *missing[n])


def _count_and_write(storage: Any, schema: Any, segment: Any, path: Path) -> None:
    with SegmentReader(storage, schema, segment) as leaf:
        vocabfile.write(path, count_segment(leaf))


def count_segment(leaf: IndexReader) -> dict[str, GroupCounts]:
    """Every language group's words and phrases in one segment."""
    documents = documents_by_group(leaf)
    return {
        group: count_group(leaf, group, documents.get(group, []))
        for group in language_groups(leaf.schema)
    }


def count_group(leaf: IndexReader, group: str, documents: list[int] | None = None) -> GroupCounts:
    """One language group's words and phrases in one segment (whose live articles of the
    group are ``documents``, when known)."""
    if documents is None:
        documents = documents_by_group(leaf).get(group, [])
    if not documents:  # none left: its words and phrases are no one's
        return GroupCounts(Table.of({}), Table.of({}), 1.0, np.zeros(0, dtype=np.int64), 1)
    least = 1 if len(documents) <= phrases.SMALL_SEGMENT else phrases.MIN_DOCUMENTS
    found, step, sample = phrases.count_sampled(leaf, group, documents, least)
    return GroupCounts(
        Table.of(segment_words(leaf, group)),
        Table.of(found),
        step,
        np.array(sample, dtype=np.int64),
        least,
    )
