"""What every response gets: a request id, security headers, a per-client rate limit on the
public endpoints, one structured JSON log line, and (for searches) a query-log line.

Logs never carry client addresses, tokens or headers: the request line is the path (no query
string), and queries go only to the query log, which has no client address either.
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, g, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from ..errors import HeaderFieldsTooLarge, UriTooLong
from . import metrics, querylog, state
from .server import HEADER_FIELD_LIMIT, SECURITY_HEADERS, request_line_limit

# Endpoints the rate limit leaves alone: probes, scrapes, the authenticated CMS and followers.
UNLIMITED = {"api.health_view", "metrics.metrics_view", "static"}
UNLIMITED_BLUEPRINTS = {"admin", "replication"}
# Rate-limit budgets: the page and the API draw on one per client (SEARCH_RATELIMIT), the
# keystroke suggestions on a separate, larger one (SEARCH_SUGGEST_RATELIMIT). Every other
# public endpoint has its own SEARCH_RATELIMIT budget.
SEARCH_ENDPOINTS = ("api.search_view", "pages.search_page")
SUGGEST_ENDPOINTS = ("api.suggest_view",)
REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")

access_log = logging.getLogger("search_service.access")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message and the record's ``fields``."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            **getattr(record, "fields", {}),
        }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def init_app(app: Flask) -> None:
    config = app.extensions["search_service"].config
    app.before_request(_start)  # before the limiter's check, so a 429 has its id and time
    # Flask runs after-request hooks last-registered first: registered before the limiter,
    # this one runs after the limiter's, which puts Retry-After on every limited response.
    app.after_request(_retry_after_only_on_429)
    limiter = Limiter(
        get_remote_address,  # the proxy's address unless SEARCH_TRUSTED_PROXIES (ProxyFix)
        app=app,
        default_limits=[lambda: state().config.ratelimit],
        default_limits_exempt_when=lambda: (
            request.blueprint in UNLIMITED_BLUEPRINTS or request.endpoint in UNLIMITED
        ),
        storage_uri=config.ratelimit_storage_url,
        headers_enabled=True,
        key_prefix="search",
    )
    # A CORS preflight is the browser asking permission, not a search: it costs nothing.
    limiter.request_filter(lambda: request.method == "OPTIONS")
    _share_budget(app, limiter, "searches", SEARCH_ENDPOINTS, lambda: state().config.ratelimit)
    _share_budget(
        app, limiter, "suggestions", SUGGEST_ENDPOINTS, lambda: state().config.suggest_ratelimit
    )
    app.extensions["search_service_limiter"] = limiter
    _configure_logging(app, config.log_level)
    app.after_request(_finish)
    metrics.init_app(app)


def _share_budget(
    app: Flask, limiter: Limiter, scope: str, endpoints: tuple[str, ...], limit: Any
) -> None:
    """One budget per client for all ``endpoints`` (in place of one per endpoint)."""
    shared = limiter.shared_limit(limit, scope=scope)
    for endpoint in endpoints:
        app.view_functions[endpoint] = shared(app.view_functions[endpoint])


def _configure_logging(app: Flask, level: str) -> None:
    """JSON lines on stderr for the app's and the access logger (once per process)."""
    for logger in (app.logger, access_log):
        logger.setLevel(level.upper())
        if not any(isinstance(h.formatter, JsonFormatter) for h in logger.handlers):
            handler = logging.StreamHandler()
            handler.setFormatter(JsonFormatter())
            logger.handlers = [handler]
            logger.propagate = False


def _start() -> None:
    g.started = time.perf_counter()
    given = request.headers.get("X-Request-ID", "")
    g.request_id = given if REQUEST_ID.match(given) else uuid.uuid4().hex
    _check_size()


def _check_size() -> None:
    """414 and 431 from the app, which knows whether to answer the page or the API (gunicorn
    lets a little more through than these limits, see web/server.py)."""
    # The path and query as sent, one character per byte (WSGI decodes them as latin-1)
    environ = request.environ
    path = (environ.get("RAW_URI") or environ.get("PATH_INFO", "")).split("?", 1)[0]
    query = environ.get("QUERY_STRING", "")
    length = len(f"{request.method} {path}?{query} HTTP/1.1")
    limit = request_line_limit(state().config.max_query_length)
    if length > limit:
        raise UriTooLong(f"the request line is {length} bytes long; the maximum is {limit}")
    for name, value in request.headers.items():
        if len(name) + len(value) + 2 > HEADER_FIELD_LIMIT:
            raise HeaderFieldsTooLarge(
                f"header {name!r} is {len(value)} bytes long; a header may have at most "
                f"{HEADER_FIELD_LIMIT} bytes"
            )


def _retry_after_only_on_429(response: Response) -> Response:
    if response.status_code != 429:
        response.headers.pop("Retry-After", None)
    return response


def _finish(response: Response) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    request_id = g.get("request_id") or uuid.uuid4().hex
    response.headers["X-Request-ID"] = request_id
    seconds = time.perf_counter() - g.get("started", time.perf_counter())
    endpoint = request.endpoint or "unmatched"
    metrics.observe_request(endpoint, request.method, response.status_code, seconds)
    searched = g.get("search_response")
    if searched is not None:
        metrics.observe_search(searched)
        _query_log(searched, request_id)
    access_log.info(
        "request",
        extra={
            "fields": {
                "request_id": request_id,
                "method": request.method,
                "path": request.path,
                "endpoint": endpoint,
                "status": response.status_code,
                "duration_ms": round(seconds * 1000, 2),
                "bytes": response.calculate_content_length(),
                "pid": os.getpid(),
            }
        },
    )
    return response


def _query_log(searched: Any, request_id: str) -> None:
    path = state().config.query_log
    if not path:
        return
    try:
        querylog.append(path, searched, request.args, request_id)
    except OSError as exc:  # a full or read-only log disk must not fail searches
        access_log.warning("query log not written", extra={"fields": {"error": str(exc)}})
