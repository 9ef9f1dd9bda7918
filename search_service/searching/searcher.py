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
from whoosh.fields import Schema
from whoosh.searching import Searcher

from ..analysis.memo import query_terms
from ..config import Config
from ..indexing.schema import group_for, language_groups, text_field
from . import columns, headline, matching, rules, scoring, spelling, stories
from . import facets as facet_counts
from . import filters as request_filters
from . import partial as partial_matches
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

    When fewer than :data:`FILL_BELOW` articles have every word of several, sorted by
    relevance, articles with some of the words compete with them, each paying for the words
    it lacks (:mod:`.partial`), and the others with some of the words follow (sorted by date:
    only when none has every word); the response then says ``relaxed``. Beyond that many the
    full matches alone are ranked: weighing every article with some of the words is a
    quarter more time at the 95th percentile, for no measured gain (bench/RESULTS.md). The
    rule depends on the query alone, so every page of it agrees on ``total``. Once
    ``time_limit`` seconds have passed, no further index segment is searched: the matches in
    those searched so far are returned and the response says ``partial``. Sorted by
    relevance, an article whose title holds every word gains a share of its score
    (:mod:`.headline`). The editors' rules in ``rulebook`` that match the query at ``now``
    hide articles from every page and the total, and, sorted by relevance, put pinned
    articles first. Copies of an article, and without a language filter the versions of a
    story, share a row (:mod:`.stories`): ``total`` counts rows.
    """
    started = time.perf_counter()
    searcher = scoring.searcher_for(searcher)
    plan = _plan(searcher, request, max_terms, time_limit, recency_half_life, synonyms)
    pin, hide = rulebook.applying(
        searcher.schema, request.q, request.lang, now or datetime.now(UTC)
    )
    plan.pinned, plan.hidden = rules.resolve(
        searcher, pin, hide, plan.allowed, pins=request.sort != "newest"
    )
    found = _rank(plan, request)
    rows = stories.grouping(searcher, by_story=not request.lang)
    ranked = rows.page(
        stories.ranking(found.matches_all, found.matches_some, plan.keys), plan.pinned, plan.limit
    )
    offset = (request.page - 1) * request.per_page
    hits = _hits(
        searcher,
        Snippets(plan.clauses, searcher.schema, snippet_chars),
        ranked[offset : offset + request.per_page],
        rows,
        found.matches,
        plan,
    )
    return SearchResponse(
        query=request.q,
        total=rows.count(found.matches, plan.pinned),
        page=request.page,
        per_page=request.per_page,
        took_ms=round((time.perf_counter() - started) * 1000, 2),
        relaxed=found.relaxed,
        truncated=plan.truncated,
        build=build,
        results=hits,
        full_matches=found.full_matches,
        partial=found.partial,
        did_you_mean=spelling.did_you_mean(
            searcher,
            request.q,
            plan.clauses,
            plan.groups,
            lambda q: found.matches.overlaps(matching.evaluate(searcher, q, terms=plan.terms)[0]),
            matching.counter(searcher, plan.terms),
        ),
        facets=facet_counts.counts(searcher, found.matches),
    )


@dataclass
class _Plan:
    """A search worked out before any matching: its clauses, where they are looked for, what
    filters and orders the matches, and when to stop."""

    searcher: Searcher
    clauses: list[reader_query.Clause]
    groups: list[str]
    truncated: bool  # clauses beyond ``max_terms`` were dropped
    synonyms: Synonyms
    limit: int  # how many matches to rank: enough for the requested page
    allowed: matching.Matches | None
    boost: scoring.Rescale | None
    keys: np.ndarray | None  # ranking keys by document number, for the newest-first sort
    deadline: float | None
    terms: dict = field(default_factory=dict)  # each word's matches, read once per search
    # The editors' rules for the query: articles first (relevance only) and articles never.
    pinned: list[int] = field(default_factory=list)
    hidden: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))

    def run(
        self, *, match_all: bool, words: dict | None = None, parts: dict | None = None
    ) -> tuple[matching.Matches, bool]:
        """The matches of every word (``match_all``) or of any, and whether they are
        partial; ``words``, when given, receives the documents each clause matches, and
        ``parts`` each clause's queries."""
        if parts is None and words is not None:
            parts = {}
        query = reader_query.build(
            self.clauses,
            self.searcher.schema,
            self.groups,
            match_all=match_all,
            synonyms=self.synonyms,
            parts=parts,
        )
        # Only the weighing of partial matches reads which documents each clause matched.
        watch = None if words is None else {id(q): [] for qs in parts.values() for q in qs}
        found, partial = matching.evaluate(
            self.searcher, query, self.allowed, self.boost, self.deadline, self.terms, watch
        )
        if watch is not None:
            words.update(partial_matches.clause_documents(parts, watch))
        return rules.without(found, self.hidden), partial


