"""The sync loop: read each source's changes since its watermark, apply them with the index
writer, and only then move the watermark.

Every reader yields :class:`Batch`\\ es. A batch is applied (``writer.add`` then
``writer.delete``, under the store's writer lock), and after those commits the source's new
position is saved; a kill at any point therefore repeats at most one batch, which is harmless
because applying a batch twice gives the same index. The list of ids a source owns is widened
before the commit and narrowed after it, so a full pass never misses one of its articles.
A source that cannot be read fails alone, and nothing of it is deleted.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ..articles import Article
from ..config import Config
from ..errors import ArticleError, IndexStoreError, IndexUnavailable, SourceUnavailable
from ..indexing import writer
from ..indexing.store import IndexStore
from . import watermarks
from .batch import Batch, Reader, log
from .spec import SourceSpec


@dataclass
class SyncResult:
    """One source's pass, for the summary line and the exit status."""

    name: str
    added: int = 0
    updated: int = 0
    deleted: int = 0
    rejected: int = 0
    unchanged: int = 0  # read again, identical to what the index holds: not written
    ahead: int = 0  # stamped after the source's clock: applied, and read again next pass
    errors: list[str] = field(default_factory=list)
    failed: str = ""
    full: bool = False
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not (self.failed or self.rejected or self.errors)

    def summary(self) -> str:
        """The pass in one line, ending in what its exit status says."""
        counts = (
            f"added {self.added}, updated {self.updated}, deleted {self.deleted}, rejected "
            f"{self.rejected}, unchanged {self.unchanged}, fetch errors {len(self.errors)}"
        )
        if self.ahead:
            counts += (
                f", {self.ahead} stamped after the source's clock (scheduled, or a clock "
                "ahead: read again each pass until then)"
            )
        if self.failed:
            outcome = f"FAILED: {self.failed}"
        elif self.ok:
            outcome = "ok"
        else:
            outcome = "incomplete: records rejected or not fetched (listed above)"
        return f"{counts} in {self.seconds:.1f} s; {outcome}"


@dataclass
class Report:
    """Callbacks through which a pass shows itself (the CLI prints, tests collect)."""

    reject: Callable[[ArticleError], None] = lambda error: None
    error: Callable[[str, str], None] = lambda source, message: None
    progress: Callable[[str, int, int | None], None] = lambda source, done, total: None


def open_reader(spec: SourceSpec, config: Config) -> Reader:
    """The reader of a source's kind (imported here: each kind pulls in its own libraries)."""
    if spec.kind == "database":
        from .database import DatabaseReader

        return DatabaseReader(spec)
    if spec.kind == "pages":
        from .pages import PagesReader

        return PagesReader(spec)
    from .site import FeedReader, SitemapReader

    return (SitemapReader if spec.kind == "sitemap" else FeedReader)(spec, config.user_agent)


@dataclass
class _Pass:
    """One pass over one source: where its changes go and what it has done so far."""

    store: IndexStore
    config: Config
    name: str
    reader: Reader
    owned: set[str]  # ids of this source in the index, widened before a commit, narrowed after
    state: dict[str, Any]  # the source's saved state (position, watermark, last errors)
    result: SyncResult
    report: Report

    def save(self, position: dict[str, Any] | None) -> None:
        """Record ``position`` as applied, with the build it was applied to."""
        live = self.store.current()
        self.state.update(
            position=position,
            watermark=self.reader.watermark(position or {}),
            build=live.id if live is not None else None,
        )
        watermarks.save_state(self.store.root, self.name, self.state)


def sync_source(
    store: IndexStore,
    config: Config,
    spec: SourceSpec,
    *,
    full: bool = False,
    report: Report | None = None,
    reader: Reader | None = None,
) -> SyncResult:
    """One pass over one source (``full``: re-read everything and remove what is gone)."""
    report = report or Report()
    started = time.monotonic()
    result = SyncResult(spec.name, full=full)
    state = watermarks.load_state(store.root, spec.name)
    state.update(kind=spec.kind, last_started=_now())
    position, owned = _resume(store, spec.name, state)
    try:
        reader = reader or open_reader(spec, config)
        run = _Pass(store, config, spec.name, reader, owned, state, result, report)
        if position is None and store.current() is None:
            run.save(_first_build(run))
        else:
            _read_changes(run, position, full)
        if full or position is None:  # a first pass reads everything, too
            state["last_full"] = _now()
    except (SourceUnavailable, IndexStoreError) as exc:  # down, or the lock held too long
        result.failed = str(exc)
        state["last_error"] = f"{_now()} {exc}"
        state["errors"] = state.get("errors", 0) + 1
    else:
        _note_success(state, result)
    state["last_counts"] = {
        "added": result.added,
        "updated": result.updated,
        "deleted": result.deleted,
        "rejected": result.rejected,
    }
    state["ahead"] = result.ahead
    watermarks.save_state(store.root, spec.name, state)
    result.seconds = time.monotonic() - started
    return result


def _resume(
    store: IndexStore, name: str, state: dict[str, Any]
) -> tuple[dict[str, Any] | None, set[str]]:
    """Where the source's last pass stopped, and the ids it owns in the index."""
    live = store.current()
    if state.get("build") and (live is None or live.id != state["build"]):
        # A reindex or rollback replaced the build this source was synced into: what the
        # position says is applied may not be there, so read the source from the start.
        log.warning("source %s: the live build changed since its last sync; reading it all", name)
        return None, set()
    return state.get("position"), watermarks.load_ids(store.root, name)


