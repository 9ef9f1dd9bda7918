"""The exception tree of the service, every error code its HTTP answers carry, and the one
JSON body they all use.

SearchServiceError
├── ConfigError                a SEARCH_* setting cannot be used
├── ArticleError               one input record is invalid (carries file, line, id)
├── SourceUnavailable          a sync source stayed down, timed out or answered 5xx after retries
├── IndexStoreError            the index on disk cannot be used as asked
│   ├── IndexUnavailable       no build is live yet (answered as IndexNotReady)
│   ├── LockTimeout            another writer held the lock too long
│   ├── BuildFailed            a new build failed its checks; the live one is untouched
│   └── ReplicationError       a follower could not copy its leader's build (live one untouched)
└── ApiError                   an HTTP request the service refuses: status and stable code
    ├── BadRequest             400 bad_request: HTTP itself is malformed
    │   ├── BadParameter       400 invalid_parameter
    │   │   └── MissingQuery   400 missing_query
    │   └── InvalidBody        400 invalid_body (admin API)
    │       └── InvalidJson    400 invalid_json (admin API)
    ├── Unauthorized           401 unauthorized (admin and replication API)
    ├── Forbidden              403 forbidden (gunicorn: untrusted proxy line, TLS error)
    ├── NotFound               404 not_found
    │   ├── JobNotFound        404 job_not_found (admin API)
    │   └── RuleNotFound       404 rule_not_found (admin API)
    ├── MethodNotAllowed       405 method_not_allowed
    ├── ReindexRunning         409 conflict (admin API)
    ├── ReindexNotConfigured   409 reindex_not_configured (admin API)
    ├── FollowerReadOnly       409 follower_read_only (admin writes sent to a follower)
    ├── PayloadTooLarge        413 payload_too_large (admin API)
    │   └── BatchTooLarge      413 batch_too_large (admin API)
    ├── QueryTooLong           413 query_too_long
    ├── UriTooLong             414 uri_too_long (gunicorn)
    ├── ExpectationFailed      417 expectation_failed (gunicorn)
    ├── InvalidArticles        422 invalid_articles (admin API; lists each record's reason)
    ├── InvalidRule            422 invalid_rule (admin API; names the field)
    ├── InvalidEvent           422 invalid_event (POST /events/click; names the field)
    ├── TooManyRequests        429 too_many_requests
    ├── HeaderFieldsTooLarge   431 request_header_fields_too_large (gunicorn)
    ├── InternalError          500 internal_error
    ├── IndexNotReady          503 index_unavailable
    └── FollowerLagging        503 follower_lagging (/healthz of a follower past SEARCH_MAX_LAG)

The Flask app turns werkzeug's HTTP errors into these classes
(``web/__init__.py``), and gunicorn's own error pages use them too (``web/server.py``), so a
client never sees a code that is not declared here. docs/errors.md lists them all.
"""

from __future__ import annotations

from typing import Any, ClassVar


class SearchServiceError(Exception):
    """Base of every error this package raises on purpose."""


class ConfigError(SearchServiceError):
    """A setting has a value the service cannot use."""


class ArticleError(SearchServiceError):
    """An input record was rejected; the message names where it came from and why."""

    def __init__(
        self, reason: str, *, source: str = "", line: int | None = None, article_id: str = ""
    ) -> None:
        self.reason = reason
        self.source = source
        self.line = line
        self.article_id = article_id
        super().__init__(str(self))

    def __str__(self) -> str:
        where = self.source or "<input>"
        if self.line is not None:
            where += f":{self.line}"
        if self.article_id:
            where += f" (id {self.article_id!r})"
        return f"{where}: {self.reason}"


class SourceUnavailable(SearchServiceError):
    """A sync source could not be read after its retries; nothing of it was deleted."""


class IndexStoreError(SearchServiceError):
    """The index on disk cannot be used as asked."""


class IndexUnavailable(IndexStoreError):
    """No live build exists (or it cannot be opened)."""


class LockTimeout(IndexStoreError):
    """Another writer kept the write lock longer than the configured timeout."""


class BuildFailed(IndexStoreError):
    """A new build was discarded before it went live."""


class ReplicationError(IndexStoreError):
    """A follower could not copy its leader's build; the build it serves is untouched."""


