"""The OpenAPI 3.1 description of every endpoint (served at ``/openapi.json``): the reader's
JSON API, operations and the admin API (bearer token), error responses included.

Written by hand, next to the views it describes, and the only description there is:
``tests/test_reader_api.py`` validates real responses against it and
``tests/test_openapi_contract.py`` runs schemathesis against the document a real gunicorn
serves, so it cannot drift from what the service sends.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request

from ... import __name__ as package
from . import editorial, paths, schemas

PATHS = {**paths.PATHS, **editorial.PATHS}
SCHEMAS = {**schemas.SCHEMAS, **editorial.SCHEMAS}

__all__ = ["PATHS", "SCHEMAS", "openapi", "spec"]


def spec(server: str | None = None) -> dict[str, Any]:
    """The OpenAPI document; ``server`` is the base URL it is served from."""
    document: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {
            "title": package,
            "version": "1",
            "description": "Full-text search for a trilingual (en, ru, az) news site.",
        },
        "paths": PATHS,
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "SEARCH_ADMIN_TOKEN; the admin API is off without it.",
                },
                "replication": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "SEARCH_REPLICATION_TOKEN; replication is off without it.",
                },
            },
        },
    }
    if server:
        document["servers"] = [{"url": server}]
    return document


openapi = Blueprint("openapi", __name__)


@openapi.get("/openapi.json")
def openapi_view():
    return jsonify(spec(request.host_url.rstrip("/")))
