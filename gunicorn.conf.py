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
# Every query the README allows must fit in a URL (1,000 Cyrillic characters percent-encode
# to over 5 KB); the app answers 414/431 itself, gunicorn only far beyond.
limit_request_line = server.gunicorn_request_line_limit(service.max_query_length)
limit_request_field_size = server.GUNICORN_MARGIN * server.HEADER_FIELD_LIMIT
accesslog = None  # the app logs one JSON line per request, with its X-Request-ID
errorlog = "-"
loglevel = service.log_level


def on_starting(server):
    """Counters from an earlier run of the master would otherwise be added to this one's."""
    folder = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("*.db"):
        stale.unlink()


def when_ready(server):
    """The last start-up line says where to look, and how to serve elsewhere."""
    host, port = bind.rsplit(":", 1)
    server.log.info(
        "Search page: http://%s:%s/ (API: /search?q=...). Another port: PORT=8001 make run, "
        "or set PORT.",
        host,
        port,
    )


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
