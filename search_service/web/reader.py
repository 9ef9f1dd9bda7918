"""JSON endpoints for the reader's front end: ``/suggest``, ``/articles/<id>/related`` and
``/openapi.json``, plus CORS for the endpoints a page on another origin may call."""

from __future__ import annotations

from flask import Blueprint, Flask, Response, jsonify, request

from ..errors import ApiError, QueryTooLong
from ..related import related
from ..suggest import suggest
from . import state
from .api import integer_arg, lang_arg
from .openapi import spec

reader = Blueprint("reader", __name__)

MAX_SUGGESTIONS = 20
MAX_RELATED = 50
# Endpoints a page on another origin may call (GET only, no credentials).
CORS_PATHS = ("/search", "/suggest")


class NotFound(ApiError):
    """The URL names something that does not exist (an unknown article id)."""

    status = 404
    code = "not_found"


def init_app(app: Flask) -> None:
    from .pages import pages

    app.register_blueprint(reader)
    app.register_blueprint(pages)
    app.after_request(_cors)


@reader.get("/suggest")
def suggest_view():
    settings = state().config
    q = request.args.get("q", "")
    if len(q) > settings.max_query_length:
        raise QueryTooLong(
            f"query is {len(q)} characters long; the maximum is {settings.max_query_length}"
        )
    lang = lang_arg()
    limit = integer_arg("limit", 8, minimum=1, maximum=MAX_SUGGESTIONS)
    if not q.strip():
        return jsonify({"query": q, "took_ms": 0.0, "suggestions": []})
    build, searcher = state().handle.searcher()
    response = suggest(
        searcher,
        q,
        build=build.id,
        lang=lang,
        limit=limit,
        recency_half_life=settings.recency_half_life,
    )
    return jsonify(response.as_dict())


@reader.get("/articles/<article_id>/related")
def related_view(article_id: str):
    limit = integer_arg("limit", 5, minimum=1, maximum=MAX_RELATED)
    _, searcher = state().handle.searcher()
    response = related(searcher, article_id, limit)
    if response is None:
        raise NotFound(f"no article with id {article_id!r}")
    return jsonify(response.as_dict())


@reader.get("/openapi.json")
def openapi_view():
    return jsonify(spec(request.host_url.rstrip("/")))


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
