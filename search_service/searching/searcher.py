"""Run a reader's query against one searcher: filters, sort, paging and highlighted snippets.

Returns plain dataclasses; the HTTP layer and the CLI only serialise them.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Self

import numpy as np
from whoosh import query as wq
from whoosh.fields import Schema
from whoosh.searching import Searcher

from ..analysis.memo import query_terms
from ..config import Config
from ..indexing.schema import day_value, group_for, language_groups, text_field
from . import columns, matching, rules, scoring, spelling, stories
from . import facets as facet_counts
from . import query as reader_query
from .snippets import Snippets
from .synonyms import EMPTY, Synonyms
from .synonyms import for_setting as synonyms_for_setting

SORTS = ("relevance", "newest")
# Below this many articles with every word, articles with some of the words follow them.
FILL_BELOW = 100


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
    """An article in a list of results (a search's, related articles'): what a reader needs to
    show it and open it, and its score (None where the order is not by score)."""

    id: str
    title: str
    url: str | None
    lang: str
    category: str
    published: str
    score: float | None

    @classmethod
    def of(cls, fields: dict[str, Any], score: float | None, **more: Any) -> Self:
        """The hit for an article's stored ``fields``."""
        return cls(
            id=fields["id"],
            title=fields.get("title", ""),
            url=fields.get("url") or None,
            lang=fields.get("lang", ""),
            category=fields.get("category", ""),
            published=fields.get("published", ""),
            score=None if score is None else round(score, 4),
            **more,
        )


