"""A follower's HTTP client of the leader's replication endpoints."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import requests

from ..errors import ReplicationError
from .manifest import FORMAT

CHUNK = 1 << 16


class Leader:
    """HTTP client of a leader's replication endpoints.

    ``requests`` rather than ``urllib``: a pooled keep-alive session (one connection for the
    manifest and every file), streamed bodies and precise exception classes.
    """

    def __init__(
        self, url: str, token: str, *, timeout: float = 10.0, rate: int | None = None
    ) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout
        self.rate = rate  # bytes per second, or None for as fast as the network goes
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"

    def manifest(self) -> dict[str, Any]:
        response = self._get("/replication/manifest")
        try:
            found = response.json()
        except ValueError as exc:
            raise ReplicationError(f"the leader's manifest is not JSON: {exc}") from None
        if not isinstance(found, dict) or found.get("format") != FORMAT:
            raise ReplicationError("the leader's manifest has an unknown format")
        return found

    def fetch(self, build: str, name: str, part: Path) -> int:
        """Append the rest of ``name`` to ``part`` (a range request from its current size);
        returns the bytes received."""
        offset = part.stat().st_size if part.exists() else 0
        headers = {"Range": f"bytes={offset}-"} if offset else {}
        response = self._get(f"/replication/builds/{build}/files/{name}", headers, stream=True)
        with response:
            if response.status_code == 200 and offset:
                offset = 0  # the range was not honoured: start over
            received = 0
            started = time.monotonic()
            with open(part, "r+b" if offset else "wb") as handle:
                handle.seek(offset)
                handle.truncate()
                try:
                    for chunk in response.iter_content(CHUNK):
                        handle.write(chunk)
                        received += len(chunk)
                        if self.rate:
                            ahead = received / self.rate - (time.monotonic() - started)
                            if ahead > 0:
                                handle.flush()
                                time.sleep(ahead)
                except requests.RequestException as exc:
                    raise ReplicationError(
                        f"the transfer of {name} broke after {received} bytes: {exc}"
                    ) from exc
                handle.flush()
                os.fsync(handle.fileno())
        return received

    def _get(
        self, path: str, headers: dict[str, str] | None = None, *, stream: bool = False
    ) -> requests.Response:
        try:
            response = self.session.get(
                self.url + path, headers=headers, timeout=self.timeout, stream=stream
            )
        except requests.RequestException as exc:
            raise ReplicationError(f"the leader {self.url} is unreachable: {exc}") from exc
        if response.status_code in (200, 206):
            return response
        response.close()
        if response.status_code == 404 and path.startswith("/replication/builds/"):
            raise FileGone(f"{path.rsplit('/', 1)[-1]} is no longer on the leader")
        reasons = {
            401: "refused the replication token (SEARCH_REPLICATION_TOKEN differs)",
            404: "has no such replication resource (is SEARCH_REPLICATION_TOKEN set there? "
            "or the build moved on)",
            416: "refused the byte range",
            503: "has no live build yet",
        }
        reason = reasons.get(response.status_code, f"answered {response.status_code}")
        raise ReplicationError(f"the leader {self.url} {reason}: GET {path}")


class FileGone(ReplicationError):
    """A file of the manifest was removed on the leader by a newer commit."""
