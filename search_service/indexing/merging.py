"""Segment merging outside the commits: many small ``add`` segments become a few larger ones.

Every ``add``, ``delete`` and journal replay commits a new segment (or new deletions) without
merging anything, so a commit costs the same whatever the index looks like. The merge runs
apart, in a process of its own at a lower CPU priority (``search-service merge``, or started by
a commit that left a merge due, under ``SEARCH_MERGE=background``), so it takes no CPU or GIL
from a worker answering searches, and it holds the store's write lock only for the moment it
swaps segments:

1. under ``merge.lock`` (one merge at a time per index directory), read the live build's table
   of contents and choose the segments to merge (:func:`.merge_policy.plan`);
2. copy them into one new segment in a staging directory inside the build
   (``.merge-<token>/``: Whoosh's clean-up of unused files skips names starting with a dot, so
   a commit made meanwhile leaves it alone) - no lock held, searches and updates go on;
3. take the write lock, re-read the table of contents, carry over deletions committed since
   step 1 (an ``add`` that replaced an article in a merged segment, a ``delete``), move the new
   files into the build and write the next table of contents, which Whoosh renames into place
   atomically. A reader keeps the segments it opened; its next request sees the merged one.

A merge killed at any point leaves the live table of contents as it was: the staging directory
(or files moved but never named by a table of contents) is removed by the next merge or commit.

Which segments a merge takes is :mod:`.merge_policy`'s.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import secrets
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from whoosh.filedb.filestore import FileStorage
from whoosh.index import TOC, clean_files
from whoosh.reading import SegmentReader
from whoosh.writing import SegmentWriter

from ..errors import LockTimeout
from .codec import Codec
from .files import fsync_dir
from .merge_policy import Policy, plan
from .store import IndexStore, read_toc
from .vocabulary import counting

MERGE_LOCK = "merge.lock"
STAGING_PREFIX = ".merge-"
MODES = ("background", "inline", "off")
# The merge process's niceness (at least): it yields the CPU to the workers answering searches.
NICENESS = 10
WRITER_MEMORY_MB = 128
# Seconds a merge process started by a commit waits for more work before it exits, and how
# often it looks (a directory listing).
LINGER = 30.0
POLL = 0.5


@dataclass
class Result:
    """What :func:`merge` did: merges committed, segments before and after, documents copied."""

    merges: int = 0
    segments_before: int = 0
    segments_after: int = 0
    documents: int = 0
    expunged: int = 0
    seconds: float = 0.0
    skipped: str = ""


def merge(
    store: IndexStore, policy: Policy, *, max_merges: int | None = None, linger: float = 0.0
) -> Result:
    """Merge the live build's segments until the policy finds nothing more to do, then wait
    up to ``linger`` seconds for a commit that makes more work (a process that stays saves
    starting one, about 0.6 s of CPU, for every few updates of a steady stream).

    Returns at once (``skipped`` says why) when another merge holds ``merge.lock``.
    """
    started = time.monotonic()
    result = Result()
    with _merge_lock(store) as locked:
        if not locked:
            result.skipped = "another merge is running"
            return result
        build = store.current()
        if build is None:
            result.skipped = "no index has been built yet"
            return result
        _remove_staging(build.path)
        _, ix = store.open_current()
        result.segments_before = result.segments_after = len(read_toc(ix).segments)
        while max_merges is None or result.merges < max_merges:
            step = _merge_once(store, build.path, ix, policy)
            if step is not None:
                copied, expunged, remaining = step
                result.merges += 1
                result.documents += copied
                result.expunged += expunged
                result.segments_after = remaining
                continue
            if not _next_commit(store, build.path, ix, linger):
                break
    result.seconds = time.monotonic() - started
    return result


def _next_commit(store: IndexStore, path: Path, ix: Any, linger: float) -> bool:
    """Wait up to ``linger`` seconds for a new generation of the build at ``path``; False
    when none came or another build went live."""
    generation = ix.latest_generation()
    deadline = time.monotonic() + linger
    while time.monotonic() < deadline:
        time.sleep(POLL)
        live = store.current()
        if live is None or live.path != path:
            return False
        if ix.latest_generation() != generation:
            return True
    return False


def _merge_once(
    store: IndexStore, path: Path, ix: Any, policy: Policy
) -> tuple[int, int, int] | None:
    """One merge: (documents copied, deleted documents dropped, segments left), or None
    when there is nothing to merge or the live build changed under it."""
    toc = read_toc(ix)
    chosen = plan(toc.segments, policy)
    if not chosen:
        return None
    staging = path / f"{STAGING_PREFIX}{secrets.token_hex(6)}"
    try:
        merged, docmaps = _write_merged(ix, toc.schema, chosen, staging)
        committed = _commit(store, path, ix, chosen, merged, docmaps, staging)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    if committed is None:
        return None
    expunged = sum(s.deleted_count() for s in chosen)
    return merged.doc_count_all(), expunged, committed


def _write_merged(
    ix: Any, schema: Any, chosen: list[Any], staging: Path
) -> tuple[Any, list[dict[int, int]]]:
    """Copy the live documents of ``chosen`` into one segment of a new index in ``staging``;
    returns that segment and, per chosen segment, its document numbers in the new one."""
    staging.mkdir()
    storage = FileStorage(str(staging))
    target = storage.create_index(schema, indexname=ix.indexname)
    writer = SegmentWriter(target, limitmb=WRITER_MEMORY_MB, compound=False, codec=Codec())
    docmaps = []
    try:
        for segment in chosen:
            # Document numbers as SegmentWriter.add_reader assigns them: live ones in order.
            live = [n for n in range(segment.doc_count_all()) if not segment.is_deleted(n)]
            docmaps.append({old: writer.docnum + i for i, old in enumerate(live)})
            reader = SegmentReader(ix.storage, schema, segment)
            try:
                _add_reader(writer, reader)
            finally:
                reader.close()
        writer.commit(merge=False)
    except BaseException:
        if not writer.is_closed:
            writer.cancel()
        raise
    counting.write_missing(target)  # its words and phrases, moved in with its other files
    (merged,) = target._segments()
    return merged, docmaps


def _add_reader(writer: SegmentWriter, reader: SegmentReader) -> None:
    """``SegmentWriter.add_reader``, with the postings read by :func:`_postings`."""
    basedoc = writer.docnum
    indexed = {name for name in reader.indexed_field_names() if name in writer.schema}
    docmap = writer.write_per_doc(set(writer.schema.names()) | indexed, reader)
    add = writer.pool.add
    for item in writer._process_posts(_postings(reader), basedoc, docmap):
        add(item)
    writer._added = True


def _postings(reader: SegmentReader) -> Iterator[tuple[str, bytes, int, float, bytes]]:
    """``SegmentReader.iter_postings``, reading the terms file in order: Whoosh looks every
    term up again by its hash, which in a segment of a few documents (a term or two per
    posting) is a third of a merge's time."""
    terms = reader._terms
    schema = reader.schema
    deleted = reader.deleted_docs_set
    for (fieldname, text), info in terms.items():
        if fieldname not in schema:
            continue
        matcher = reader._codec.postings_reader(
            terms._postfile, info, schema[fieldname].format, term=(fieldname, text)
        )
        while matcher.is_active():
            docnum = matcher.id()
            if docnum not in deleted:
                yield fieldname, text, docnum, matcher.weight(), matcher.value()
            matcher.next()


