"""Builds on disk, the atomic switch between them, the writer lock, the per-process handle.

The per-process handle follows the live build.

Layout under the index directory::

    builds/<build-id>/        complete builds (Whoosh files + build.json)
    builds/.partial-<id>/     a build in progress; removed by the next writer if abandoned
    current -> builds/<id>    the live build (a symlink replaced atomically with os.replace)
    previous -> builds/<id>   the build before it, for ``search-service rollback``
    write.lock                held (flock) by the one writer allowed at a time

Readers never take the lock: Whoosh commits by atomically renaming its table of contents, and
a switch is one rename of a symlink, so a reader always sees one complete build.
"""

from __future__ import annotations

import fcntl
import json
import os
import secrets
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index
from whoosh.fields import Schema
from whoosh.scoring import BM25F, WeightingModel
from whoosh.searching import Searcher

from ..errors import BuildFailed, IndexUnavailable, LockTimeout
from . import legacy
from .files import fsync_dir, fsync_tree, timestamp
from .schema import READABLE_VERSIONS, SCHEMA_VERSION

legacy.install()  # builds written before the sub-packages name their old module paths

BUILDS = "builds"
CURRENT = "current"
PREVIOUS = "previous"
LOCK_FILE = "write.lock"
# Held by a writer that goes before the others waiting for the write lock (see writing).
WAITING_FILE = "write.next"
PARTIAL_PREFIX = ".partial-"
BUILD_INFO = "build.json"
# Reads of a table of contents a commit may replace (and delete) between Whoosh's directory
# listing and its open (see read_toc).
TOC_ATTEMPTS = 5


@dataclass(frozen=True)
class Build:
    """A build directory and what build.json says about it."""

    id: str
    path: Path
    info: dict[str, Any]


