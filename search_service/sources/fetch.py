"""A polite HTTP client for the site readers: robots.txt, one request at a time per site with a
delay, a size cap, conditional requests, retries with backoff, and only ``http``/``https``."""

from __future__ import annotations

import logging
import time
import urllib.error
import urllib.request
import urllib.robotparser
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from ..errors import SourceUnavailable

log = logging.getLogger("search_service.sources")

SCHEMES = ("http", "https")
HTML_TYPES = ("text/html", "application/xhtml+xml")


class NotFetched(Exception):
    """A URL that is not fetched for a reason of its own (scheme, robots.txt, size, type)."""


@dataclass(frozen=True)
class Response:
    """One answer: the URL it came from after redirects, its status and what it carried.

    ``status`` is 200, 304 (unchanged since the validators sent) or a 4xx other than 429;
    server errors and timeouts never get here, they raise after the retries.
    """

    url: str
    status: int
    body: bytes = b""
    content_type: str = ""
    etag: str = ""
    last_modified: str = ""

    @property
    def is_html(self) -> bool:
        return self.content_type.split(";")[0].strip().lower() in HTML_TYPES


class _Redirects(urllib.request.HTTPRedirectHandler):
    """Follow redirects, but only to http and https."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        if urlsplit(urljoin(req.full_url, newurl)).scheme not in SCHEMES:
            raise NotFetched(f"redirected to a URL that is not http or https: {newurl}")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


class Fetcher:
    """Fetches for one source; sequential, so one request at a time per site."""

    def __init__(
        self,
        user_agent: str,
        *,
        delay: float = 1.0,
        timeout: float = 20.0,
        max_bytes: int = 5_000_000,
        retries: int = 3,
        backoff: float = 1.0,
    ) -> None:
        self.user_agent = user_agent
        self.delay = delay
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.retries = retries
        self.backoff = backoff
        self._opener = urllib.request.build_opener(_Redirects())
        self._last: dict[str, float] = {}
        self._robots: dict[str, urllib.robotparser.RobotFileParser] = {}

    def get(self, url: str, *, etag: str = "", last_modified: str = "") -> Response:
        """GET ``url`` (conditionally when validators are given), retrying what may pass.

        Raises NotFetched when the URL must not or cannot be fetched, SourceUnavailable when
        the site stayed down, timed out or answered 5xx/429 through every retry.
        """
        if urlsplit(url).scheme not in SCHEMES:
            raise NotFetched(f"only http and https are fetched: {url}")
        if not self.allowed(url):
            raise NotFetched(f"disallowed by robots.txt: {url}")
        headers = {"User-Agent": self.user_agent}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        return self._retrying(url, headers)

    def allowed(self, url: str) -> bool:
        parts = urlsplit(url)
        site = f"{parts.scheme}://{parts.netloc}"
        robots = self._robots.get(site)
        if robots is None:
            robots = urllib.robotparser.RobotFileParser(site + "/robots.txt")
            answer = self._retrying(site + "/robots.txt", {"User-Agent": self.user_agent})
            if answer.status in (401, 403):
                robots.disallow_all = True
            elif answer.status == 200:
                robots.parse(answer.body.decode("utf-8", "replace").splitlines())
            else:
                robots.allow_all = True
            self._robots[site] = robots
        return robots.can_fetch(self.user_agent, url)

    def _retrying(self, url: str, headers: dict[str, str]) -> Response:
        attempt = 0
        while True:
            try:
                return self._once(url, headers)
            except SourceUnavailable as exc:
                if attempt >= self.retries:
                    raise SourceUnavailable(f"{exc} (after {attempt + 1} attempts)") from None
                wait = self.backoff * 2**attempt
                log.warning("%s; retrying in %.1f s", exc, wait)
                time.sleep(wait)
                attempt += 1

    def _once(self, url: str, headers: dict[str, str]) -> Response:
        self._wait_turn(url)
        request = urllib.request.Request(url, headers=headers)
        try:
            with self._opener.open(request, timeout=self.timeout) as answer:
                body = answer.read(self.max_bytes + 1)
                if len(body) > self.max_bytes:
                    raise NotFetched(f"larger than the {self.max_bytes}-byte cap: {url}")
                return Response(
                    answer.geturl(),
                    answer.status,
                    body,
                    answer.headers.get("Content-Type", ""),
                    answer.headers.get("ETag", ""),
                    answer.headers.get("Last-Modified", ""),
                )
        except urllib.error.HTTPError as exc:
            exc.close()
            if exc.code >= 500 or exc.code == 429:
                raise SourceUnavailable(f"{url} answered {exc.code}") from None
            return Response(exc.geturl() or url, exc.code)
        except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
            reason = getattr(exc, "reason", exc)
            raise SourceUnavailable(f"{url} cannot be reached: {reason}") from None
        finally:
            self._last[urlsplit(url).netloc] = time.monotonic()

    def _wait_turn(self, url: str) -> None:
        site = urlsplit(url)
        delay = self.delay
        robots = self._robots.get(f"{site.scheme}://{site.netloc}")
        crawl_delay = robots.crawl_delay(self.user_agent) if robots is not None else None
        if crawl_delay:
            delay = max(delay, float(crawl_delay))
        last = self._last.get(site.netloc)
        if last is not None:
            pause = last + delay - time.monotonic()
            if pause > 0:
                time.sleep(pause)