class ApiError(SearchServiceError):
    """An HTTP request the service refuses, with its status and stable error code.

    Each subclass is one code. ``extra`` are further members of the error body (such as the
    rejected records of :class:`InvalidArticles`).
    """

    status: ClassVar[int]
    code: ClassVar[str]

    def __init__(self, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.message = message
        self.extra = extra

    def body(self) -> dict[str, Any]:
        return error_body(self.code, self.message, **self.extra)


class BadRequest(ApiError):
    """A request HTTP itself cannot make sense of (a malformed request line, header or body)."""

    status = 400
    code = "bad_request"


class BadParameter(BadRequest):
    """A query-string parameter is malformed or out of range."""

    code = "invalid_parameter"


class MissingQuery(BadParameter):
    """``/search`` without a query, or with only blanks (the CLI's ``search ''`` says the same)."""

    code = "missing_query"
    default = "parameter 'q' is required and must not be empty"


class InvalidBody(BadRequest):
    """An admin request body that is empty or not the shape the endpoint takes."""

    code = "invalid_body"


class InvalidJson(InvalidBody):
    """An admin request body that is not JSON."""

    code = "invalid_json"


class Unauthorized(ApiError):
    """An admin request without the right bearer token."""

    status = 401
    code = "unauthorized"


class Forbidden(ApiError):
    """gunicorn refused the connection: a PROXY line from an untrusted address, a TLS error."""

    status = 403
    code = "forbidden"


class NotFound(ApiError):
    """The URL names something that does not exist: no such path, or an unknown article id;
    the whole admin API while it is disabled."""

    status = 404
    code = "not_found"


class JobNotFound(NotFound):
    """No reindex job has this id."""

    code = "job_not_found"


class RuleNotFound(NotFound):
    """No editor's rule has this name."""

    code = "rule_not_found"


class MethodNotAllowed(ApiError):
    """The path exists but not with this HTTP method (the ``Allow`` header lists those)."""

    status = 405
    code = "method_not_allowed"


class ReindexRunning(ApiError):
    """A reindex was asked for while another reindex job still runs."""

    status = 409
    code = "conflict"


class ReindexNotConfigured(ApiError):
    """A reindex was asked for but SEARCH_REINDEX_SOURCE names nothing to read."""

    status = 409
    code = "reindex_not_configured"


class FollowerReadOnly(ApiError):
    """An admin write sent to a follower, which only copies its leader's builds."""

    status = 409
    code = "follower_read_only"


class PayloadTooLarge(ApiError):
    """A request body over its documented limit (SEARCH_ADMIN_MAX_BODY)."""

    status = 413
    code = "payload_too_large"


class BatchTooLarge(PayloadTooLarge):
    """A batch of more articles than SEARCH_ADMIN_MAX_BATCH."""

    code = "batch_too_large"


class QueryTooLong(ApiError):
    """The query text exceeds SEARCH_MAX_QUERY_LENGTH."""

    status = 413
    code = "query_too_long"


class UriTooLong(ApiError):
    """A request line longer than gunicorn reads."""

    status = 414
    code = "uri_too_long"


class ExpectationFailed(ApiError):
    """An ``Expect`` header gunicorn cannot meet."""

    status = 417
    code = "expectation_failed"


class InvalidArticles(ApiError):
    """Every record of an admin write was rejected; ``errors`` gives each one's reason."""

    status = 422
    code = "invalid_articles"


class InvalidRule(ApiError):
    """An editor's rule that cannot be kept; ``field`` names the member at fault."""

    status = 422
    code = "invalid_rule"


class InvalidEvent(ApiError):
    """A click event that is not recorded; ``field`` names the member at fault."""

    status = 422
    code = "invalid_event"


class TooManyRequests(ApiError):
    """Over the per-client rate limit (SEARCH_RATELIMIT); ``Retry-After`` says when to retry."""

    status = 429
    code = "too_many_requests"


class HeaderFieldsTooLarge(ApiError):
    """More or longer request headers than gunicorn reads."""

    status = 431
    code = "request_header_fields_too_large"


class InternalError(ApiError):
    """The service failed to answer; the cause is in its log, never in the response."""

    status = 500
    code = "internal_error"


class IndexNotReady(ApiError):
    """No build is live yet, or it cannot be opened: try again shortly."""

    status = 503
    code = "index_unavailable"

    def __init__(self, message: str, **extra: Any) -> None:
        super().__init__(message, status="unavailable", **extra)


class FollowerLagging(ApiError):
    """A follower further behind its leader than SEARCH_MAX_LAG: its /healthz says so with
    503, so a load balancer drains it until it catches up (it still answers searches)."""

    status = 503
    code = "follower_lagging"


def api_errors() -> list[type[ApiError]]:
    """Every class of :class:`ApiError`, one per error code, in the order of the tree above."""
    found, pending = [], list(ApiError.__subclasses__())
    while pending:
        cls = pending.pop(0)
        found.append(cls)
        pending[:0] = cls.__subclasses__()
    return found


def error_body(code: str, message: str, **extra: Any) -> dict[str, Any]:
    """The JSON shape of every HTTP error: a stable machine code and a human message."""
    return {"error": code, "message": message, **extra}
