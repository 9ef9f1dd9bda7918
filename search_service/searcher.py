"""Run a reader's query against one searcher: filters, sort, paging and highlighted snippets.

Returns plain dataclasses; the HTTP layer and the CLI only serialise them.
"""

from __future__ import annotations

import html
import re
import time
from collections.abc import Collection
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from whoosh import highlight, sorting
from whoosh import query as wq
from whoosh.fields import Schema
from whoosh.searching import Searcher

from . import query as reader_query
from .schema import group_for, language_groups
from .synonyms import EMPTY, Synonyms

SORTS = ("relevance", "newest")
# Below this many articles with every word, articles with some of the words follow them.
FILL_BELOW = 100
_WHITESPACE = re.compile(r"\s+")
ELLIPSIS = "…"


@dataclass(frozen=True)
class SearchRequest:
    """A validated search: the view and the CLI build one, :func:`search` runs it."""

    q: str
    lang: str | None = None
    page: int = 1
    per_page: int = 10
    category: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    sort: str = "relevance"


@dataclass(frozen=True)
class Hit:
    id: str
    title: str
    title_html: str
    url: str
    lang: str
    category: str
    published: str
    snippet: str
    score: float | None


@dataclass
class SearchResponse:
    query: str
    total: int
    page: int
    per_page: int
    took_ms: float
    relaxed: bool
    truncated: bool
    build: str
    results: list[Hit] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def search(
    searcher: Searcher,
    request: SearchRequest,
    *,
    build: str = "",
    snippet_chars: int = 200,
    max_terms: int = 32,
    synonyms: Synonyms = EMPTY,
) -> SearchResponse:
    """Rank, filter and page the articles matching ``request.q``.

    Articles with every word come first. When fewer than :data:`FILL_BELOW` have every word
    and the query has several, articles with some of the words follow them and the response
    says ``relaxed`` (sorted by date: only when none has every word). The rule depends on the
    query alone, so every page of it agrees on ``total``.
    """
    started = time.perf_counter()
    schema = searcher.schema
    clauses = reader_query.parse(request.q)
    truncated = len(clauses) > max_terms
    clauses = clauses[:max_terms]  # bounds the cost of a pasted paragraph
    groups = language_groups(schema)
    if request.lang:
        groups = [group_for(schema, request.lang)]
    options: dict[str, Any] = {
        "limit": request.page * request.per_page,
        "filter": _filters(request),
    }
    if request.sort == "newest":
        options.update(sortedby=_newest_first(schema), reverse=True)

    strict = reader_query.build(clauses, schema, groups, synonyms=synonyms)
    results = searcher.search(strict, **options)
    ranked = _ranked(results, request.sort)
    total, relaxed = len(results), False
    several_words = sum(not c.excluded for c in clauses) > 1
    if several_words and (total == 0 or (total < FILL_BELOW and request.sort == "relevance")):
        # Few articles have every word: follow them with articles that have some of the words.
        # (Sorted by date that would bury the full matches, so only when there are none.)
        loose = reader_query.build(clauses, schema, groups, match_all=False, synonyms=synonyms)
        more = searcher.search(loose, **options)
        seen = {hit.docnum for hit, _ in ranked}
        ranked += [
            (hit, score) for hit, score in _ranked(more, request.sort) if hit.docnum not in seen
        ]
        ranked = ranked[: options["limit"]]
        relaxed = len(more) > total
        total = max(total, len(more))

    offset = (request.page - 1) * request.per_page
    snippets = _Snippets(clauses, schema, snippet_chars)
    hits = [snippets.hit(hit, score) for hit, score in ranked[offset : offset + request.per_page]]
    return SearchResponse(
        query=request.q,
        total=total,
        page=request.page,
        per_page=request.per_page,
        took_ms=round((time.perf_counter() - started) * 1000, 2),
        relaxed=relaxed,
        truncated=truncated,
        build=build,
        results=hits,
    )


def _ranked(results: Any, sort: str) -> list[tuple[Any, float | None]]:
    relevance = sort == "relevance"
    return [
        (results[i], results.score(i) if relevance else None)
        for i in range(results.scored_length())
    ]


