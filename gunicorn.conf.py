"""gunicorn settings for the Procfile's web process.

PORT and WEB_CONCURRENCY follow the platform conventions (Heroku, Dokku, Render); the bind
address comes from SEARCH_HOST. Workers are plain sync processes: each opens its own
long-lived index searcher after the fork, on its first request.
"""

import os
import tempfile
from pathlib import Path

# prometheus-client's multiprocess mode: each worker writes its metrics to files here and a
# scrape of any worker sums them. It must be set before any metric is created.
os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(prefix="search-metrics-"))

from search_service import config as _config  # noqa: E402 (gunicorn reads "config")
from search_service.web import server  # noqa: E402

server.install()  # gunicorn's own 4xx/5xx pages become JSON like the app's
_settings = _config.load()

bind = f"{os.environ.get('SEARCH_HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "sync"
timeout = 30
graceful_timeout = 20
keepalive = 5
# Every query the README allows must fit in a URL (1,000 Cyrillic characters percent-encode
# to over 5 KB); the app answers 414/431 itself, gunicorn only far beyond.
limit_request_line = server.gunicorn_request_line_limit(_settings.max_query_length)
limit_request_field_size = server.GUNICORN_MARGIN * server.HEADER_FIELD_LIMIT
accesslog = None  # the app logs one JSON line per request, with its X-Request-ID
errorlog = "-"
loglevel = os.environ.get("SEARCH_LOG_LEVEL", "info")


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
