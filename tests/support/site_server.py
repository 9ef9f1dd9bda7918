"""A small news site on 127.0.0.1 for the site-reader tests and bench/extraction.py.

It serves ``tests/site`` (or a copy a test may edit) with ETag and Last-Modified, answers
conditional requests with 304, and has the pages a crawler meets in the wild: one that 410s,
one that 500s, a redirect, one that answers too slowly and a PDF. ``{{SITE}}`` in the files
becomes the server's own base URL.
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
import time
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

SITE = Path(__file__).resolve().parent.parent / "site"
TYPES = {
    ".html": "text/html; charset=utf-8",
    ".xml": "application/xml",
    ".txt": "text/plain",
    ".pdf": "application/pdf",
}
GONE = "/en/news/410-withdrawn.html"
BROKEN = "/en/news/500-broken.html"
SLOW = "/en/news/slow.html"
MOVED = {"/en/news/old-ferry-link.html": "/en/news/102-ferry-line-caspian-ports.html"}


class SiteServer:
    """The site in a thread; ``requests`` logs (path, status, user agent) of every answer."""

    def __init__(self, root: Path = SITE, slow_seconds: float = 3.0) -> None:
        self.root = Path(root)
        self.slow_seconds = slow_seconds
        self.down = False  # every request answers 503, as a site being deployed
        self.requests: list[tuple[str, int, str]] = []
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.httpd.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> SiteServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=10)

    def fetched(self, path: str, status: int | None = None) -> int:
        """How many times ``path`` was answered (with ``status``, if given)."""
        return sum(1 for p, s, _ in self.requests if p == path and status in (None, s))


def _handler(site: SiteServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            path = self.path.split("?")[0]
            if site.down:
                return self._answer(path, 503, b"down for maintenance", "text/plain")
            if path == GONE:
                return self._answer(path, 410, b"gone", "text/plain")
            if path == BROKEN:
                return self._answer(path, 500, b"internal error", "text/plain")
            if path in MOVED:
                self.requests_log(path, 301)
                self.send_response(301)
                self.send_header("Location", MOVED[path])
                self.send_header("Content-Length", "0")
                self.end_headers()
                return None
            if path == SLOW:
                time.sleep(site.slow_seconds)
                return self._answer(
                    path, 200, b"<html><body><p>late</p></body></html>", TYPES[".html"]
                )
            file = (site.root / path.lstrip("/")).resolve()
            if site.root.resolve() not in file.parents or not file.is_file():
                return self._answer(path, 404, b"not found", "text/plain")
            body = file.read_bytes()
            if file.suffix in (".html", ".xml"):
                body = body.replace(b"{{SITE}}", site.base.encode())
            etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
            modified = formatdate(file.stat().st_mtime, usegmt=True)
            if self.headers.get("If-None-Match") == etag:
                return self._answer(path, 304, b"", None, etag=etag)
            content_type = TYPES.get(file.suffix, "application/octet-stream")
            return self._answer(path, 200, body, content_type, etag=etag, modified=modified)

        def requests_log(self, path: str, status: int) -> None:
            site.requests.append((path, status, self.headers.get("User-Agent", "")))

        def _answer(
            self,
            path: str,
            status: int,
            body: bytes,
            content_type: str | None,
            etag: str = "",
            modified: str = "",
        ) -> None:
            self.requests_log(path, status)
            self.send_response(status)
            if content_type:
                self.send_header("Content-Type", content_type)
            if etag:
                self.send_header("ETag", etag)
            if modified:
                self.send_header("Last-Modified", modified)
            self.send_header("Content-Length", str(len(body)) if status != 304 else "0")
            self.end_headers()
            if status != 304:
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(body)

    return Handler
