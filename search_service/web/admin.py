"""The admin API the CMS calls: put, patch, batch, delete, reindex, job status.

Disabled (404, as if absent) unless ``SEARCH_ADMIN_TOKEN`` is set; then every request needs
``Authorization: Bearer <token>``, compared in constant time. A write is validated exactly as
the CLI validates a JSON Lines file, appended durably to the journal, and only then
acknowledged: 200 ``applied`` when it is already searchable, 202 ``queued`` when the writer
lock is busy (a reindex is running); a queued update is applied as soon as the lock frees,
and a running reindex replays it onto its new build before that build goes live.
"""

from __future__ import annotations

import io
import json
import logging
import os
import threading
import time
from functools import partial
from typing import Any

from flask import Blueprint, current_app, jsonify, request
from whoosh.index import LockError as WhooshLockError

from ..articles import FIELDS
from ..errors import (
    ArticleError,
    BatchTooLarge,
    FollowerReadOnly,
    IndexNotReady,
    InvalidArticles,
    InvalidBody,
    JobNotFound,
    LockTimeout,
    NotFound,
    ReindexNotConfigured,
    ReindexRunning,
)
from ..indexing import jobs, writer
from ..indexing.journal import Journal, article_from_json, article_to_json
from ..replication.health import leader_of
from ..sources import read_sources, read_stream
from . import State, bearer, jsonbody, metrics, state

admin = Blueprint("admin", __name__, url_prefix="/admin")
log = logging.getLogger("search_service")

JSON_LINES_TYPES = ("application/x-ndjson", "application/jsonl", "application/x-jsonlines")
# The fields of an article record a PATCH merges into (the JSON Lines contract, without id).
RECORD_FIELDS = tuple(name for name in FIELDS if name != "id")


@admin.before_app_request
def resume_queued_updates() -> None:
    """Once per process, on its first request: apply updates accepted before a crash or a
    restart, so an acknowledged update never waits for the next write to become visible."""
    if Applier.resumed_in != os.getpid():
        Applier.resumed_in = os.getpid()
        current = state()
        if current.store.current() is not None and Journal(current.store.root).has_pending():
            Applier.ensure(current)


bearer.guard(admin, lambda: state().config.admin_token, "admin")


@admin.before_request
def check_write() -> None:
    """A follower copies its leader's builds, so a write made here would be lost at the next
    copy: it is refused, naming where to send it. Bodies are bounded before they are read."""
    settings = state().config
    if request.method not in ("GET", "HEAD"):
        leader = leader_of(state().store.root, settings.leader_url)
        if leader:
            raise FollowerReadOnly(
                f"this instance is a follower of {leader} and copies its builds: send admin "
                f"writes to the leader ({leader}/admin/...)"
            )
    request.max_content_length = settings.admin_max_body


@admin.put("/articles/<article_id>")
def put_article(article_id: str):
    record = _json_body()
    if isinstance(record, dict) and "id" not in record:
        record = {**record, "id": article_id}
    articles, errors = _validate(json.dumps(record, ensure_ascii=False).encode() + b"\n")
    if not errors and articles[0].id != article_id:
        errors = [_error(1, articles[0].id, f"body id {articles[0].id!r} is not {article_id!r}")]
    if errors:
        raise _rejected(errors)
    return _accept([("put", article_id, article_to_json(articles[0]))], rejected=[])


@admin.patch("/articles/<article_id>")
def patch_article(article_id: str):
    """A partial update: the given fields replace the article's, the others are kept (null
    clears an optional field). The merged article is validated as a whole, like a PUT."""
    changes = _json_body()
    if not isinstance(changes, dict):
        raise InvalidBody("the body must be a JSON object of the fields to change")
    current = _current_record(article_id)
    if current is None:
        raise NotFound(f"no article with id {article_id!r} to update; PUT creates one")
    record = {**current, **changes}
    articles, errors = _validate(json.dumps(record, ensure_ascii=False).encode() + b"\n")
    if not errors and articles[0].id != article_id:
        errors = [_error(1, articles[0].id, f"body id {articles[0].id!r} is not {article_id!r}")]
    if errors:
        raise _rejected(errors)
    return _accept([("put", article_id, article_to_json(articles[0]))], rejected=[])


def _current_record(article_id: str) -> dict[str, Any] | None:
    """The article as the CMS last sent it: its latest accepted update when one is still
    waiting in the journal, else the live build's stored fields; None when there is none."""
    for entry in reversed(Journal(state().store.root).pending()):
        if entry.id == article_id:
            return None if entry.record is None else _as_record(article_from_json(entry.record))
    _, searcher = state().handle.searcher()
    stored = searcher.document(id=article_id)
    if stored is None:
        return None
    record = {name: stored.get(name) or None for name in RECORD_FIELDS}
    if stored.get("lang_detected"):
        record["lang"] = None  # detected, not given: detect again from the new text
    return {**record, "id": article_id}


def _as_record(article: Any) -> dict[str, Any]:
    """An article as the JSON Lines record that would produce it."""
    record = {name: getattr(article, name) or None for name in RECORD_FIELDS}
    record.update(
        tags=list(article.tags) or None,
        published=article.published_text or None,
        updated=article.updated_text or None,
    )
    return record


