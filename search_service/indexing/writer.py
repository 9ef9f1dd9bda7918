"""Full rebuilds and incremental add/delete: articles in, Whoosh documents out.

A rebuild writes a new build beside the live one and switches only after it passes its
checks; ``add`` and ``delete`` commit to the live build in place, which Whoosh makes atomic.
Either way a rejected record is reported and skipped (or, under ``strict``, stops the write
before anything is committed), and never costs the live index a document.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from whoosh.fields import Schema
from whoosh.writing import IndexWriter

from ..analysis import GENERIC
from ..articles import Article
from ..config import Config
from ..errors import ArticleError, BuildFailed
from . import documents, merging
from .codec import Codec
from .journal import Entry, Journal, article_from_json
from .merge_policy import Policy, plan
from .parallel import ParallelWriter
from .schema import (
    build_schema,
    group_for,
)
from .segment import BulkSegmentWriter, MemoSegmentWriter
from .store import IndexStore, read_toc
from .vocabulary import counting

# The sorting pool of incremental writes (a full build keeps its postings its own way, see
# segment.BulkSegmentWriter).
WRITER_MEMORY_MB = 256
# A full build's writer (segment.BulkSegmentWriter) holds its segment's postings in memory
# until it writes them; past about this many megabytes of them it appends them to a temporary
# file and reads them back a field at a time at the commit (the same segment and bytes).
# Without a bound a writer held about 11 KB an article (354 MB peak at 20,000 articles, one
# process): 50,000 articles per writer at 100,000 on two cores would have taken about 1.4 GB
# for the two (bench/RESULTS.md).
SEGMENT_MEMORY_MB = 128
# Segments as separate files rather than one compound file: Whoosh reads a compound file's
# parts through BytesIO copies, which put the whole postings and term index of the build in
# every worker's private memory (about 200 MB per worker at 100,000 articles).
COMPOUND = False
# A full build analyses articles in this many processes, each writing its own segment. The
# segments are not merged afterwards: at 20,000 articles Whoosh's merge took more CPU than the
# whole build (58 s against 42 s) and made no measurable difference to query time with two
# segments (bench/speed.py).
BUILD_PROCS = max(1, min(os.cpu_count() or 1, 4))


@dataclass
class Summary:
    """What a write did, for the CLI's final report (and its exit status)."""

    indexed: int = 0
    rejected: int = 0
    languages: Counter[str] = field(default_factory=Counter)
    generic: Counter[str] = field(default_factory=Counter)
    detected: Counter[str] = field(default_factory=Counter)
    deleted: int = 0
    missing: list[str] = field(default_factory=list)
    build_id: str = ""
    seconds: float = 0.0
    committed: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "indexed": self.indexed,
            "rejected": self.rejected,
            "languages": dict(self.languages),
            "generic_analyzer": dict(self.generic),
            "language_detected": dict(self.detected),
            "deleted": self.deleted,
            "missing": self.missing,
            "build_id": self.build_id,
            "committed": self.committed,
            "seconds": round(self.seconds, 3),
        }


Records = Iterable[Article | ArticleError]
OnReject = Callable[[ArticleError], None]


