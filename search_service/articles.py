"""The article record (the JSON Lines contract) and its validation.

Validation is strict about types and lenient about form: optional fields may be absent or
null, strings are trimmed and NFC-normalised, HTML bodies are reduced to text. Anything that
would make an article unsearchable or ambiguous is an :class:`ArticleError`.
"""

from __future__ import annotations

import html
import re
import unicodedata
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlsplit

from bs4 import BeautifulSoup, MarkupResemblesLocatorWarning

from .errors import ArticleError

FIELDS = (
    "id",
    "title",
    "lead",
    "body",
    "lang",
    "url",
    "category",
    "tags",
    "author",
    "published",
    "updated",
    "story",
)
TEXT_FIELDS = ("title", "lead", "body", "url", "category", "author")
MAX_ID_LENGTH = 200
# An id as validation leaves it (what a reference to an article, such as a click or an
# editor's pin, must look like to name one): no blanks at its ends, no control characters.
ID_FORM = re.compile(
    rf"^[^\s\x00-\x1f\x7f](?:[^\x00-\x1f\x7f]{{0,{MAX_ID_LENGTH - 2}}}[^\s\x00-\x1f\x7f])?$"
)
URL_SCHEMES = ("http", "https")

_LANG_CODE = re.compile(r"^[a-z]{2,3}$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# A body is HTML when it uses ordinary content markup; a plain-text article that merely
# quotes "<script>" (say, in a story about a security flaw) must keep that text.
_LOOKS_LIKE_HTML = re.compile(
    r"</?(?:p|div|br|span|a|b|i|u|em|strong|ul|ol|li|h[1-6]|blockquote|table|tr|td|img|"
    r"figure|figcaption|section|article|pre|code|hr|sup|sub)(?:\s[^>]*)?/?>",
    re.IGNORECASE,
)
_BLOCK_TAGS = (
    "p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6",
    "blockquote", "pre", "table", "tr", "section", "article", "header", "footer", "figure",
)  # fmt: skip
_SPACES = re.compile(r"[ \t\u00a0]+")
# A character reference as CMSs store them in titles (``&amp;``, ``&#8212;``, ``&laquo;``):
# only the complete form with its ``;``, so "AT&T" or "R&D;" in plain text stays as written.
_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")


@dataclass(frozen=True)
class Article:
    """One validated article, ready for the indexer."""

    id: str
    title: str = ""
    lead: str = ""
    body: str = ""
    lang: str = ""
    url: str = ""
    category: str = ""
    tags: tuple[str, ...] = ()
    author: str = ""
    published: datetime | None = None
    published_text: str = ""
    updated: datetime | None = None
    updated_text: str = ""
    # Shared by the versions of one story in different languages (a CMS's translation group).
    story: str = ""
    lang_detected: bool = field(default=False, compare=False)


def parse_article(record: Any) -> tuple[Article, set[str]]:
    """Validate one decoded JSON value; returns the article and the unknown field names.

    Raises :class:`ArticleError` (without location; the reader adds it) when invalid.
    """
    if not isinstance(record, Mapping):
        raise ArticleError(f"expected a JSON object, got {_json_type(record)}")
    raw_id = record.get("id")
    if raw_id is None:
        raise ArticleError("missing required field 'id'")
    if not isinstance(raw_id, str):
        raise ArticleError(f"field 'id' must be a string, got {_json_type(raw_id)}")
    article_id = _clean(raw_id)
    if not article_id:
        raise ArticleError("field 'id' is empty")
    if len(article_id) > MAX_ID_LENGTH:
        raise ArticleError(f"field 'id' is longer than {MAX_ID_LENGTH} characters")
    try:
        return _parse_fields(record, article_id), set(record) - set(FIELDS)
    except ArticleError as exc:
        raise ArticleError(exc.reason, article_id=article_id) from None


def _parse_fields(record: Mapping[str, Any], article_id: str) -> Article:
    text = {name: _string(record, name) for name in TEXT_FIELDS}
    if _LOOKS_LIKE_HTML.search(text["body"]):
        text["body"] = html_to_text(text["body"])
    for name in TEXT_FIELDS:
        if name != "body":  # a body is HTML (decoded with its markup) or text as written
            text[name] = _decoded(text[name])
    if not text["title"] and not text["body"]:
        raise ArticleError("needs a non-empty 'title' or 'body'")
    written_lang = _string(record, "lang")
    lang = written_lang.lower()
    if lang and not _LANG_CODE.match(lang):
        raise ArticleError(
            f"field 'lang' must be an ISO 639-1 code such as 'en', got {written_lang!r}"
        )
    _check_url(text["url"])
    story = _string(record, "story")
    if len(story) > MAX_ID_LENGTH:
        raise ArticleError(f"field 'story' is longer than {MAX_ID_LENGTH} characters")
    published, published_text = _timestamp(record, "published")
    updated, updated_text = _timestamp(record, "updated")
    return Article(
        id=article_id,
        lang=lang,
        tags=_tags(record),
        published=published,
        published_text=published_text,
        updated=updated,
        updated_text=updated_text,
        story=story,
        **text,
    )


def _check_url(url: str) -> None:
    """An article URL becomes a link on the page and in clients: only ``http(s)://host...`` or a
    site-relative path (``/en/story``) may be one; ``javascript:``, ``data:`` and the like
    would run or show something else when clicked."""
    if not url or (url.startswith("/") and not url.startswith(("//", "/\\"))):
        return
    parts = urlsplit(url)
    if parts.scheme.lower() not in URL_SCHEMES or not parts.netloc:
        raise ArticleError(
            f"field 'url' must be an http(s) URL or a site-relative path starting with '/', "
            f"got {url[:100]!r}"
        )


def html_to_text(markup: str) -> str:
    """Reduce an HTML fragment to readable text, one line per block element."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
        soup = BeautifulSoup(markup, "html.parser")
    for hidden in soup(["script", "style", "noscript", "template"]):
        hidden.decompose()
    for block in soup.find_all(_BLOCK_TAGS):
        block.insert_before("\n")
        block.insert_after("\n")
    lines = (_SPACES.sub(" ", line).strip() for line in soup.get_text().splitlines())
    return "\n".join(line for line in lines if line)


def _decoded(value: str) -> str:
    """A field with its HTML character references turned into the characters they name (a
    no-break space into a space), so ``&amp;`` is shown as ``&`` and ``nbsp`` is no word."""
    if "&" not in value:
        return value
    decoded = _ENTITY.sub(lambda match: html.unescape(match.group(0)), value)
    return _clean(decoded.replace("\u00a0", " "))


def _clean(value: str) -> str:
    return _CONTROL.sub(" ", unicodedata.normalize("NFC", value)).strip()


def clean_text(value: str) -> str:
    """A text field as the index stores it: NFC, control characters blanked, trimmed."""
    return _clean(value)


def _string(record: Mapping[str, Any], name: str) -> str:
    value = record.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ArticleError(f"field {name!r} must be a string, got {_json_type(value)}")
    return _clean(value)


def _tags(record: Mapping[str, Any]) -> tuple[str, ...]:
    value = record.get("tags")
    if value is None:
        return ()
    if not isinstance(value, list):
        raise ArticleError(f"field 'tags' must be a list of strings, got {_json_type(value)}")
    for number, tag in enumerate(value, start=1):
        if not isinstance(tag, str):
            raise ArticleError(
                f"field 'tags' must be a list of strings; item {number} is {_json_type(tag)}"
            )
    return tuple(dict.fromkeys(tag for tag in (_decoded(_clean(t)) for t in value) if tag))


def _timestamp(record: Mapping[str, Any], name: str) -> tuple[datetime | None, str]:
    """Parse an ISO 8601 date or date-time; aware values become naive UTC for sorting."""
    text = _string(record, name)
    if not text:
        return None, ""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ArticleError(
            f"field {name!r} is not an ISO 8601 date or date-time: {text!r}"
        ) from None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment, text


def local_date(article: Article) -> date | None:
    """The calendar date the article carries as written (before any time-zone shift)."""
    if not article.published_text:
        return None
    return datetime.fromisoformat(article.published_text).date()


def _json_type(value: Any) -> str:
    names = {bool: "a boolean", int: "a number", float: "a number", str: "a string"}
    if value is None:
        return "null"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, Mapping):
        return "an object"
    return names.get(type(value), type(value).__name__)
