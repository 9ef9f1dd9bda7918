"""The HTTP layer: thin Flask views over :mod:`search_service.searching`, and the one place
where exceptions become JSON error responses."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, current_app, jsonify
from werkzeug.exceptions import HTTPException

from ..config import Config
from ..errors import ApiError, IndexUnavailable, error_body
from ..indexing.store import IndexHandle, IndexStore
from ..searching.cache import ResultCache


@dataclass(frozen=True)
class State:
    """What the views need, created once per app (and opened lazily per worker)."""

    config: Config
    store: IndexStore
    handle: IndexHandle
    cache: ResultCache


def state() -> State:
    return current_app.extensions["search_service"]


def init_app(app: Flask) -> None:
    from . import ops
    from .admin import admin
    from .api import api
    from .openapi import openapi
    from .pages import pages
    from .replication import replication

    app.register_blueprint(api)
    app.register_blueprint(pages)
    app.register_blueprint(admin)
    app.register_blueprint(openapi)
    app.register_blueprint(replication)
    ops.init_app(app)
    app.register_error_handler(ApiError, _api_error)
    app.register_error_handler(IndexUnavailable, _index_unavailable)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected_error)


def _api_error(exc: ApiError):
    return jsonify(error_body(exc.code, exc.message)), exc.status


def _index_unavailable(exc: IndexUnavailable):
    # The detail names server paths: it goes to the log, not to the client.
    current_app.logger.warning("index unavailable: %s", exc)
    message = "the search index is not available yet; try again shortly"
    return jsonify(error_body("index_unavailable", message, status="unavailable")), 503


def _http_error(exc: HTTPException):
    code = (exc.name or "error").lower().replace(" ", "_").replace("'", "")
    response = exc.get_response()
    response.set_data(jsonify(error_body(code, exc.description or exc.name)).get_data())
    response.content_type = "application/json"
    return response


def _unexpected_error(exc: Exception):
    current_app.logger.exception("unhandled error")
    return jsonify(error_body("internal_error", "the server failed to answer; it is logged")), 500
