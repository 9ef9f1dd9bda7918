"""The leader's replication endpoints that followers copy the live build from.

Disabled (404, as if absent) unless ``SEARCH_REPLICATION_TOKEN`` is set; then every request
needs ``Authorization: Bearer <token>``, compared in constant time. Files are served with
HTTP range support, so a follower resumes a broken transfer where it stopped.
"""

from __future__ import annotations

from flask import Blueprint, jsonify, send_file

from ..errors import NotFound
from ..replication import manifest as manifests
from ..sources.watermarks import all_states
from . import bearer, state

replication = Blueprint("replication", __name__, url_prefix="/replication")


bearer.guard(replication, lambda: state().config.replication_token, "replication")


@replication.get("/manifest")
def manifest_view():
    store = state().store
    return jsonify(manifests.manifest(store, sources=all_states(store.root) or None))


@replication.get("/builds/<build_id>/files/<name>")
def file_view(build_id: str, name: str):
    path = manifests.file_path(state().store, build_id, name)
    if path is None:
        raise NotFound(f"build {build_id!r} has no file {name!r}")
    return send_file(path, mimetype="application/octet-stream", conditional=True, etag=False)
