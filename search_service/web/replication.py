"""The leader's replication endpoints that followers copy the live build from.

Disabled (404, as if absent) unless ``SEARCH_REPLICATION_TOKEN`` is set; then every request
needs ``Authorization: Bearer <token>``, compared in constant time. Files are served with
HTTP range support, so a follower resumes a broken transfer where it stopped.
"""

from __future__ import annotations

import hmac

from flask import Blueprint, Response, jsonify, request, send_file

from ..errors import NotFound, Unauthorized
from ..indexing import replication as copies
from . import state

replication = Blueprint("replication", __name__, url_prefix="/replication")


@replication.before_request
def authenticate() -> None:
    token = state().config.replication_token
    if not token:
        raise NotFound("no such endpoint")
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(
        given.strip().encode(), token.encode()
    ):
        raise Unauthorized("a valid 'Authorization: Bearer <replication token>' header is required")


@replication.after_request
def never_cache(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    if response.status_code == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="search replication"'
    return response


@replication.get("/manifest")
def manifest_view():
    return jsonify(copies.manifest(state().store))


@replication.get("/builds/<build_id>/files/<name>")
def file_view(build_id: str, name: str):
    path = copies.file_path(state().store, build_id, name)
    if path is None:
        raise NotFound(f"build {build_id!r} has no file {name!r}")
    return send_file(path, mimetype="application/octet-stream", conditional=True, etag=False)
