"""The site itself as a source: a sitemap (or sitemap index) or an RSS/Atom feed lists the
pages; each changed page is fetched politely and its article extracted.

A page is fetched again only when its ``lastmod`` changed (or the listing gives none), and
then conditionally (ETag / Last-Modified), so an unchanged page costs a 304 at most. A page
answering 404 or 410 is removed; one that cannot be fetched is reported and kept. Pages that
drop out of the listing are kept unless a full pass finds them answering 404 or 410: news
sitemaps and feeds list only recent articles.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from xml.etree import ElementTree

from ..errors import ArticleError, ConfigError, SourceUnavailable
from .batch import Batch, log
from .extract import EXTRACT_KEYS, Extraction
from .fetch import Fetcher, NotFetched, Response
from .spec import SourceSpec

FETCH_KEYS = {"url", "delay", "timeout", "max_bytes", "include", "exclude", "batch"}
# This many pages failing one after another means the site is down: stop the pass.
DOWN_AFTER = 5
_SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


class SiteReader:
    """What sitemap and feed sources share: the page list is all that differs."""

    def __init__(self, spec: SourceSpec, user_agent: str) -> None:
        spec.check_keys(FETCH_KEYS | EXTRACT_KEYS)
        self.spec = spec
        self.url = spec.get("url", None, str)
        if not self.url:
            raise ConfigError(f"source {spec.name!r}: 'url' is required for kind {spec.kind}")
        self.extraction = Extraction.from_spec(spec)
        self.fetcher = Fetcher(
            user_agent,
            delay=float(spec.get("delay", 1.0, (int, float))),
            timeout=float(spec.get("timeout", 20, (int, float))),
            max_bytes=spec.get("max_bytes", 5_000_000, int),
            retries=spec.retries,
            backoff=spec.backoff,
        )
        self.include = [_regex(spec, p) for p in spec.get("include", [], list)]
        self.exclude = [_regex(spec, p) for p in spec.get("exclude", [], list)]
        self.batch_size = spec.get("batch", 50, int)

    def entries(self, position: dict[str, Any]) -> list[tuple[str, str]]:
        """The listed pages, as (URL, lastmod or '')."""
        raise NotImplementedError

    def batches(self, position: dict[str, Any] | None, full: bool) -> Iterator[Batch]:
        position = dict(position or {})
        pages: dict[str, dict[str, str]] = dict(position.get("pages", {}))
        entries = [(u, m) for u, m in self.entries(position) if self._wanted(u)]
        failures = fetched = 0
        batch = Batch(position, total=len(entries))
        for number, (url, lastmod) in enumerate(entries, start=1):
            batch.read += 1
            known = pages.get(url, {})
            if known.get("id") and not full and lastmod and known.get("lastmod") == lastmod:
                batch.seen.add(known["id"])
            else:
                fetched += 1
                failures = self._visit(url, lastmod, known, pages, batch, failures)
            # A batch is `batch` pages fetched, so a pass over an unchanged sitemap saves
            # its position once, not once per few entries.
            if fetched >= self.batch_size or number == len(entries):
                position = {**position, "pages": dict(pages)}
                batch.position = position
                yield batch
                batch, fetched = Batch(position, total=len(entries)), 0

    def _visit(
        self,
        url: str,
        lastmod: str,
        known: dict[str, str],
        pages: dict[str, dict[str, str]],
        batch: Batch,
        failures: int,
    ) -> int:
        """Fetch one listed page into ``batch``; returns the count of failures in a row."""
        try:
            answer = self.fetcher.get(
                url, etag=known.get("etag", ""), last_modified=known.get("modified", "")
            )
        except NotFetched as exc:
            log.info("source %s: skipped %s", self.spec.name, exc)
            return failures
        except SourceUnavailable as exc:
            if failures + 1 >= DOWN_AFTER:
                raise SourceUnavailable(
                    f"{failures + 1} pages in a row could not be fetched; last: {exc}"
                ) from None
            batch.errors.append(str(exc))
            return failures + 1
        self._take(url, lastmod, answer, known, pages, batch)
        return 0

    def _take(
        self,
        url: str,
        lastmod: str,
        answer: Response,
        known: dict[str, str],
        pages: dict[str, dict[str, str]],
        batch: Batch,
    ) -> None:
        if answer.status == 304 and known.get("id"):
            batch.seen.add(known["id"])
            pages[url] = {**known, "lastmod": lastmod}
        elif answer.status in (404, 410):
            if known.get("id"):
                batch.deleted.append(known["id"])
            pages.pop(url, None)
        elif answer.status != 200:
            batch.rejected.append(ArticleError(f"answered {answer.status}", source=url))
        elif not answer.is_html:
            log.info(
                "source %s: skipped %s: not HTML (%s)",
                self.spec.name,
                url,
                answer.content_type or "no Content-Type",
            )
        else:
            try:
                article = self.extraction.article(answer.body, answer.url, self.spec.name)
            except ArticleError as exc:
                batch.rejected.append(exc)
                return
            batch.articles.append(article)
            batch.seen.add(article.id)
            pages[url] = {
                "id": article.id,
                "lastmod": lastmod,
                "etag": answer.etag,
                "modified": answer.last_modified,
            }

    def gone(self, ids: set[str], position: dict[str, Any]) -> set[str]:
        """Owned ids whose page now answers 404 or 410 (fetched without validators)."""
        found: set[str] = set()
        for url, known in position.get("pages", {}).items():
            if known.get("id") in ids:
                try:
                    if self.fetcher.get(url).status in (404, 410):
                        found.add(known["id"])
                except (NotFetched, SourceUnavailable) as exc:
                    log.warning("source %s: kept %s: %s", self.spec.name, known["id"], exc)
        return found

    def watermark(self, position: dict[str, Any]) -> dict[str, Any]:
        pages = position.get("pages", {})
        stamps = [page.get("lastmod", "") for page in pages.values() if page.get("lastmod")]
        return {"pages": len(pages), "newest_lastmod": max(stamps, default=None)}

    def _wanted(self, url: str) -> bool:
        if self.include and not any(p.search(url) for p in self.include):
            return False
        return not any(p.search(url) for p in self.exclude)

    def _listing(self, url: str) -> bytes:
        answer = self.fetcher.get(url)
        if answer.status != 200:
            raise SourceUnavailable(f"{url} answered {answer.status}")
        return answer.body


class SitemapReader(SiteReader):
    """A sitemap or a sitemap index (followed one level down, as search engines do)."""

    def entries(self, position: dict[str, Any]) -> list[tuple[str, str]]:
        try:
            root = ElementTree.fromstring(self._listing(self.url))
        except ElementTree.ParseError as exc:
            raise SourceUnavailable(f"{self.url} is not a sitemap: {exc}") from None
        except NotFetched as exc:
            raise SourceUnavailable(str(exc)) from None
        if root.tag == f"{_SITEMAP}sitemapindex":
            found: list[tuple[str, str]] = []
            for child in root.iter(f"{_SITEMAP}loc"):
                try:
                    found.extend(_urls(ElementTree.fromstring(self._listing(_text(child)))))
                except (ElementTree.ParseError, NotFetched) as exc:
                    raise SourceUnavailable(f"{_text(child)} is not a sitemap: {exc}") from None
            return found
        return _urls(root)


class FeedReader(SiteReader):
    """An RSS or Atom feed: the quick way to notice new articles between sitemap passes."""

    def entries(self, position: dict[str, Any]) -> list[tuple[str, str]]:
        import feedparser

        try:
            parsed = feedparser.parse(self._listing(self.url))
        except NotFetched as exc:
            raise SourceUnavailable(str(exc)) from None
        if parsed.bozo and not parsed.entries:
            raise SourceUnavailable(f"{self.url} is not a feed: {parsed.bozo_exception}")
        return [
            (entry.link, entry.get("published") or entry.get("updated") or "")
            for entry in parsed.entries
            if entry.get("link")
        ]


def _urls(root: ElementTree.Element) -> list[tuple[str, str]]:
    found = []
    for item in root.iter(f"{_SITEMAP}url"):
        loc, lastmod = item.find(f"{_SITEMAP}loc"), item.find(f"{_SITEMAP}lastmod")
        if loc is not None and _text(loc):
            found.append((_text(loc), _text(lastmod) if lastmod is not None else ""))
    return found


def _text(element: ElementTree.Element) -> str:
    return (element.text or "").strip()


def _regex(spec: SourceSpec, pattern: Any) -> re.Pattern[str]:
    try:
        return re.compile(str(pattern))
    except re.error as exc:
        raise ConfigError(f"source {spec.name!r}: include/exclude {pattern!r}: {exc}") from exc