@admin.post("/articles")
def post_articles():
    """A batch: a JSON array of articles, or JSON Lines (one article per line)."""
    body = _body()
    if request.mimetype in JSON_LINES_TYPES:
        lines = body
    else:
        records = _json_body()
        if not isinstance(records, list):
            raise InvalidBody(
                "the body must be a JSON array of articles or JSON Lines "
                f"(Content-Type {JSON_LINES_TYPES[0]})"
            )
        lines = b"".join(json.dumps(r, ensure_ascii=False).encode() + b"\n" for r in records)
    if lines.count(b"\n") + (not lines.endswith(b"\n")) > state().config.admin_max_batch:
        limit = state().config.admin_max_batch
        raise BatchTooLarge(f"a batch may hold at most {limit} articles")
    if not lines.strip():
        raise InvalidBody(
            "the batch is empty: send at least one article (a JSON array or JSON Lines)"
        )
    articles, errors = _validate(lines)
    if not articles:
        raise _rejected(errors)
    updates = [("put", article.id, article_to_json(article)) for article in articles]
    return _accept(updates, rejected=errors)


@admin.delete("/articles/<article_id>")
def delete_article(article_id: str):
    return _accept([("delete", article_id, None)], rejected=[])


@admin.post("/reindex")
def reindex():
    current = state()
    sources = [s.strip() for s in current.config.reindex_source.split(",") if s.strip()]
    if not sources:
        raise ReindexNotConfigured("no reindex source is configured (SEARCH_REINDEX_SOURCE)")
    running = jobs.running(current.store)
    if running:
        raise ReindexRunning(f"reindex job {running} is still running")
    job = jobs.start_reindex(
        current.store,
        current.config,
        partial(read_sources, sources),
        len(sources),
        on_reject=lambda error: metrics.REJECTED.labels("reindex").inc(),
    )
    response = jsonify(job)
    response.status_code = 202
    response.headers["Location"] = f"/admin/jobs/{job['id']}"
    return response


@admin.get("/jobs/<job_id>")
def job_status(job_id: str):
    job = jobs.read(state().store, job_id)
    if job is None:
        raise JobNotFound(f"no job {job_id!r}")
    return jsonify(job)


# Accepting writes ------------------------------------------------------------------------


def _accept(updates: list[tuple[str, str, Any]], rejected: list[dict[str, Any]]):
    current = state()
    if current.store.current() is None:
        raise IndexNotReady(
            "there is no index yet: build one first (search-service reindex, POST /admin/reindex)"
        )
    seqs = Journal(current.store.root).append(updates)  # durable from here on
    status = "applied"
    try:
        writer.apply_journal(
            current.store, current.config, lock_timeout=current.config.admin_apply_wait
        )
    except LockTimeout:
        status = "queued"
        Applier.ensure(current)
    except Exception:  # durable in the journal already: report queued, retry in background
        current_app.logger.exception("applying accepted updates failed; will retry")
        status = "queued"
        Applier.ensure(current)
    body = {
        "status": status,
        "accepted": len(updates),
        "rejected": len(rejected),
        "errors": rejected,
        "ids": [article_id for _, article_id, _ in updates],
        "journal_seq": seqs[-1],
    }
    return jsonify(body), 200 if status == "applied" else 202


class Applier:
    """One background thread per process applying queued updates once the lock frees."""

    _thread: threading.Thread | None = None
    _guard = threading.Lock()
    interval = 0.25
    resumed_in = 0  # the pid that has checked for updates left queued by an earlier process

    @classmethod
    def ensure(cls, current: State) -> None:
        with cls._guard:
            if cls._thread is None or not cls._thread.is_alive():
                cls._thread = threading.Thread(
                    target=cls._loop, args=(current,), name="journal-applier", daemon=True
                )
                cls._thread.start()

    @classmethod
    def _loop(cls, current: State) -> None:
        journal = Journal(current.store.root)
        provisional: tuple[str, int] = ("", 0)  # (live build, last seq applied to it early)
        while journal.has_pending():
            try:
                writer.apply_journal(current.store, current.config, lock_timeout=cls.interval)
            except LockTimeout:
                provisional = cls._during_reindex(current, provisional)
            except Exception:  # keep trying; the entries are safe in the journal
                log.exception("applying accepted updates failed; will retry")
                time.sleep(1)

    @staticmethod
    def _during_reindex(current: State, done: tuple[str, int]) -> tuple[str, int]:
        """A reindex can hold the lock for minutes: apply to the live build meanwhile so an
        update is searchable within the interval; the reindex replays it on its new build."""
        live = current.store.current()
        if live is None or "(reindex)" not in current.store.lock_holder():
            return done
        after = done[1] if done[0] == live.id else 0
        try:
            return live.id, writer.apply_provisionally(current.store, current.config, after)
        except WhooshLockError:
            return done  # another worker is doing the same; try again next round


# Request bodies ---------------------------------------------------------------------------


def _body() -> bytes:
    body = request.get_data(cache=True)  # 413 via max_content_length when too large
    if not body.strip():
        raise InvalidBody("the request body is empty")
    return body


def _json_body() -> Any:
    return jsonbody.decode(_body())


def _validate(lines: bytes) -> tuple[list[Any], list[dict[str, Any]]]:
    """Validate JSON Lines as the CLI does; returns the articles and one error per record."""
    articles, errors = [], []
    for item in read_stream(io.BytesIO(lines), "<request>"):
        if isinstance(item, ArticleError):
            errors.append(_error(item.line, item.article_id, item.reason))
        else:
            articles.append(item)
    metrics.REJECTED.labels("api").inc(len(errors))
    return articles, errors


def _error(record: int | None, article_id: str, reason: str) -> dict[str, Any]:
    return {"record": record, "id": article_id or None, "reason": reason}


def _rejected(errors: list[dict[str, Any]]) -> InvalidArticles:
    message = f"{len(errors)} record(s) rejected; nothing was written"
    return InvalidArticles(message, errors=errors)