class IndexStore:
    """The builds under one index directory."""

    def __init__(self, root: Path, *, lock_timeout: float = 30.0, keep_builds: int = 2) -> None:
        self.root = Path(root)
        self.lock_timeout = lock_timeout
        self.keep_builds = max(keep_builds, 1)

    # Reading ---------------------------------------------------------------------------

    def current(self) -> Build | None:
        """The live build, or None when nothing has been built yet."""
        return self._build_at(self.root / CURRENT)

    def previous(self) -> Build | None:
        return self._build_at(self.root / PREVIOUS)

    def open_current(self) -> tuple[Build, whoosh_index.Index]:
        """The live build, open; a build made for another field layout needs a reindex, as
        searching or updating it with this version's fields would silently find nothing."""
        build = self.current()
        if build is None:
            raise IndexUnavailable(f"no index has been built in {self.root} yet")
        version = build.info.get("schema_version")
        if version not in READABLE_VERSIONS:
            raise IndexUnavailable(
                f"build {build.id} has schema version {version}, this version needs "
                f"{SCHEMA_VERSION}: run `search-service reindex`"
            )
        for attempt in range(TOC_ATTEMPTS):
            try:  # Whoosh reads the table of contents here: see read_toc
                return build, whoosh_index.open_dir(str(build.path))
            except FileNotFoundError:
                if attempt == TOC_ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")

    def builds(self) -> list[Build]:
        """Complete builds, oldest first (build ids sort by creation time)."""
        folder = self.root / BUILDS
        if not folder.is_dir():
            return []
        return [
            Build(path.name, path, _read_info(path))
            for path in sorted(folder.iterdir())
            if path.is_dir() and not path.name.startswith(".")
        ]

    def _build_at(self, link: Path) -> Build | None:
        try:
            target = os.readlink(link)
        except FileNotFoundError:
            return None
        path = (link.parent / target).resolve()
        if not path.is_dir():
            return None
        return Build(path.name, path, _read_info(path))

    # Writing ---------------------------------------------------------------------------

    @contextmanager
    def writing(self, command: str, *, jump_queue: bool = False) -> Iterator[None]:
        """Hold the write lock; a second writer waits up to ``lock_timeout`` then fails.

        The lock is an flock on an open file, so the kernel releases it when its holder dies:
        a killed writer never leaves a stale lock behind. Whoever takes the lock next clears
        partial builds, which only a writer can have left.

        Waiters poll, so under back-to-back commits (a CMS sending updates as fast as they
        commit) a waiter can lose every race for the lock. A writer that must not starve
        (``jump_queue``: the background merge's brief swap) says it is waiting by holding
        :data:`WAITING_FILE`, and writers that arrive while it waits hold back: it goes
        before them.
        """
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / LOCK_FILE, "a+") as handle, self._waiting(jump_queue):
            deadline = time.monotonic() + self.lock_timeout
            while True:
                try:
                    if not jump_queue and self._queue_jumper_waits():
                        raise BlockingIOError
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        handle.seek(0)
                        holder = handle.read().strip() or "another process"
                        raise LockTimeout(
                            f"the index in {self.root} is being written by {holder}; "
                            f"gave up after waiting {self.lock_timeout:g} s"
                        ) from None
                    time.sleep(0.05)
            try:
                handle.seek(0)
                handle.truncate()
                handle.write(f"pid {os.getpid()} ({command}) since {timestamp()}")
                handle.flush()
                self._remove_leftovers()
                yield
            finally:
                handle.seek(0)
                handle.truncate()
                fcntl.flock(handle, fcntl.LOCK_UN)

    @contextmanager
    def _waiting(self, jump_queue: bool) -> Iterator[None]:
        if not jump_queue:
            yield
            return
        with open(self.root / WAITING_FILE, "a+") as waiting:
            fcntl.flock(waiting, fcntl.LOCK_EX)  # one queue jumper at a time
            try:
                yield
            finally:
                fcntl.flock(waiting, fcntl.LOCK_UN)

    def _queue_jumper_waits(self) -> bool:
        try:
            with open(self.root / WAITING_FILE, "rb") as waiting:
                try:
                    fcntl.flock(waiting, fcntl.LOCK_SH | fcntl.LOCK_NB)
                except BlockingIOError:
                    return True
                fcntl.flock(waiting, fcntl.LOCK_UN)
        except FileNotFoundError:
            pass
        return False

    def lock_holder(self) -> str:
        """Who holds the write lock, as its holder wrote it ("pid 12 (reindex) since ..")."""
        try:
            return (self.root / LOCK_FILE).read_text().strip()
        except OSError:
            return ""

    def create_partial(self, schema: Schema) -> tuple[str, Path, whoosh_index.Index]:
        """Start a new build beside the live one; call only while holding the write lock."""
        build_id = f"{datetime.now(UTC):%Y%m%dT%H%M%S%fZ}-{secrets.token_hex(3)}"
        path = self.root / BUILDS / f"{PARTIAL_PREFIX}{build_id}"
        path.mkdir(parents=True)
        return build_id, path, whoosh_index.create_in(str(path), schema)

    def activate(
        self, build_id: str, partial: Path, expected_documents: int, info: dict[str, Any]
    ) -> Build:
        """Check a finished partial build, then make it live atomically.

        The build must hold exactly the documents the indexer wrote, and at least one: an
        empty or short build is discarded with :class:`BuildFailed` and the live build stays.
        """
        ix = whoosh_index.open_dir(str(partial))
        with ix.searcher() as searcher:
            found = searcher.doc_count()
        if found == 0 or found != expected_documents:
            shutil.rmtree(partial, ignore_errors=True)
            problem = (
                "has no documents"
                if found == 0
                else f"has {found} documents, expected {expected_documents}"
            )
            raise BuildFailed(f"the new build {problem}; the live index was left unchanged")
        info = {
            "build_id": build_id,
            "created": timestamp(),
            "schema_version": SCHEMA_VERSION,
            "documents": found,
            **info,
        }
        (partial / BUILD_INFO).write_text(json.dumps(info, ensure_ascii=False, indent=2))
        fsync_tree(partial)
        final = partial.with_name(build_id)
        os.replace(partial, final)
        self.switch(final)
        self.prune()
        return Build(build_id, final, info)

    def switch(self, final: Path) -> Build | None:
        """Make a complete build directory live, keeping the one it replaces as ``previous``
        (returned); the one atomic step of every switch, local build or copied from a leader.
        Call while holding the write lock."""
        old = self.current()
        self._point(CURRENT, final)
        if old is not None and old.path != final.resolve():
            self._point(PREVIOUS, old.path)
        return old

    def rollback(self) -> Build:
        """Swap the live and previous builds; call while holding the write lock."""
        current, previous = self.current(), self.previous()
        if previous is None or current is None:
            raise BuildFailed("there is no previous build to roll back to")
        self._point(CURRENT, previous.path)
        self._point(PREVIOUS, current.path)
        return previous

    def discard(self, partial: Path) -> None:
        shutil.rmtree(partial, ignore_errors=True)

    def _point(self, name: str, target: Path) -> None:
        temporary = self.root / f".{name}.{os.getpid()}.tmp"
        temporary.unlink(missing_ok=True)
        os.symlink(os.path.relpath(target, self.root), temporary)
        os.replace(temporary, self.root / name)
        fsync_dir(self.root)

    def prune(self, grace: float = 0.0) -> None:
        """Delete the oldest builds beyond ``keep_builds``, never the live or previous one,
        nor one whose directory changed less than ``grace`` seconds ago.

        After a rollback the build rolled away from is newer than the live one; taking the
        oldest unprotected builds (not just the oldest builds) still gets rid of it.
        """
        protected = {b.id for b in (self.current(), self.previous()) if b is not None}
        complete = self.builds()
        settled = time.time() - grace
        candidates = [
            build
            for build in complete
            if build.id not in protected and (not grace or _mtime(build.path) < settled)
        ]
        for build in candidates[: max(len(complete) - self.keep_builds, 0)]:
            shutil.rmtree(build.path, ignore_errors=True)

    def _remove_leftovers(self) -> None:
        """Clear what only a killed writer leaves: partial builds and half-made links."""
        folder = self.root / BUILDS
        if folder.is_dir():
            for path in folder.glob(f"{PARTIAL_PREFIX}*"):
                shutil.rmtree(path, ignore_errors=True)
        for link in self.root.glob(".*.tmp"):
            link.unlink(missing_ok=True)

    def size_bytes(self, build: Build) -> int:
        return sum(p.stat().st_size for p in build.path.rglob("*") if p.is_file())


