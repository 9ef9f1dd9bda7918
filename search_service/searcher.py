"""Run a reader's query against one searcher: filters, sort, paging and highlighted snippets.

Returns plain dataclasses; the HTTP layer and the CLI only serialise them.
"""

from __future__ import annotations

import html
import re
import time
from collections.abc import Callable, Collection, Iterator
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from whoosh import highlight, sorting
from whoosh import query as wq
from whoosh.fields import Schema
from whoosh.searching import Searcher

from . import facets as facet_counts
from . import query as reader_query
from . import recency, scoring, spelling
from .config import Config
from .limits import run_with_deadline
from .schema import FOLD_PREFIX, group_for, language_groups, text_field
from .synonyms import EMPTY, Synonyms
from .synonyms import for_setting as synonyms_for_setting

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
    tags: tuple[str, ...] = ()


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
    partial: bool = False
    did_you_mean: str | None = None
    facets: dict[str, dict[str, int]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def settings_options(config: Config) -> dict[str, Any]:
    """The keyword arguments of :func:`search` that come from settings, so the API, the page
    and the CLI search alike."""
    return {
        "snippet_chars": config.snippet_chars,
        "max_terms": config.max_query_terms,
        "time_limit": config.search_time_limit,
        "recency_half_life": config.recency_half_life,
        "synonyms": synonyms_for_setting(config.synonyms_file),
    }


def search(
    searcher: Searcher,
    request: SearchRequest,
    *,
    build: str = "",
    snippet_chars: int = 200,
    max_terms: int = 32,
    time_limit: float | None = None,
    recency_half_life: float = 0,
    synonyms: Synonyms = EMPTY,
) -> SearchResponse:
    """Rank, filter and page the articles matching ``request.q``.

    Articles with every word come first. When fewer than :data:`FILL_BELOW` have every word
    and the query has several, articles with some of the words follow them and the response
    says ``relaxed`` (sorted by date: only when none has every word). The rule depends on the
    query alone, so every page of it agrees on ``total``. After ``time_limit`` seconds the
    matches collected so far are returned and the response says ``partial``.
    """
    started = time.perf_counter()
    searcher = scoring.searcher_for(searcher)
    schema = searcher.schema
    clauses = reader_query.parse(request.q)
    groups = language_groups(schema)
    if request.lang:
        groups = [group_for(schema, request.lang)]
    # A field set no article uses (often the generic one) cannot match, but would still
    # cost a term look-up per clause, field and segment.
    groups = [group for group in groups if _has_text(searcher, group)]
    truncated = len(clauses) > max_terms
    # bounds the cost of a pasted paragraph
    clauses = reader_query.most_selective(clauses, max_terms, _frequency(searcher, groups))
    options: dict[str, Any] = {
        "limit": request.page * request.per_page,
        "filter": _filters(request),
        **facet_counts.search_options(),
    }
    if request.sort == "newest":
        options.update(sortedby=_newest_first(schema), reverse=True)
    else:
        searcher = recency.searcher_for(searcher, recency_half_life)

    # One pass that scores every match and counts it, so ``total`` is exact. Whoosh's
    # block-quality skipping saves little on these OR-of-fields queries and then needs a
    # second full pass (Results.__len__) to count: measured about twice the time.
    options["optimize"] = False
    strict = reader_query.build(clauses, schema, groups, synonyms=synonyms)
    results, partial = run_with_deadline(searcher, strict, options, time_limit)
    ranked = _ranked(results, request.sort)
    total, relaxed = len(results), False
    several_words = sum(not c.excluded for c in clauses) > 1
    few = total == 0 or (total < FILL_BELOW and request.sort == "relevance")
    if several_words and few and not partial:
        # Few articles have every word: follow them with articles that have some of the words.
        # (Sorted by date that would bury the full matches, so only when there are none.)
        loose = reader_query.build(clauses, schema, groups, match_all=False, synonyms=synonyms)
        more, partial = run_with_deadline(searcher, loose, options, time_limit)
        seen = {hit.docnum for hit, _ in ranked}
        ranked += [
            (hit, score) for hit, score in _ranked(more, request.sort) if hit.docnum not in seen
        ]
        ranked = ranked[: options["limit"]]
        relaxed = len(more) > total
        total = max(total, len(more))
        results = more  # a superset of the full matches: facets and spelling count all of it

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
        partial=partial,
        did_you_mean=spelling.did_you_mean(
            searcher, request.q, clauses, groups, lambda q: _any_match(results, q)
        ),
        facets=facet_counts.counts(results),
    )


def _any_match(results: Any, query: wq.Query) -> bool:
    return not results.docs().isdisjoint(results.searcher.docs_for_query(query))


def _frequency(searcher: Searcher, groups: list[str]) -> Callable[[reader_query.Clause], int]:
    """How many articles contain a clause (a phrase: its rarest word), in the language where
    it is most common."""
    schema = searcher.schema

    def frequency(clause: reader_query.Clause) -> int:
        return max(
            (
                min(searcher.doc_frequency(field, term) for term in terms)
                for field, terms in _analysed(schema, clause, groups)
                if terms
            ),
            default=0,
        )

    return frequency