def _commit(
    store: IndexStore,
    path: Path,
    ix: Any,
    chosen: list[Any],
    merged: Any,
    docmaps: list[dict[int, int]],
    staging: Path,
) -> int | None:
    """Swap ``chosen`` for ``merged`` in the live table of contents; returns the number of
    segments left, or None when the build is no longer live or a chosen segment is gone."""
    try:
        with store.writing("merge", jump_queue=True):
            live = store.current()
            if live is None or live.path != path:
                return None  # a reindex or rollback switched builds meanwhile
            whoosh_lock = ix.lock("WRITELOCK")
            whoosh_lock.acquire(blocking=True)
            try:
                return _swap(path, ix, chosen, merged, docmaps, staging)
            finally:
                whoosh_lock.release()
    except LockTimeout:
        return None


def _swap(
    path: Path,
    ix: Any,
    chosen: list[Any],
    merged: Any,
    docmaps: list[dict[int, int]],
    staging: Path,
) -> int | None:
    toc = ix._read_toc()
    now = {s.segment_id(): s for s in toc.segments}
    if any(s.segment_id() not in now for s in chosen):
        return None
    # Deletions committed while the merge copied: replaced or deleted articles stay gone.
    for segment, docmap in zip(chosen, docmaps, strict=True):
        before = set(segment.deleted_docs())
        for docnum in set(now[segment.segment_id()].deleted_docs()) - before:
            merged.delete_document(docmap[docnum])
    for name in merged.list_files(FileStorage(str(staging))):
        os.replace(staging / name, path / name)
    fsync_dir(path)
    ids = {s.segment_id() for s in chosen}
    segments: list[Any] = []
    placed = merged.doc_count() == 0  # nothing left alive: the chosen segments just go
    for segment in toc.segments:
        if segment.segment_id() not in ids:
            segments.append(segment)
        elif not placed:
            segments.append(merged)  # where the first chosen segment was
            placed = True
    generation = toc.generation + 1
    TOC(toc.schema, segments, generation).write(ix.storage, ix.indexname)
    clean_files(ix.storage, ix.indexname, generation, segments)
    return len(segments)