class IndexHandle:
    """One long-lived searcher per process that follows the live build.

    Each call checks the ``current`` link (one readlink) and the Whoosh generation, so a
    worker sees a new build or an ``add``/``delete`` on its next request, without a restart
    and without reopening the index when nothing changed. Callers keep the returned searcher
    for the whole request, so one response always comes from one generation. Its searchers
    score with ``weighting()`` (Whoosh's default when None): how articles are ranked is the
    searching side's business, which passes it in.
    """

    def __init__(
        self, store: IndexStore, weighting: Callable[[], WeightingModel] | None = None
    ) -> None:
        self.store = store
        self.weighting = weighting or BM25F
        self._lock = threading.Lock()
        self._target: str | None = None
        self._build: Build | None = None
        self._index: whoosh_index.Index | None = None
        self._searcher: Searcher | None = None

    def searcher(self) -> tuple[Build, Searcher]:
        with self._lock:
            try:
                target = os.readlink(self.store.root / CURRENT)
            except OSError:
                target = None
            if target is None:
                raise IndexUnavailable(f"no index has been built in {self.store.root} yet")
            if target != self._target or self._searcher is None:
                try:
                    build, ix = self.store.open_current()
                except (OSError, whoosh_index.EmptyIndexError) as exc:
                    raise IndexUnavailable(f"the live index cannot be opened: {exc}") from exc
                self._build, self._index, self._target = build, ix, target
                self._searcher = fresh_searcher(ix, weighting=self.weighting())
            elif not self._searcher.up_to_date():
                # A fresh searcher rather than Searcher.refresh(): refresh closes readers that
                # another thread may still be reading from. The old one closes when released.
                self._searcher = fresh_searcher(self._index, weighting=self.weighting())
            assert self._build is not None
            return self._build, self._searcher


def read_toc(ix: whoosh_index.Index, attempts: int = TOC_ATTEMPTS) -> Any:
    """The index's latest table of contents. Whoosh finds the newest by listing the directory,
    then opens it; a commit in between (an add, a merge) deletes it: read the newer one."""
    for attempt in range(attempts):
        try:
            return ix._read_toc()
        except FileNotFoundError:
            if attempt == attempts - 1:
                raise
    raise AssertionError("unreachable")


def fresh_searcher(ix: whoosh_index.Index, attempts: int = TOC_ATTEMPTS, **kwargs: Any) -> Searcher:
    """``ix.searcher(**kwargs)``, read again when a commit deleted a file of the generation
    it found (its table of contents, or a segment merged away) before it could open it."""
    for attempt in range(attempts):
        try:
            return ix.searcher(**kwargs)
        except FileNotFoundError:
            if attempt == attempts - 1:
                raise
    raise AssertionError("unreachable")


def _read_info(path: Path) -> dict[str, Any]:
    try:
        return json.loads((path / BUILD_INFO).read_text())
    except (OSError, ValueError):
        return {}


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0
