"""The reader's JSON API: ``/search``, ``/suggest``, ``/articles/<id>/related`` and
``/healthz``, with CORS for the endpoints a page on another origin may call."""

from __future__ import annotations

import dataclasses
import re
import time
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import NamedTuple
from urllib.parse import unquote_to_bytes

from flask import Blueprint, Response, current_app, g, jsonify, request

from ..errors import BadParameter, FollowerLagging, MissingQuery, NotFound, QueryTooLong
from ..replication.health import health as replication_health
from ..searching.searcher import SORTS, SearchRequest, SearchResponse, search, settings_options
from ..sources.watermarks import all_states
from ..suggestions.related import related
from ..suggestions.suggest import suggest
from . import state
from .jsonbody import encode, encode_around

api = Blueprint("api", __name__)

MAX_SUGGESTIONS = 20
MAX_RELATED = 50
# Endpoints a page on another origin may call (GET only, no credentials).
CORS_PATHS = ("/search", "/suggest")

LANG_CODE = re.compile(r"^[a-z]{2,3}$")
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@api.get("/search")
def search_view():
    settings = state().config
    search_request = parse_search_args(
        settings.max_query_length, settings.max_per_page, settings.max_results_window
    )
    started = time.perf_counter()
    build, searcher = state().handle.searcher()
    options = settings_options(settings)
    now = datetime.now(UTC)
    # The rules' state is in the key, so an editor's change is seen on the next search.
    rules_state = options["rulebook"].state(now)
    key = (build.id, searcher.reader().generation(), rules_state, search_request)
    cache = state().cache
    cached: CachedAnswer | None = cache.get(key)
    # An entry made with other synonyms (the file changed since) is stale: it is kept with
    # the synonyms it was made with, and compared by identity.
    if cached is not None and cached.synonyms is options["synonyms"]:
        took = round((time.perf_counter() - started) * 1000, 2)
        response, outcome = dataclasses.replace(cached.response, took_ms=took), "hit"
        head, tail = cached.head, cached.tail
    else:
        response = search(searcher, search_request, build=build.id, now=now, **options)
        head, tail = encode_around(response.as_dict(), "took_ms")
        if not response.partial:  # a cut-short answer must not outlive the load that cut it
            cache.put(key, CachedAnswer(options["synonyms"], response, head, tail))
        outcome = "miss"
    g.search_response = response  # for the query log and metrics (web/ops.py)
    # The body is kept encoded: a hit only writes its own took_ms between the two parts.
    # Each answer its own search_id (the request id the query log records), so a click
    # names the search it came from even when the answer is cached.
    search_id = b',"search_id":' + encode(g.request_id)
    reply = current_app.response_class(
        head + encode(response.took_ms) + search_id + tail, mimetype="application/json"
    )
    reply.headers["X-Cache"] = outcome if cache.size else "off"
    return reply


class CachedAnswer(NamedTuple):
    """A cached ``/search`` answer: the synonyms it was made with, the response, and its
    JSON body split around ``took_ms``."""

    synonyms: object
    response: SearchResponse
    head: bytes
    tail: bytes


@api.get("/healthz")
def health_view():
    """The live build; on a follower also how far behind its leader it is, and 503
    ("lagging") past SEARCH_MAX_LAG so a load balancer drains it."""
    build, searcher = state().handle.searcher()  # 503 via the IndexUnavailable handler
    body = {
        "status": "ok",
        "documents": searcher.doc_count(),
        "build": build.id,
        "build_created": build.info.get("created"),
        "generation": searcher.reader().generation(),
    }
    synced = all_states(state().store.root)
    if synced:  # only where `search-service sync` feeds this index
        body["sources"] = {
            name: {
                "kind": source.get("kind"),
                "watermark": source.get("watermark"),
                "last_success": source.get("last_success"),
                "last_error": source.get("last_error"),
                "rows_ahead": source.get("ahead", 0),
            }
            for name, source in synced.items()
        }
    settings = state().config
    follower = replication_health(state().store.root, settings.leader_url)
    if follower is None:
        return jsonify(body)
    body["replication"] = follower
    behind = follower["seconds_behind"]
    if settings.max_lag and (behind is None or behind > settings.max_lag):
        how_far = "an unknown time" if behind is None else f"{behind:g} s"
        raise FollowerLagging(
            f"this follower is {how_far} behind its leader, more than SEARCH_MAX_LAG "
            f"({settings.max_lag:g} s)",
            **{**body, "status": "lagging"},
        )
    return jsonify(body)


@api.get("/suggest")
def suggest_view():
    settings = state().config
    check_utf8()
    q = request.args.get("q", "")
    check_length(q, settings.max_query_length)
    lang = lang_arg()
    limit = integer_arg("limit", 8, minimum=1, maximum=MAX_SUGGESTIONS)
    if not q.strip():
        return jsonify({"query": q, "took_ms": 0.0, "suggestions": []})
    _build, searcher = state().handle.searcher()
    response = suggest(
        searcher,
        q,
        lang=lang,
        limit=limit,
        recency_half_life=settings.recency_half_life,
    )
    return jsonify(response.as_dict())


@api.get("/articles/<article_id>/related")
def related_view(article_id: str):
    limit = integer_arg("limit", 5, minimum=1, maximum=MAX_RELATED)
    _, searcher = state().handle.searcher()
    response = related(searcher, article_id, limit)
    if response is None:
        raise NotFound(f"no article with id {article_id!r}")
    return jsonify(response.as_dict())