def _read_changes(run: _Pass, position: dict[str, Any] | None, full: bool) -> None:
    """Apply the source's changes batch by batch, saving the position after each; a full pass
    then deletes what the source owns, did not yield and confirms it no longer publishes."""
    seen: set[str] = set()
    removed: set[str] = set()
    done = 0
    for batch in run.reader.batches(position, full):
        _apply(run, batch)
        seen |= batch.seen
        removed.update(batch.deleted)
        position = batch.position
        run.save(position)
        done += batch.read
        run.report.progress(run.name, done, batch.total)
    if not full:
        return
    candidates = run.owned - seen - removed
    gone = run.reader.gone(candidates, position or {}) if candidates else set()
    if gone:
        _apply(run, Batch({}, deleted=sorted(gone)))


def _note_success(state: dict[str, Any], result: SyncResult) -> None:
    """A pass that ran to its end: rejected records and unfetchable pages are still errors."""
    state["last_success"] = _now()
    state["last_success_started"] = state["last_started"]
    if result.errors or result.rejected:
        state["last_error"] = f"{_now()} " + (
            result.errors[-1] if result.errors else f"{result.rejected} record(s) rejected"
        )
        state["errors"] = state.get("errors", 0) + len(result.errors)
    else:
        state["last_error"] = None


def _first_build(run: _Pass) -> dict[str, Any] | None:
    """Into an index with no build yet: every batch of the first pass streamed into one full
    build (parallel, as fast as ``reindex``), the position saved only once it is live.

    A kill before the switch leaves no build and no position, so the next run starts over.
    An id read twice (a row updated during the pass) is written once and its later version
    applied after the build; one unpublished later in the pass is deleted after it. Returns
    the position after the last batch.
    """
    store, config, name, report = run.store, run.config, run.name, run.report
    position: dict[str, Any] | None = None
    later: dict[str, Article] = {}
    ids: set[str] = set()
    unpublished: set[str] = set()
    done = 0

    def articles() -> Iterator[Article]:
        nonlocal position, done
        for batch in run.reader.batches(None, False):
            _report(run, batch)
            for article in batch.articles:
                if article.id in ids:
                    later[article.id] = article
                    continue
                ids.add(article.id)
                yield article
            for article_id in batch.deleted:
                later.pop(article_id, None)
                if article_id in ids:
                    unpublished.add(article_id)
            position = batch.position
            done += batch.read
            report.progress(name, done, batch.total)
        watermarks.save_ids(store.root, name, run.owned | ids)  # before the build's commit

    stream = articles()
    first = next(stream, None)
    if first is None:
        return position  # nothing published yet: no build to make
    writer.rebuild(store, _chain(first, stream), config)
    run.owned.update(ids)
    run.result.added += len(ids) - len(unpublished)
    if later:
        writer.add(store, [a for i, a in later.items() if i not in unpublished], config)
    if unpublished:
        writer.delete(store, unpublished, config)
        run.owned.difference_update(unpublished)
        watermarks.save_ids(store.root, name, run.owned)
    return position


def _chain(first: Article, rest: Iterator[Article]) -> Iterator[Article]:
    yield first
    yield from rest


def _apply(run: _Pass, batch: Batch) -> None:
    _report(run, batch)
    store, config, owned, result = run.store, run.config, run.owned, run.result
    # The last version of an id in the batch wins (Whoosh cannot replace a document added by
    # the same writer, so each id is written once).
    articles = list({article.id: article for article in batch.articles}.values())
    asked = [article.id for article in articles] + batch.deleted
    present = _present(store, asked) if asked else {}
    # Only what the index holds is deleted: an unpublished row read again each pass (a
    # scheduled post) costs no commit.
    written = {article.id for article in articles}
    gone = [i for i in dict.fromkeys(batch.deleted) if i in present and i not in written]
    changed = [a for a in articles if a.id not in present or not _same(a, present[a.id])]
    result.unchanged += len(articles) - len(changed)
    if changed:
        watermarks.save_ids(store.root, run.name, owned | {article.id for article in articles})
        writer.add(store, changed, config)
        result.updated += sum(1 for article in changed if article.id in present)
        result.added += sum(1 for article in changed if article.id not in present)
    owned.update(article.id for article in articles)
    if gone:
        summary = writer.delete(store, gone, config)
        result.deleted += summary.deleted
    if owned & set(batch.deleted):
        owned.difference_update(batch.deleted)
        watermarks.save_ids(store.root, run.name, owned)


def _report(run: _Pass, batch: Batch) -> None:
    """Count and show a batch's rejected records and unfetchable pages."""
    run.result.ahead += batch.ahead
    for error in batch.rejected:
        run.result.rejected += 1
        run.report.reject(error)
    for message in batch.errors:
        run.result.errors.append(message)
        run.report.error(run.name, message)


def _present(store: IndexStore, ids: list[str]) -> dict[str, dict[str, Any]]:
    """The stored fields of those of ``ids`` the live build holds."""
    try:
        _, ix = store.open_current()
    except IndexUnavailable:
        return {}
    found = {}
    with ix.searcher() as searcher:
        for article_id in ids:
            number = searcher.document_number(id=article_id)
            if number is not None:
                found[article_id] = searcher.stored_fields(number)
    return found


def _same(article: Article, stored: dict[str, Any]) -> bool:
    """Whether the index already holds exactly this article (so a re-read writes nothing)."""
    return (
        stored.get("title") == article.title
        and stored.get("lead") == article.lead
        and stored.get("body") == article.body
        and stored.get("url") == article.url
        and stored.get("author") == article.author
        and (stored.get("category") or "") == article.category
        and tuple(stored.get("tags") or ()) == article.tags
        and stored.get("published") == article.published_text
        and stored.get("updated") == article.updated_text
        and (not article.lang or stored.get("lang") == article.lang)
    )


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
