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

import orjson
from flask import Flask, Response, current_app, g, request

from ..errors import HeaderFieldsTooLarge, TooManyRequests, UriTooLong
from ..searching import querylog
from . import metrics, state
from .ratelimit import RateLimiter
from .server import HEADER_FIELD_LIMIT, SECURITY_HEADERS, request_line_limit

# Endpoints the rate limit leaves alone: probes, scrapes, the authenticated CMS and followers.
UNLIMITED = {"api.health_view", "metrics.metrics_view", "static"}
UNLIMITED_BLUEPRINTS = {"admin", "replication", "rules"}
# Rate-limit budgets: the page and the API draw on one per client (SEARCH_RATELIMIT), the
# keystroke suggestions on a separate, larger one (SEARCH_SUGGEST_RATELIMIT). Every other
# public endpoint has its own SEARCH_RATELIMIT budget.
SEARCH_ENDPOINTS = ("api.search_view", "pages.search_page")
SUGGEST_ENDPOINTS = ("api.suggest_view",)
CLICK_ENDPOINTS = ("events.click_view",)
REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")

access_log = logging.getLogger("search_service.access")
# Dates and non-string keys in a log line's fields read as str() makes them.
LOG_JSON = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_NON_STR_KEYS


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
        try:  # orjson: a fifth of the cost; what it refuses (say, a lone surrogate) goes slow
            return orjson.dumps(line, default=str, option=LOG_JSON).decode()
        except TypeError:
            return json.dumps(line, ensure_ascii=False, default=str)


def init_app(app: Flask) -> None:
    config = app.extensions["search_service"].config
    limiter = RateLimiter(config.ratelimit_storage_url, key_prefix="search")
    app.extensions["search_service_limiter"] = limiter
    app.before_request(_start)  # before the rate limit, so a 429 has its id and time
    app.before_request(_limit)
    _configure_logging(app, config.log_level)
    app.after_request(_finish)
    metrics.init_app(app)


def _budget(endpoint: str | None) -> tuple[str, str] | None:
    """The scope and limits a request draws on; None for what is not limited."""
    if (
        endpoint is None  # a 404 costs nothing
        or endpoint in UNLIMITED
        or endpoint.endswith(".static")
        or request.blueprint in UNLIMITED_BLUEPRINTS
        or request.method == "OPTIONS"  # a CORS preflight is the browser asking permission
    ):
        return None
    settings = state().config
    if endpoint in SEARCH_ENDPOINTS:
        return "searches", settings.ratelimit
    if endpoint in SUGGEST_ENDPOINTS:
        return "suggestions", settings.suggest_ratelimit
    if endpoint in CLICK_ENDPOINTS:
        return "clicks", settings.click_ratelimit
    return endpoint, settings.ratelimit


def _limit() -> None:
    budget = _budget(request.endpoint)
    if budget is None:
        return
    limiter: RateLimiter = current_app.extensions["search_service_limiter"]
    # The proxy's address unless SEARCH_TRUSTED_PROXIES (ProxyFix) says whom it forwarded.
    client = request.remote_addr or "127.0.0.1"
    g.rate_limit = counted = limiter.hit(budget[1], client, budget[0])
    if counted.broken:
        raise TooManyRequests(counted.broken)


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


def _finish(response: Response) -> Response:
    headers = response.headers
    present = {name.lower() for name, _ in headers.items()}  # a view may set its own
    for name, value in SECURITY_HEADERS.items():
        if name.lower() not in present:
            headers.add(name, value)
    request_id = g.get("request_id") or uuid.uuid4().hex
    headers.add("X-Request-ID", request_id)
    counted = g.get("rate_limit")
    if counted is not None:
        counted.add_headers(response)
    seconds = time.perf_counter() - g.get("started", time.perf_counter())
    endpoint = request.endpoint or "unmatched"
    status = response.status_code
    metrics.observe_request(endpoint, request.method, status, seconds)
    searched = g.get("search_response")
    if searched is not None:
        metrics.observe_search(searched)
        _query_log(searched, request_id)
    if access_log.isEnabledFor(logging.INFO):  # the line's fields cost more than the check
        access_log.info(
            "request",
            extra={
                "fields": {
                    "request_id": request_id,
                    "method": request.method,
                    "path": request.path,
                    "endpoint": endpoint,
                    "status": status,
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
