"""Background reindex jobs started by ``POST /admin/reindex``, with their state on disk.

A job runs in a thread of the worker that accepted it; its state is a small JSON file under
``<index>/jobs/`` so any worker can answer ``GET /admin/jobs/<id>``. A job whose process died
(a killed worker) is reported as failed: the rebuild never switched, the live build is the
last good one, and the next writer clears the half-written build.
"""

from __future__ import annotations

import json
import os
import secrets
import threading
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..articles import Article
from ..config import Config
from ..errors import ArticleError, SearchServiceError
from . import writer
from .files import timestamp, write_atomic
from .store import IndexStore

JOBS = "jobs"
MAX_REPORTED_ERRORS = 100
PROGRESS_EVERY = 1.0  # seconds between progress writes

# Reads the articles to index, calling ``on_bytes`` once per line read: the sources are read by
# the caller's choice of reader (indexing does not know where articles come from).
ArticleReader = Callable[..., Iterable[Article]]


def folder(store: IndexStore) -> Path:
    return store.root / JOBS


def read(store: IndexStore, job_id: str) -> dict[str, Any] | None:
    """The job's state, or None for an unknown id; a job whose process died is ``failed``."""
    if not job_id.isalnum():
        return None
    try:
        job = json.loads((folder(store) / f"{job_id}.json").read_text())
    except (OSError, ValueError):
        return None
    if job["status"] in ("queued", "running") and not _alive(job.get("pid", 0)):
        job.update(status="failed", error="interrupted: the process running the job stopped")
    job.pop("pid", None)
    return job


def running(store: IndexStore) -> str | None:
    """The id of a reindex job that is still running, if any."""
    if not folder(store).is_dir():
        return None
    for path in folder(store).glob("*.json"):
        job = read(store, path.stem)
        if job and job["status"] in ("queued", "running"):
            return job["id"]
    return None


def start_reindex(
    store: IndexStore,
    config: Config,
    read: ArticleReader,
    sources: int,
    on_reject: Callable[[ArticleError], None] = lambda error: None,
) -> dict[str, Any]:
    """Start a full rebuild from ``read(on_bytes=...)`` (the articles of ``sources`` files) in
    a background thread; returns the job."""
    job_id = f"{datetime.now(UTC):%Y%m%d%H%M%S}{secrets.token_hex(4)}"
    job: dict[str, Any] = {
        "id": job_id,
        "kind": "reindex",
        "status": "queued",
        "sources": sources,
        "created": timestamp(),
        "started": None,
        "finished": None,
        "progress": {"lines": 0, "rejected": 0},
        "summary": None,
        "errors": [],
        "error": None,
        "pid": os.getpid(),
    }
    folder(store).mkdir(parents=True, exist_ok=True)
    _save(store, job)
    thread = threading.Thread(
        target=_run,
        args=(store, config, read, job, on_reject),
        name=f"reindex-{job_id}",
        daemon=True,
    )
    thread.start()
    return {key: value for key, value in job.items() if key != "pid"}


def _run(
    store: IndexStore,
    config: Config,
    read: ArticleReader,
    job: dict[str, Any],
    on_reject: Callable[[ArticleError], None],
) -> None:
    last_write = 0.0

    def progress(_: int) -> None:
        nonlocal last_write
        job["progress"]["lines"] += 1
        if time.monotonic() - last_write >= PROGRESS_EVERY:
            last_write = time.monotonic()
            _save(store, job)

    def reject(error: ArticleError) -> None:
        on_reject(error)
        job["progress"]["rejected"] += 1
        if len(job["errors"]) < MAX_REPORTED_ERRORS:
            job["errors"].append(str(error))

    job.update(status="running", started=timestamp())
    _save(store, job)
    try:
        summary = writer.rebuild(store, read(on_bytes=progress), config, on_reject=reject)
        job.update(status="succeeded", summary=summary.as_dict())
    except (SearchServiceError, OSError) as exc:
        job.update(status="failed", error=str(exc))
    except Exception as exc:  # a thread has no one else to report to
        job.update(status="failed", error=f"unexpected error: {exc!r}")
    job["finished"] = timestamp()
    _save(store, job)


def _save(store: IndexStore, job: dict[str, Any]) -> None:
    write_atomic(folder(store) / f"{job['id']}.json", json.dumps(job, ensure_ascii=False))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return pid > 0
