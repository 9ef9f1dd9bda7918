"""The HTTP layer: thin Flask views over :mod:`search_service.searching`, and the one place
where exceptions become JSON error responses."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, current_app, jsonify, request
from werkzeug.exceptions import HTTPException

from .. import errors
from ..config import Config
from ..indexing.store import IndexHandle, IndexStore
from ..searching.cache import ResultCache
from .jsonbody import JsonProvider

__all__ = ["JsonProvider", "State", "init_app", "state"]


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
    from . import i18n, ops
    from .admin import admin
    from .api import api
    from .events import events
    from .openapi import openapi
    from .pages import pages
    from .replication import replication
    from .rules import editorial

    app.register_blueprint(api)
    app.register_blueprint(pages)
    app.register_blueprint(events)
    app.register_blueprint(admin)
    app.register_blueprint(openapi)
    app.register_blueprint(replication)
    app.register_blueprint(editorial)
    ops.init_app(app)
    i18n.init_app(app)
    app.register_error_handler(errors.ApiError, _api_error)
    app.register_error_handler(errors.IndexUnavailable, _index_unavailable)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected_error)


def error_page(status: int, code: str, message: str):
    from .pages import error_page as page

    return page(status, code, message)


def _api_error(exc: errors.ApiError):
    if request.blueprint == "pages":  # the reader's page answers as a page, not JSON
        return error_page(exc.status, exc.code, exc.message)
    return jsonify(exc.body()), exc.status


def _index_unavailable(exc: errors.IndexUnavailable):
    # The detail names server paths: it goes to the log, not to the client.
    current_app.logger.warning("index unavailable: %s", exc)
    return _api_error(
        errors.IndexNotReady("the search index is not available yet; try again shortly")
    )


# werkzeug's errors, as the service's own; any other 4xx is a bad request.
HTTP_ERRORS: dict[int, type[errors.ApiError]] = {
    400: errors.BadRequest,
    404: errors.NotFound,
    405: errors.MethodNotAllowed,
    413: errors.PayloadTooLarge,
    429: errors.TooManyRequests,
}


def _http_error(exc: HTTPException):
    status = exc.code or 500
    kind = HTTP_ERRORS.get(status)
    if kind is None:
        kind = errors.BadRequest if status < 500 else errors.InternalError
    message = exc.description or exc.name
    if kind is errors.PayloadTooLarge and request.max_content_length:
        message = f"the request body is over {request.max_content_length} bytes"
    if request.blueprint == "pages":  # a 429 on the page, say: the page, not JSON
        return error_page(status, kind.code, message)
    response = exc.get_response()  # keeps its status and headers (Allow, Retry-After)
    response.set_data(jsonify(kind(message).body()).get_data())
    response.content_type = "application/json"
    return response


def _unexpected_error(exc: Exception):
    current_app.logger.exception("unhandled error")
    return _api_error(errors.InternalError("the server failed to answer; it is logged"))
