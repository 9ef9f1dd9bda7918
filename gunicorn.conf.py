"""gunicorn settings for the Procfile's web process, from the service's own configuration
(``search_service.config``: ``SEARCH_HOST``, ``PORT``, ``WEB_CONCURRENCY``, ``SEARCH_LOG_LEVEL``).

Workers are plain sync processes: each opens its own long-lived index searcher after the fork,
on its first request.
"""

import os
import tempfile
from pathlib import Path

# prometheus-client's multiprocess mode: each worker writes its metrics to files here and a
# scrape of any worker sums them. It must be set before any metric is created.
os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(prefix="search-metrics-"))

from search_service import config as settings
from search_service.web import server

server.install()  # gunicorn's own 4xx/5xx pages become JSON like the app's
service = settings.load()  # not "config": gunicorn reads that name as its own setting

bind = f"{service.host}:{service.port}"
workers = service.workers
worker_class = "sync"
timeout = 30
graceful_timeout = 20
keepalive = 5
accesslog = None  # the app logs one JSON line per request, with its X-Request-ID
errorlog = "-"
loglevel = service.log_level


def on_starting(server):
    """Counters from an earlier run of the master would otherwise be added to this one's."""
    folder = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("*.db"):
        stale.unlink()


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
