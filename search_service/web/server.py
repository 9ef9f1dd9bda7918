"""gunicorn-level error responses in the API's JSON shape.

gunicorn answers requests it cannot parse (a raw non-ASCII URL from a hand-typed curl, an
over-long request line, malformed headers) itself, before Flask sees them, with an HTML page.
gunicorn.conf.py installs :func:`write_json_error` in its place so that every error a client
can receive from this service is JSON with one of the codes of :mod:`search_service.errors`.
"""

from __future__ import annotations

import json
import socket

from gunicorn import util

from .. import errors

# Sent with every response, the app's (web/ops.py) and gunicorn's own error pages alike.
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    "Cross-Origin-Resource-Policy": "same-origin",
}
# The code of each status gunicorn answers with itself (gunicorn.workers.base.handle_error).
# It also answers 501 to a Transfer-Encoding it does not support, a malformed request too.
GUNICORN_ERRORS: dict[int, type[errors.ApiError]] = {
    400: errors.BadRequest,
    403: errors.Forbidden,
    414: errors.UriTooLong,
    417: errors.ExpectationFailed,
    431: errors.HeaderFieldsTooLarge,
    500: errors.InternalError,
    501: errors.BadRequest,
}
URL_HINT = " (non-ASCII text in a URL must be percent-encoded: curl -G --data-urlencode 'q=...')"


def write_json_error(sock: socket.socket, status_int: int, reason: str, mesg: str) -> None:
    """Drop-in for ``gunicorn.util.write_error`` that writes the JSON error body."""
    kind = GUNICORN_ERRORS.get(status_int)
    if kind is None:
        kind = errors.BadRequest if status_int < 500 else errors.InternalError
    hint = URL_HINT if mesg.startswith("Invalid Request Line") else ""
    message = mesg + hint or reason  # gunicorn gives no text with its 500
    body = json.dumps(kind(message).body(), ensure_ascii=False).encode()
    head = (
        f"HTTP/1.1 {status_int} {reason}\r\n"
        "Connection: close\r\n"
        "Content-Type: application/json\r\n"
        + "".join(f"{name}: {value}\r\n" for name, value in SECURITY_HEADERS.items())
        + f"Content-Length: {len(body)}\r\n\r\n"
    ).encode("latin-1")
    util.write_nonblock(sock, head + body)


def install() -> None:
    """Route gunicorn's own error pages through :func:`write_json_error`."""
    util.write_error = write_json_error