def _plan(
    searcher: Searcher,
    request: SearchRequest,
    max_terms: int,
    time_limit: float | None,
    recency_half_life: float,
    synonyms: Synonyms,
) -> _Plan:
    schema = searcher.schema
    clauses = reader_query.parse(request.q)
    groups = language_groups(schema)
    if request.lang:
        groups = [group_for(schema, request.lang)]
    # A field set no article uses (often the generic one) cannot match, but would still
    # cost a term look-up per clause, field and segment.
    groups = [group for group in groups if _has_text(searcher, group)]
    newest = request.sort == "newest"
    return _Plan(
        searcher,
        # bounds the cost of a pasted paragraph
        reader_query.most_selective(clauses, max_terms, _frequency(searcher, groups)),
        groups,
        truncated=len(clauses) > max_terms,
        synonyms=synonyms,
        limit=request.page * request.per_page,
        allowed=request_filters.allowed(
            searcher,
            request.lang,
            request.category,
            request.tags,
            request.date_from,
            request.date_to,
        ),
        boost=None if newest else scoring.recency_boost(searcher, recency_half_life),
        keys=columns.newest_first(searcher) if newest else None,
        deadline=time.monotonic() + time_limit if time_limit else None,
    )


@dataclass
class _Ranked:
    """A search's matches: those with every word, and with some when they follow them."""

    matches: matching.Matches  # facets and the spelling check count all of these
    matches_all: matching.Matches
    full_matches: int  # the articles with every word
    matches_some: matching.Matches | None = None
    relaxed: bool = False
    partial: bool = False


def _rank(plan: _Plan, request: SearchRequest) -> _Ranked:
    by_relevance = request.sort == "relevance"
    several_words = sum(not c.excluded for c in plan.clauses) > 1
    # One word in the title already weighs three in the body: the headline's bonus is for
    # words split between title and body.
    parts: dict | None = {} if by_relevance and several_words else None
    matches, partial = plan.run(match_all=True, parts=parts)
    if parts:
        matches = headline.bonus(plan.searcher, matches, list(parts.values()))
    total = len(matches)
    found = _Ranked(matches, matches, total, partial=partial)
    few = total == 0 or (total < FILL_BELOW and by_relevance)
    # One joined word ("Nagorno-Karabakh"): its parts apart only when no article has it whole.
    several_parts = reader_query.word_count(plan.clauses) > 1 and total == 0
    if ((several_words and few) or several_parts) and not partial:
        # Few articles have every word: follow them with articles that have some of the words
        # (sorted by date that would bury the full matches, so only when there are none), and,
        # by relevance, let those lacking a word compete with them, paying for what they lack.
        weighed = several_words and total > 0 and by_relevance
        words: dict | None = {} if weighed else None
        more, found.partial = plan.run(match_all=False, words=words)
        if words is not None:
            typed = set(plan.clauses)
            strict = [(docs, c.phrase and c in typed) for c, docs in words.items()]
            documents = plan.searcher.doc_count()
            found.matches_all = partial_matches.weigh(matches, more, strict, documents)
        found.relaxed = len(more) > total
        found.matches = found.matches_some = more  # a superset of the full matches
    return found


def _hits(
    searcher: Searcher,
    snippets: Snippets,
    page: list[tuple[int, float | None]],
    rows: stories.Grouping,
    matches: matching.Matches,
    plan: _Plan,
) -> list[SearchHit]:
    """The results of one page: each row's article with its copies and other versions."""
    hidden = set(plan.hidden.tolist())
    hits = []
    for docnum, score in page:
        fields = searcher.stored_fields(docnum)
        copies = rows.duplicates(matches, docnum)
        hits.append(
            SearchHit.of(
                fields,
                score if plan.keys is None else None,
                title_html=snippets.title(fields),
                snippet=snippets.passage(fields),
                pinned=docnum in plan.pinned,
                duplicates=tuple(searcher.stored_fields(other)["id"] for other in copies),
                translations=tuple(stories.translations(searcher, fields, hidden)),
            )
        )
    return hits


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