@contextmanager
def _merge_lock(store: IndexStore) -> Iterator[bool]:
    """Hold ``merge.lock`` if no other merge does; yields whether it was taken. An flock: a
    killed merge never leaves it behind."""
    store.root.mkdir(parents=True, exist_ok=True)
    with open(store.root / MERGE_LOCK, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            handle.seek(0)
            handle.truncate()
            handle.write(str(os.getpid()))
            handle.flush()
            yield True
        finally:
            handle.truncate(0)
            fcntl.flock(handle, fcntl.LOCK_UN)


def merging(store: IndexStore) -> int | None:
    """The process id of the merge holding ``merge.lock``, or None when none runs."""
    store.root.mkdir(parents=True, exist_ok=True)
    with open(store.root / MERGE_LOCK, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            return int(handle.read().strip() or 0) or -1
        fcntl.flock(handle, fcntl.LOCK_UN)
        return None


def _remove_staging(path: Path) -> None:
    """Staging directories only a killed merge leaves; call while holding ``merge.lock``."""
    for leftover in path.glob(f"{STAGING_PREFIX}*"):
        shutil.rmtree(leftover, ignore_errors=True)


def start(store: IndexStore, policy: Policy) -> subprocess.Popen | None:
    """Start a merge in a process of its own at a lower priority, unless one is running.

    The caller does not wait: the process ends when the policy has nothing more to merge.
    """
    if merging(store):
        return None
    command = [sys.executable, "-m", __name__, str(store.root)]
    command += ["--factor", str(policy.factor), "--max-docs", str(policy.max_docs)]
    # Waiting for the write lock holds up no one: wait as long as any writer would.
    lock_timeout = max(store.lock_timeout, 30.0)
    command += ["--lock-timeout", str(lock_timeout), "--linger", str(LINGER)]
    return subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        start_new_session=True,  # not stopped by a Ctrl-C meant for the command that started it
    )


def main(argv: list[str] | None = None) -> None:
    """The merge process :func:`start` runs: ``python -m search_service.indexing.merging``."""
    parser = argparse.ArgumentParser(description="Merge the live build's small segments.")
    parser.add_argument("index_dir", type=Path)
    parser.add_argument("--factor", type=int, default=Policy.factor)
    parser.add_argument("--max-docs", type=int, default=Policy.max_docs)
    parser.add_argument("--lock-timeout", type=float, default=30.0)
    parser.add_argument("--linger", type=float, default=0.0)
    args = parser.parse_args(argv)
    os.nice(max(NICENESS - os.nice(0), 0))  # at least NICENESS, not NICENESS more than its parent
    store = IndexStore(args.index_dir, lock_timeout=args.lock_timeout)
    merge(store, Policy(factor=args.factor, max_docs=args.max_docs), linger=args.linger)


if __name__ == "__main__":
    main()
