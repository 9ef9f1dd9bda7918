"""The exception tree of the service and the one JSON body every HTTP error uses.

SearchServiceError
├── ConfigError            a SEARCH_* setting cannot be used
├── ArticleError           one input record is invalid (carries file, line, id)
├── IndexStoreError        the index on disk cannot be used as asked
│   ├── IndexUnavailable   no build is live yet (HTTP 503)
│   ├── LockTimeout        another writer held the lock too long
│   ├── BuildFailed        a new build failed its checks; the live one is untouched
│   └── ReplicationError   a follower could not copy its leader's build (live one untouched)
└── ApiError               a request the HTTP API refuses (has status and code)
    ├── BadParameter       400
    ├── QueryTooLong       413
    ├── NotFound           404
    ├── Unauthorized       401 (admin and replication API)
    ├── FollowerReadOnly   409 (admin writes sent to a follower)
    └── PayloadTooLarge    413 (admin API)
"""

from __future__ import annotations

from typing import Any


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


class IndexStoreError(SearchServiceError):
    """The index on disk cannot be used as asked."""


class IndexUnavailable(IndexStoreError):
    """No live build exists (or it cannot be opened)."""


class LockTimeout(IndexStoreError):
    """Another writer kept the write lock longer than the configured timeout."""


class BuildFailed(IndexStoreError):
    """A new build was discarded before it went live."""


class ApiError(SearchServiceError):
    """An HTTP request the API refuses, with its status and stable error code."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, status: int | None = None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status


class BadParameter(ApiError):
    """A query-string parameter is missing, malformed or out of range."""

    status = 400
    code = "invalid_parameter"


class QueryTooLong(ApiError):
    """The query text exceeds the configured maximum length."""

    status = 413
    code = "query_too_long"


class NotFound(ApiError):
    """The URL names something that does not exist (an unknown article id)."""

    status = 404
    code = "not_found"


class Unauthorized(ApiError):
    """An admin request without the right bearer token."""

    status = 401
    code = "unauthorized"


class FollowerReadOnly(ApiError):
    """An admin write sent to a follower, which only copies its leader's builds."""

    status = 409
    code = "follower_read_only"


class ReplicationError(IndexStoreError):
    """A follower could not copy its leader's build; the build it serves is untouched."""


class PayloadTooLarge(ApiError):
    """An admin request body or batch over its documented limit."""

    status = 413
    code = "payload_too_large"


def error_body(code: str, message: str, **extra: Any) -> dict[str, Any]:
    """The JSON shape of every HTTP error: a stable machine code and a human message."""
    return {"error": code, "message": message, **extra}
