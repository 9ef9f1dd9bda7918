"""gunicorn-level error responses in the API's JSON shape.

gunicorn answers requests it cannot parse (a raw non-ASCII URL from a hand-typed curl, an
over-long request line, malformed headers) itself, before Flask sees them, with an HTML page.
gunicorn.conf.py installs :func:`write_json_error` in its place so that every error a client
can receive from this service is JSON with one of the codes of :mod:`search_service.errors`.
"""

from __future__ import annotations

import json
import socket
import uuid

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
# The longest request line the API must accept: a query of SEARCH_MAX_QUERY_LENGTH characters
# percent-encoded in the worst case (a 4-byte UTF-8 character is 12 bytes as %XX%XX%XX%XX),
# plus room for the method, path, other parameters and protocol.
BYTES_PER_CHARACTER = 12
OTHER_PARAMETERS = 4096
# The largest request header the app accepts (gunicorn's own default).
HEADER_FIELD_LIMIT = 8190
# gunicorn's hard limits are this many times the app's, so that the app itself answers an
# over-long request, as HTML on the page and JSON elsewhere; gunicorn only refuses what is
# far beyond (and never buffers more than that).
GUNICORN_MARGIN = 2


def request_line_limit(max_query_length: int) -> int:
    """The longest request line, in bytes, that a query within the limit can need."""
    return BYTES_PER_CHARACTER * max_query_length + OTHER_PARAMETERS


def gunicorn_request_line_limit(max_query_length: int) -> int:
    """gunicorn's ``limit_request_line`` for the app's limit, with its ceiling raised to fit.

    gunicorn caps ``limit_request_line`` at 8,190 bytes (its ``MAX_REQUEST_LINE``) unless it
    is 0, which lets a client send a request line as long as it likes; raising the cap keeps
    a bound.
    """
    from gunicorn.http import message

    limit = GUNICORN_MARGIN * request_line_limit(max_query_length)
    message.MAX_REQUEST_LINE = max(message.MAX_REQUEST_LINE, limit + 1)
    return limit


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
        f"X-Request-ID: {uuid.uuid4().hex}\r\n"
        + "".join(f"{name}: {value}\r\n" for name, value in SECURITY_HEADERS.items())
        + f"Content-Length: {len(body)}\r\n\r\n"
    ).encode("latin-1")
    util.write_nonblock(sock, head + body)


def install() -> None:
    """Route gunicorn's own error pages through :func:`write_json_error`."""
    util.write_error = write_json_error