def _newest_first(schema: Schema) -> sorting.FacetType:
    """Sort key for ``newest``: the publication time, with undated articles last.

    The date column stores a missing value as its type's maximum, so a plain descending sort
    would put every undated article above the newest dated one.
    """
    missing = schema["published_at"].default
    return sorting.TranslateFacet(
        lambda moment: -1 if moment == missing else moment, sorting.FieldFacet("published_at")
    )


def _filters(request: SearchRequest) -> wq.Query | None:
    conditions: list[wq.Query] = []
    if request.lang:
        conditions.append(wq.Term("lang", request.lang))
    if request.category:
        conditions.append(wq.Term("category", request.category))
    if request.date_from or request.date_to:
        conditions.append(
            wq.NumericRange("published_day", _day(request.date_from), _day(request.date_to))
        )
    if not conditions:
        return None
    return conditions[0] if len(conditions) == 1 else wq.And(conditions)


def _day(value: date | None) -> int | None:
    return None if value is None else value.year * 10000 + value.month * 100 + value.day


class MarkFormatter(highlight.Formatter):
    """Wraps matches in <mark> and HTML-escapes everything else, so article text can never
    inject markup; marks cut passages with an ellipsis."""

    between = f" {ELLIPSIS} "

    def _text(self, text: str) -> str:
        return html.escape(_WHITESPACE.sub(" ", text), quote=False)

    def format_token(self, text: str, token: Any, replace: bool = False) -> str:
        return f"<mark>{self._text(highlight.get_text(text, token, replace))}</mark>"

    def format_fragment(self, fragment: Any, replace: bool = False) -> str:
        text = fragment.text
        inner = super().format_fragment(fragment, replace).strip()
        head, tail = text[: fragment.startchar], text[fragment.endchar :]
        before = ELLIPSIS if _has_words(head) else ""
        after = ELLIPSIS if _has_words(tail) else self._text(tail.rstrip())
        return f"{before}{inner}{after}"


def _has_words(text: str) -> bool:
    return any(char.isalnum() for char in text)


class _Snippets:
    """Builds the highlighted parts of each hit, analysing the query once per language."""

    def __init__(self, clauses: list[reader_query.Clause], schema: Any, chars: int) -> None:
        self.clauses, self.schema, self.chars = clauses, schema, chars
        self._terms: dict[str, frozenset[str]] = {}
        self.formatter = MarkFormatter()
        self.passage = highlight.ContextFragmenter(maxchars=chars, surround=chars // 3)

    def hit(self, fields: Any, score: float | None) -> Hit:
        lang = fields.get("lang", "")
        group = group_for(self.schema, lang)
        if group not in self._terms:
            self._terms[group] = frozenset(
                reader_query.positive_terms(self.clauses, self.schema, group)
            )
        terms = self._terms[group]
        analyzer = self.schema[f"body_{group}"].analyzer
        title = fields.get("title", "")
        return Hit(
            id=fields["id"],
            title=title,
            title_html=self._mark(title, terms, analyzer, highlight.WholeFragmenter())
            or html.escape(title, quote=False),
            url=fields.get("url", ""),
            lang=lang,
            category=fields.get("category", ""),
            published=fields.get("published", ""),
            snippet=self._snippet(fields, terms, analyzer),
            score=None if score is None else round(score, 4),
        )

    def _snippet(self, fields: Any, terms: Collection[str], analyzer: Any) -> str:
        for part in ("body", "lead"):
            marked = self._mark(fields.get(part, ""), terms, analyzer, self.passage)
            if marked:
                return marked
        text = fields.get("lead") or fields.get("body") or ""
        if len(text) > self.chars:
            text = text[: self.chars].rsplit(" ", 1)[0] + ELLIPSIS
        return html.escape(text, quote=False)

    def _mark(self, text: str, terms: Collection[str], analyzer: Any, fragmenter: Any) -> str:
        if not text or not terms:
            return ""
        return highlight.highlight(text, terms, analyzer, fragmenter, self.formatter, top=1)
