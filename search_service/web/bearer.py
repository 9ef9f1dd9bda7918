"""Bearer-token gates for the blueprints only machines call (the admin and replication APIs).

A gate whose token is unset answers 404, so a forgotten setting never leaves an API open;
tokens are compared in constant time; answers are never cached.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable

from flask import Blueprint, Response, request

from ..errors import NotFound, Unauthorized


def guard(blueprint: Blueprint, token: Callable[[], str], realm: str) -> None:
    """Require ``Authorization: Bearer <token()>`` on every request of ``blueprint``."""

    @blueprint.before_request
    def authenticate() -> None:
        expected = token()
        if not expected:
            raise NotFound("no such endpoint")
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        valid = hmac.compare_digest(given.strip().encode(), expected.encode())
        if scheme.lower() != "bearer" or not valid:
            raise Unauthorized(
                f"a valid 'Authorization: Bearer <{realm} token>' header is required"
            )

    @blueprint.after_request
    def never_cache(response: Response) -> Response:
        response.headers["Cache-Control"] = "no-store"
        if response.status_code == 401:
            response.headers["WWW-Authenticate"] = f'Bearer realm="search {realm}"'
        return response