def parse_search_args(max_length: int, max_per_page: int, max_window: int) -> SearchRequest:
    """Validate the query string of ``/search``; every problem is a 400 naming the parameter."""
    check_utf8()
    # A plain dict: werkzeug's MultiDict raises (and catches) an exception per absent key.
    args = request.args.to_dict()
    q = args.get("q", "").strip()
    if not q:
        raise MissingQuery(MissingQuery.default)
    check_length(q, max_length)
    page = integer_arg("page", 1, minimum=1, args=args)
    per_page = integer_arg("per_page", 10, minimum=1, maximum=max_per_page, args=args)
    if page * per_page > max_window:
        raise BadParameter(
            f"page {page} × per_page {per_page} goes past result {max_window}, "
            "the deepest this API pages"
        )
    lang = lang_arg(args)
    sort = args.get("sort", "relevance").strip() or "relevance"
    if sort not in SORTS:
        raise BadParameter(f"parameter 'sort' must be one of {', '.join(SORTS)}, got {sort!r}")
    date_from, date_to = _date("from", args), _date("to", args)
    if date_from and date_to and date_from > date_to:
        raise BadParameter(f"'from' ({date_from}) is after 'to' ({date_to})")
    return SearchRequest(
        q=q,
        lang=lang,
        page=page,
        per_page=per_page,
        category=args.get("category", "").strip() or None,
        date_from=date_from,
        date_to=date_to,
        sort=sort,
        tags=tuple(
            dict.fromkeys(
                tag.strip()
                for raw in request.args.getlist("tags")
                for tag in raw.split(",")
                if tag.strip()
            )
        ),
    )


def check_utf8() -> None:
    """Every parameter must be UTF-8 once percent-decoded: werkzeug replaces what is not, and
    ``q=%ff`` would search for the text ``%FF`` instead of saying what is wrong. werkzeug leaves
    an undecodable byte as a ``%`` escape (or a replacement character), so only a query string
    whose decoded form has one of those is read again byte by byte."""
    decoded = "".join(name + value for name, value in request.args.items(multi=True))
    if "%" not in decoded and "\ufffd" not in decoded:
        return
    for pair in request.query_string.split(b"&"):
        name, _, value = pair.partition(b"=")
        for part in (name, value):
            try:
                unquote_to_bytes(part.replace(b"+", b" ")).decode("utf-8")
            except UnicodeDecodeError:
                shown = unquote_to_bytes(name).decode("utf-8", "replace")
                raise BadParameter(
                    f"parameter {shown!r} is not valid UTF-8 once percent-decoded "
                    f"({part.decode('ascii', 'replace')[:40]!r})"
                ) from None


def check_length(q: str, max_length: int) -> None:
    """A query over SEARCH_MAX_QUERY_LENGTH is refused before any work is done for it."""
    if len(q) > max_length:
        raise QueryTooLong(f"query is {len(q)} characters long; the maximum is {max_length}")


def integer_arg(
    name: str,
    default: int,
    *,
    minimum: int,
    maximum: int | None = None,
    args: Mapping[str, str] | None = None,
) -> int:
    """A whole-number query parameter within bounds (shared by every JSON endpoint); from
    ``args`` when given, else the request's."""
    raw = (request.args if args is None else args).get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadParameter(f"parameter {name!r} must be a whole number, got {raw!r}") from None
    if value < minimum or (maximum is not None and value > maximum):
        limits = f"at least {minimum}" + (f" and at most {maximum}" if maximum else "")
        raise BadParameter(f"parameter {name!r} must be {limits}, got {value}")
    return value


def lang_arg(args: Mapping[str, str] | None = None) -> str | None:
    """The optional ``lang`` parameter: a bare language code such as ``en``."""
    lang = (request.args if args is None else args).get("lang", "").strip().lower() or None
    if lang and not LANG_CODE.match(lang):
        raise BadParameter(f"parameter 'lang' must be a language code such as 'en', got {lang!r}")
    return lang


def _date(name: str, args: Mapping[str, str]) -> date | None:
    raw = args.get(name, "").strip()
    if not raw:
        return None
    try:
        if not ISO_DATE.match(raw):
            raise ValueError(raw)
        return date.fromisoformat(raw)
    except ValueError:
        raise BadParameter(
            f"parameter {name!r} must be a date like 2025-03-14, got {raw!r}"
        ) from None


@api.after_app_request
def _cors(response: Response) -> Response:
    """Let the configured origins read ``/search`` and ``/suggest`` (errors included).

    A dozen lines instead of flask-cors: only simple GET requests without credentials are
    allowed, so an allow-list check, two headers and a preflight answer are all it takes.
    """
    origin = request.headers.get("Origin")
    allowed = state().config.cors_origins
    if not origin or not allowed or request.path not in CORS_PATHS:
        return response
    response.vary.add("Origin")
    if "*" in allowed or origin.rstrip("/") in allowed:
        response.headers["Access-Control-Allow-Origin"] = "*" if "*" in allowed else origin
        if request.method == "OPTIONS":
            response.headers["Access-Control-Allow-Methods"] = "GET"
            response.headers["Access-Control-Max-Age"] = "3600"
    return response