@dataclass(frozen=True)
class SearchHit(Hit):
    """A search result: the title and a passage of the text with the matches marked."""

    title_html: str
    snippet: str
    pinned: bool = False
    # The other matching copies of this article (ids), and its story's other versions.
    duplicates: tuple[str, ...] = ()
    translations: tuple[dict[str, Any], ...] = ()


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
    results: list[SearchHit] = field(default_factory=list)
    # Articles with every word of the query (== total unless relaxed): a client tells "none has
    # them all" from "these have them all, more below have some" without counting.
    full_matches: int = 0
    partial: bool = False
    did_you_mean: str | None = None
    facets: dict[str, dict[str, int]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """The response as JSON-ready values. Copies one level only (``dataclasses.asdict``
        deep-copies every value: a quarter of a millisecond per response)."""
        return {**vars(self), "results": [dict(vars(hit)) for hit in self.results]}


def settings_options(config: Config) -> dict[str, Any]:
    """The keyword arguments of :func:`search` that come from settings, so the API, the page
    and the CLI search alike."""
    return {
        "snippet_chars": config.snippet_chars,
        "max_terms": config.max_query_terms,
        "time_limit": config.search_time_limit,
        "recency_half_life": config.recency_half_life,
        "synonyms": synonyms_for_setting(config.synonyms_file),
        "rulebook": rules.load(config.index_dir),
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
    rulebook: rules.RuleBook = rules.NONE,
    now: datetime | None = None,
) -> SearchResponse:
    """Rank, filter and page the articles matching ``request.q``.

    Articles with every word come first. When fewer than :data:`FILL_BELOW` have every word
    and the query has several, articles with some of the words follow them and the response
    says ``relaxed`` (sorted by date: only when none has every word). The rule depends on the
    query alone, so every page of it agrees on ``total``. Once ``time_limit`` seconds have
    passed, no further index segment is searched: the matches in those searched so far are
    returned and the response says ``partial``. The editors' rules in ``rulebook`` that match
    the query at ``now`` hide articles from every page and the total, and, sorted by
    relevance, put pinned articles first.
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
    allowed = _allowed(searcher, request)
    pin_ids, hide_ids = rulebook.applying(schema, request.q, request.lang, now or datetime.now(UTC))
    hidden = np.array(rules.docnums(searcher, hide_ids), dtype=np.int64)
    pinned = [] if request.sort == "newest" else _pinnable(searcher, pin_ids, allowed)
    limit = request.page * request.per_page
    boost = None if request.sort == "newest" else scoring.recency_boost(searcher, recency_half_life)
    keys = _newest_first(searcher) if request.sort == "newest" else None
    deadline = time.monotonic() + time_limit if time_limit else None

    terms: dict = {}  # each word's matches, read once for every query of this search

    def run(query: wq.Query) -> tuple[matching.Matches, bool]:
        found, cut = matching.evaluate(searcher, query, allowed, boost, deadline, terms)
        return rules.without(found, hidden), cut

    strict = reader_query.build(clauses, schema, groups, synonyms=synonyms)
    matches, partial = run(strict)
    full, loose_matches = matches, None
    total, relaxed = len(matches), False
    full_matches = total
    few = total == 0 or (total < FILL_BELOW and request.sort == "relevance")
    several_words = sum(not c.excluded for c in clauses) > 1
    # One joined word ("Nagorno-Karabakh"): its parts apart only when no article has it whole.
    several_parts = reader_query.word_count(clauses) > 1 and total == 0
    if ((several_words and few) or several_parts) and not partial:
        # Few articles have every word: follow them with articles that have some of the words.
        # (Sorted by date that would bury the full matches, so only when there are none.)
        loose = reader_query.build(clauses, schema, groups, match_all=False, synonyms=synonyms)
        loose_matches, partial = run(loose)
        relaxed = len(loose_matches) > total
        # a superset of the full matches: facets and spelling count all of it
        matches = loose_matches

    rows = stories.grouping(searcher, by_story=not request.lang)
    ranked = rows.page(_ranking(full, loose_matches, keys), pinned, limit)
    offset = (request.page - 1) * request.per_page
    hits = _hits(
        searcher,
        Snippets(clauses, schema, snippet_chars),
        ranked[offset : offset + request.per_page],
        rows,
        matches,
        pinned,
        set(hidden.tolist()),
        scored=keys is None,
    )
    return SearchResponse(
        query=request.q,
        total=rows.count(matches, pinned),
        page=request.page,
        per_page=request.per_page,
        took_ms=round((time.perf_counter() - started) * 1000, 2),
        relaxed=relaxed,
        truncated=truncated,
        build=build,
        results=hits,
        full_matches=full_matches,
        partial=partial,
        did_you_mean=spelling.did_you_mean(
            searcher,
            request.q,
            clauses,
            groups,
            lambda q: matches.overlaps(matching.evaluate(searcher, q, terms=terms)[0]),
            matching.counter(searcher, terms),
        ),
        facets=facet_counts.counts(searcher, matches),
    )


def _ranking(
    full: matching.Matches, loose: matching.Matches | None, keys: np.ndarray | None
) -> Callable[[int], list[tuple[int, float | None]]]:
    """The best ``n`` of a search: the full matches first, then the rest of the loose ones."""

    def ranking(n: int) -> list[tuple[int, float | None]]:
        ranked = full.top(n, keys)
        if loose is not None:
            seen = {docnum for docnum, _ in ranked}
            ranked += [pair for pair in loose.top(n, keys) if pair[0] not in seen]
        return ranked[:n]

    return ranking


def _hits(
    searcher: Searcher,
    snippets: Snippets,
    page: list[tuple[int, float | None]],
    rows: stories.Grouping,
    matches: matching.Matches,
    pinned: list[int],
    hidden: set[int],
    *,
    scored: bool,
) -> list[SearchHit]:
    """The results of one page: each row's article with its copies and other versions."""
    hits = []
    for docnum, score in page:
        fields = searcher.stored_fields(docnum)
        copies = rows.duplicates(matches, docnum)
        hits.append(
            SearchHit.of(
                fields,
                score if scored else None,
                title_html=snippets.title(fields),
                snippet=snippets.passage(fields),
                pinned=docnum in pinned,
                duplicates=tuple(searcher.stored_fields(other)["id"] for other in copies),
                translations=tuple(stories.translations(searcher, fields, hidden)),
            )
        )
    return hits


def _pinnable(
    searcher: Searcher, ids: tuple[str, ...], allowed: matching.Matches | None
) -> list[int]:
    """The pinned articles that exist and pass the request's filters, in the rule's order."""
    found = rules.docnums(searcher, ids)
    if allowed is None:
        return found
    allowed_set = set(allowed.docnums.tolist())
    return [docnum for docnum in found if docnum in allowed_set]


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
        yield field, list(query_terms(schema, field, clause.text))


def _has_text(searcher: Searcher, group: str) -> bool:
    return bool(searcher.field_length(text_field(group)))


def _newest_first(searcher: Searcher) -> np.ndarray:
    """Sort keys for ``newest`` by document number: the publication time, undated last.

    The date column stores a missing value as its type's maximum, so a plain descending sort
    would put every undated article above the newest dated one.
    """
    published = columns.numbers(searcher, "published_at")
    missing = searcher.schema["published_at"].default
    return np.where(published == missing, -1, published.astype(np.int64))


def _allowed(searcher: Searcher, request: SearchRequest) -> matching.Matches | None:
    """The articles the request's filters allow, or None when it has none."""
    conditions = _filters(request)
    return None if conditions is None else matching.evaluate(searcher, conditions)[0]


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
    return None if value is None else day_value(value)