def rebuild(
    store: IndexStore,
    records: Records,
    config: Config,
    *,
    strict: bool = False,
    on_reject: OnReject = lambda error: None,
) -> Summary:
    """Build a complete new index from ``records`` and make it live if it checks out."""
    started = time.monotonic()
    summary = Summary()
    with store.writing("reindex"):
        build_id, partial, ix = store.create_partial(build_schema(config.languages))
        try:
            writer = _build_writer(ix)
            _write(writer, ix.schema, records, config, summary, strict, on_reject, replace=False)
            if strict and summary.rejected:
                writer.cancel()
                raise BuildFailed(
                    f"{summary.rejected} record(s) rejected under --strict; "
                    "nothing was written and the live index is unchanged"
                )
            read = summary.indexed + summary.rejected
            if read and summary.rejected / read > config.max_rejected_share:
                writer.cancel()
                raise BuildFailed(
                    f"{summary.rejected} of {read} record(s) rejected "
                    f"({summary.rejected / read:.0%}), more than SEARCH_MAX_REJECTED_SHARE="
                    f"{config.max_rejected_share:g}; the new build was not switched in and the "
                    "live index is unchanged"
                )
            writer.commit()
            # Updates accepted by the admin API while this build was being written.
            pending = Journal(store.root).pending()
            expected = summary.indexed + replay(ix, pending, config)
            counting.write_missing(ix)
            build = store.activate(
                build_id,
                partial,
                expected,
                {
                    "languages": list(config.languages),
                    "indexed": summary.indexed,
                    "rejected": summary.rejected,
                },
            )
        except BaseException:
            store.discard(partial)
            raise
        if pending:
            Journal(store.root).mark_applied(pending[-1].seq)
    summary.build_id, summary.committed = build.id, True
    summary.seconds = time.monotonic() - started
    return summary


def _build_writer(ix: Any) -> IndexWriter:
    if BUILD_PROCS > 1:
        return ParallelWriter(
            ix,
            procs=BUILD_PROCS,
            limitmb=WRITER_MEMORY_MB,
            multisegment=True,
            compound=COMPOUND,
            codec=Codec(),
            segment_mb=SEGMENT_MEMORY_MB,
        )
    return BulkSegmentWriter(ix, compound=COMPOUND, codec=Codec(), segment_mb=SEGMENT_MEMORY_MB)


def _writer(ix: Any) -> IndexWriter:
    """A single-process writer; every write uses it so no commit makes a compound segment
    and every segment gets our codec."""
    return MemoSegmentWriter(ix, limitmb=WRITER_MEMORY_MB, compound=COMPOUND, codec=Codec())


def add(
    store: IndexStore,
    records: Records,
    config: Config,
    *,
    strict: bool = False,
    on_reject: OnReject = lambda error: None,
) -> Summary:
    """Insert or replace articles by id in the live build (or make the first build)."""
    if store.current() is None:
        return rebuild(store, records, config, strict=strict, on_reject=on_reject)
    started = time.monotonic()
    summary = Summary()
    with store.writing("add"):
        apply_pending(store, config)  # older accepted updates first, so this one wins
        build, ix = store.open_current()
        writer = _writer(ix)
        try:
            _write(writer, ix.schema, records, config, summary, strict, on_reject, replace=True)
        except BaseException:
            writer.cancel()
            raise
        if strict and summary.rejected:
            writer.cancel()
            raise BuildFailed(
                f"{summary.rejected} record(s) rejected under --strict; nothing was written"
            )
        segments = _commit(writer, config)
        counting.write_missing(ix)
    _merge_if_due(store, segments, config)
    summary.build_id, summary.committed = build.id, True
    summary.seconds = time.monotonic() - started
    return summary


def delete(store: IndexStore, ids: Iterable[str], config: Config | None = None) -> Summary:
    """Delete articles by id from the live build; unknown ids are listed, not fatal."""
    started = time.monotonic()
    summary = Summary()
    with store.writing("delete"):
        if config is not None:
            apply_pending(store, config)
        build, ix = store.open_current()
        writer = _writer(ix)
        try:
            with ix.searcher() as searcher:
                for article_id in dict.fromkeys(ids):
                    if searcher.document_number(id=article_id) is None:
                        summary.missing.append(article_id)
                    else:
                        writer.delete_by_term("id", article_id)
                        summary.deleted += 1
        except BaseException:
            writer.cancel()
            raise
        segments = _commit(writer, config)
        counting.write_missing(ix)
    _merge_if_due(store, segments, config)
    summary.build_id, summary.committed = build.id, True
    summary.seconds = time.monotonic() - started
    return summary


