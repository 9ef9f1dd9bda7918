"""One article out of one news page: trafilatura for the text and metadata, per-site CSS
selectors that override any field, XPaths pruned first, the language, id and story decided by
rule."""

from __future__ import annotations

import hashlib
import re
import warnings
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

from bs4 import BeautifulSoup, XMLParsedAsHTMLWarning

from ..articles import Article, parse_article
from ..errors import ArticleError, ConfigError
from .spec import SourceSpec

FIELDS = ("title", "lead", "body", "author", "category", "tags", "published", "updated", "lang")
EXTRACT_KEYS = {"selectors", "prune", "id_pattern", "lang_from_url"}
_LANG = re.compile(r"^[a-z]{2,3}$")
_DATE_META = (
    ("meta", {"property": "article:published_time"}, "content"),
    ("meta", {"itemprop": "datePublished"}, "content"),
    ("meta", {"name": "date"}, "content"),
    ("time", {"datetime": True}, "datetime"),
)


@dataclass(frozen=True)
class Extraction:
    """How one site's pages are read."""

    selectors: dict[str, str]
    prune: tuple[str, ...] = ()
    id_pattern: re.Pattern[str] | None = None
    lang_from_url: bool = True

    @classmethod
    def from_spec(cls, spec: SourceSpec) -> Extraction:
        selectors = spec.get("selectors", {}, dict)
        for key, value in selectors.items():
            if key not in FIELDS or not isinstance(value, str):
                raise ConfigError(
                    f"source {spec.name!r}: selectors.{key} must be a CSS selector string for "
                    f"one of {', '.join(FIELDS)}"
                )
        prune = spec.get("prune", [], list)
        if not all(isinstance(xpath, str) for xpath in prune):
            raise ConfigError(f"source {spec.name!r}: 'prune' must be a list of XPath strings")
        pattern = spec.get("id_pattern", None, str)
        try:
            compiled = re.compile(pattern) if pattern else None
        except re.error as exc:
            raise ConfigError(f"source {spec.name!r}: 'id_pattern' is not a regex: {exc}") from exc
        return cls(dict(selectors), tuple(prune), compiled, spec.get("lang_from_url", True, bool))

    def article(self, html: bytes | str, url: str, source: str) -> Article:
        """The article of a page fetched from ``url``; ArticleError names the URL and why."""
        try:
            return self._article(html, url)
        except ArticleError as exc:
            raise ArticleError(
                exc.reason, source=f"{source} {url}", article_id=exc.article_id
            ) from None
        except Exception as exc:  # a page the parsers choke on must not stop the pass
            raise ArticleError(
                f"cannot extract the article: {type(exc).__name__}: {exc}", source=f"{source} {url}"
            ) from None

    def _article(self, html: bytes | str, url: str) -> Article:
        import trafilatura  # a second or so to import: only when a site is read

        text = html.decode("utf-8", "replace") if isinstance(html, bytes) else html
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
            soup = BeautifulSoup(text, "lxml")
        canonical = _canonical(soup, url)
        doc = trafilatura.bare_extraction(
            text,
            url=canonical,
            with_metadata=True,
            include_comments=False,
            include_images=False,
            prune_xpath=list(self.prune) or None,
        )
        record: dict[str, Any] = {"id": self._id(canonical), "url": canonical}
        if doc is not None:
            record.update(
                title=doc.title or "",
                body=doc.text or "",
                author=doc.author or "",
                category=(doc.categories or [""])[0] if doc.categories else "",
                tags=list(doc.tags or []),
            )
        record["published"] = _date(soup) or (doc.date if doc is not None else None)
        record["lang"] = self._lang(soup, canonical)
        record["story"] = _story(soup, canonical)
        for name, selector in self.selectors.items():
            record[name] = _select(soup, name, selector)
        lead = record.get("lead") or ""
        if lead and record.get("body", "").startswith(lead):
            record["body"] = record["body"][len(lead) :].lstrip()
        if not record.get("body"):
            raise ArticleError("no article text found on the page", article_id=record["id"])
        article, _ = parse_article(record)
        return article

    def _id(self, canonical: str) -> str:
        if self.id_pattern is None:
            return canonical
        match = self.id_pattern.search(canonical)
        if match is None:
            raise ArticleError(f"id_pattern {self.id_pattern.pattern!r} does not match the URL")
        return "-".join(g for g in match.groups() if g) or match.group(0)

    def _lang(self, soup: BeautifulSoup, url: str) -> str:
        root = soup.find("html")
        declared = (root.get("lang") or "") if root is not None else ""
        code = str(declared).strip().lower().replace("_", "-").split("-")[0]
        if _LANG.match(code):
            return code
        if self.lang_from_url:
            first = urlsplit(url).path.strip("/").split("/")[0].lower()
            if _LANG.match(first):
                return first
        return ""


def _canonical(soup: BeautifulSoup, url: str) -> str:
    link = soup.find("link", rel="canonical", href=True)
    if link is not None:
        target = urljoin(url, str(link["href"]).strip())
        if urlsplit(target).scheme in ("http", "https"):
            return target
    return url


def _story(soup: BeautifulSoup, canonical: str) -> str:
    """The story a page's ``hreflang`` links make it one version of: every version links to
    the same set of pages, so the first address of that set (with the page's own) names it
    on each of them. Empty for a page with no other version."""
    versions = {
        urljoin(canonical, str(link["href"]).strip())
        for link in soup.find_all("link", rel="alternate", hreflang=True, href=True)
        if str(link["hreflang"]).strip().lower() != "x-default"
    }
    versions = {url for url in versions if urlsplit(url).scheme in ("http", "https")}
    if not versions - {canonical}:
        return ""
    first = min(versions | {canonical})
    return "hreflang-" + hashlib.sha256(first.encode()).hexdigest()[:24]


def _date(soup: BeautifulSoup) -> str | None:
    for tag, attrs, attribute in _DATE_META:
        found = soup.find(tag, attrs=attrs)
        if found is not None and found.get(attribute):
            return str(found[attribute]).strip()
    return None


def _select(soup: BeautifulSoup, name: str, selector: str) -> Any:
    found = soup.select(selector)
    if name == "tags":
        return [tag.get_text(" ", strip=True) for tag in found]
    if not found:
        return ""
    if name in ("published", "updated"):
        first = found[0]
        return str(first.get("datetime") or first.get("content") or first.get_text(strip=True))
    if name == "body":
        return "\n".join(part.get_text(" ", strip=True) for part in found)
    return found[0].get_text(" ", strip=True)