def _analysed(
    schema: Schema, clause: reader_query.Clause, groups: list[str]
) -> Iterator[tuple[str, list[str]]]:
    for group in groups:
        field = text_field(group)
        yield field, [t.text for t in schema[field].analyzer(clause.text, mode="query")]


def _has_text(searcher: Searcher, group: str) -> bool:
    return bool(searcher.field_length(text_field(group)))


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
    conditions.extend(wq.Term("tag", tag) for tag in request.tags)
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
        self._terms: dict[str, list[tuple[frozenset[str], Any]]] = {}
        self._patterns: dict[frozenset[str], re.Pattern[str]] = {}
        self.formatter = MarkFormatter()
        self.passage = highlight.ContextFragmenter(maxchars=chars, surround=chars // 3)
        self.scorer = highlight.BasicFragmentScorer()

    def hit(self, fields: Any, score: float | None) -> Hit:
        lang = fields.get("lang", "")
        group = group_for(self.schema, lang)
        if group not in self._terms:
            self._terms[group] = self._term_sets(group)
        title = fields.get("title", "")
        return Hit(
            id=fields["id"],
            title=title,
            title_html=self._mark(title, self._terms[group], highlight.WholeFragmenter())
            or html.escape(title, quote=False),
            url=fields.get("url", ""),
            lang=lang,
            category=fields.get("category", ""),
            published=fields.get("published", ""),
            snippet=self._snippet(fields, self._terms[group]),
            score=None if score is None else round(score, 4),
        )

    def _term_sets(self, group: str) -> list[tuple[frozenset[str], Any]]:
        """What to highlight in a group's articles, in turn: the query's terms as the text
        field analyses them, then as the folded field does (so ``Baki`` marks ``Bakı``)."""
        sets = []
        for name in (text_field(group), f"{FOLD_PREFIX}{group}"):
            if name in self.schema:
                terms = reader_query.positive_terms(self.clauses, self.schema, name)
                sets.append((frozenset(terms), self.schema[name].analyzer))
        return sets

    def _snippet(self, fields: Any, term_sets: list[tuple[frozenset[str], Any]]) -> str:
        terms = term_sets[0][0]
        for part in ("body", "lead"):
            text, cut_head, cut_tail = self._window(fields.get(part, ""), terms)
            marked = self._mark(text, term_sets, self.passage)
            if marked:
                if cut_head and not marked.startswith(ELLIPSIS):
                    marked = ELLIPSIS + marked
                if cut_tail and not marked.endswith(ELLIPSIS):
                    marked += ELLIPSIS
                return marked
        text = fields.get("lead") or fields.get("body") or ""
        if len(text) > self.chars:
            text = text[: self.chars].rsplit(" ", 1)[0] + ELLIPSIS
        return html.escape(text, quote=False)

    def _window(self, text: str, terms: Collection[str]) -> tuple[str, bool, bool]:
        """A bounded stretch of ``text`` around its first likely match, and whether it was cut
        at the start and at the end.

        Highlighting analyses every token it is given, so a long body costs milliseconds; the
        passage is at most ``chars`` long anyway. The match is found by looking for a word that
        starts with an analysed term (stems are prefixes of most word forms); when none does,
        the window is the start of the text, and the highlighter falls back as before.
        """
        span = 3 * self.chars
        if len(text) <= span or not terms:
            return text, False, False
        pattern = self._patterns.get(terms)
        if pattern is None:
            alternatives = "|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True))
            pattern = self._patterns[terms] = re.compile(rf"(?<!\w)(?:{alternatives})", re.I)
        found = pattern.search(text)
        start = max(0, found.start() - self.chars) if found else 0
        end = min(len(text), start + span)
        if start:
            space = text.find(" ", start, start + 40)
            start = space + 1 if space >= 0 else start
        if end < len(text):
            space = text.rfind(" ", end - 40, end)
            end = space if space > start else end
        return text[start:end], start > 0, end < len(text)

    def _mark(self, text: str, term_sets: list[tuple[frozenset[str], Any]], fragmenter) -> str:
        """``text`` with the words matching the query marked: a word counts when the text
        field's analysis of it is a query term, or the folded field's is (``Baki`` marks
        ``Bakı``, next to ``yol`` marking ``yollar``). Whoosh's ``highlight`` with a matcher
        that knows both analyses."""
        if not text or not any(terms for terms, _ in term_sets):
            return ""
        (terms, analyzer), *folded = term_sets
        starts = {
            token.startchar
            for other_terms, other in folded
            for token in other(text, chars=True, mode="query", removestops=False)
            if token.text in other_terms
        }

        def matched(tokens: Iterator[Any]) -> Iterator[Any]:
            for token in tokens:
                token.matched = token.text in terms or token.startchar in starts
                yield token

        tokens = matched(analyzer(text, chars=True, mode="query", removestops=False))
        fragments = fragmenter.fragment_tokens(text, tokens)
        best = highlight.top_fragments(fragments, 1, self.scorer, highlight.FIRST)
        return self.formatter(text, best)