def apply_journal(store: IndexStore, config: Config, *, lock_timeout: float | None = None) -> int:
    """Take the writer lock and apply the journal's pending updates to the live build."""
    if lock_timeout is not None:
        store = IndexStore(store.root, lock_timeout=lock_timeout, keep_builds=store.keep_builds)
    with store.writing("apply journal"):
        applied = apply_pending(store, config)
    if applied:
        _merge_if_due(store, read_toc(store.open_current()[1]).segments, config)
    return applied


def _commit(writer: IndexWriter, config: Config | None) -> list[Any]:
    """Commit an incremental write: merging inline only under ``SEARCH_MERGE=inline``
    (otherwise :mod:`.merging` does it, outside the commit). Returns the segments of the
    generation written when nothing was merged (the writer's, and its new one)."""
    inline = config is not None and config.merge == "inline"
    writer.commit(merge=inline)
    if inline:
        return []
    return [*writer.segments, *([writer.get_segment()] if writer._added else [])]


def _merge_if_due(store: IndexStore, segments: list[Any], config: Config | None) -> None:
    """Under ``SEARCH_MERGE=background``, start a merge process when the commit that left
    ``segments`` made a merge due (and none is running); never waits for it."""
    if config is None or config.merge != "background":
        return
    policy = Policy.of(config)
    if plan(segments, policy):
        merging.start(store, policy)


def apply_pending(store: IndexStore, config: Config) -> int:
    """Apply pending journal entries to the live build; call only while holding the lock."""
    journal = Journal(store.root)
    pending = journal.pending()
    if not pending or store.current() is None:
        return 0
    _, ix = store.open_current()
    replay(ix, pending, config)
    journal.mark_applied(pending[-1].seq)
    return len(pending)


def apply_provisionally(store: IndexStore, config: Config, after: int = 0) -> int:
    """While a reindex holds the writer lock: make pending updates searchable in the live build
    now, without marking them applied, so the reindex still replays them onto its new build.

    Only entries after ``after`` are applied (the caller remembers what it already did for
    this build). Whoosh's own lock on the live build keeps two such writers apart (its
    ``LockError`` means: try again). Returns the last sequence number applied.
    """
    pending = [entry for entry in Journal(store.root).pending() if entry.seq > after]
    if not pending or store.current() is None:
        return after
    _, ix = store.open_current()
    replay(ix, pending, config)
    return pending[-1].seq


def replay(ix: Any, entries: list[Entry], config: Config) -> int:
    """Apply journal entries to ``ix`` in one commit; returns the change in document count.

    Only the last entry per id counts: Whoosh's ``update_document`` cannot see documents added
    earlier by the same writer, so two puts of one id in one commit would leave two copies.
    """
    last = {entry.id: entry for entry in entries}
    if not last:
        return 0
    delta = 0
    writer = _writer(ix)
    try:
        with ix.searcher() as searcher:
            for entry in last.values():
                present = searcher.document_number(id=entry.id) is not None
                if entry.op == "delete":
                    if present:
                        writer.delete_by_term("id", entry.id)
                        delta -= 1
                    continue
                article = article_from_json(entry.record or {})  # validated when accepted
                fields, _, _ = documents.document(article, ix.schema, config.default_language)
                writer.update_document(**fields)
                delta += 0 if present else 1
        _commit(writer, config)
    except BaseException:
        writer.cancel()  # a failed commit must not keep Whoosh's own lock on the live build
        raise
    counting.write_missing(ix)
    return delta


def _write(
    writer: IndexWriter,
    schema: Schema,
    records: Records,
    config: Config,
    summary: Summary,
    strict: bool,
    on_reject: OnReject,
    *,
    replace: bool,
) -> None:
    put = writer.update_document if replace else writer.add_document
    for record in records:
        if isinstance(record, ArticleError):
            summary.rejected += 1
            on_reject(record)
            continue
        if strict and summary.rejected:
            continue  # keep reading to report every problem, but write nothing more
        fields, lang, detected = documents.document(record, schema, config.default_language)
        put(**fields)
        summary.indexed += 1
        summary.languages[lang] += 1
        if group_for(schema, lang) == GENERIC:
            summary.generic[lang] += 1
        if detected:
            summary.detected[lang] += 1
