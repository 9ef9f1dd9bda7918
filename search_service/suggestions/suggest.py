"""As-you-type suggestions: completions of the reader's last (possibly partial) word and
frequent phrases from the index's own vocabulary
(:mod:`~search_service.indexing.vocabulary`), and the titles of articles that match what is
typed so far.

Matching ignores case and diacritics (``qarabag`` finds ``Qarabağ``, ``baki`` finds
``Bakı``); a keystroke costs binary searches in memory plus one small title query.
"""

from __future__ import annotations

import re
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from whoosh import query as wq
from whoosh.searching import Searcher

from ..analysis import GENERIC, TURKIC
from ..analysis.filters import normalize, search_key
from ..analysis.memo import query_terms
from ..indexing.schema import TITLE_PREFIX, group_for, language_groups, text_field
from ..indexing.vocabulary.cache import VOCABULARIES
from ..indexing.vocabulary.lexicon import Vocabulary
from ..indexing.vocabulary.phrases import MAX_WORDS
from ..searching import matching, scoring

# Completions of the partial word that title matching considers: enough to cover what the
# reader probably means, few enough that the title query reads only a few posting lists.
TITLE_CANDIDATES = 4
# Titles a term may be in and still anchor the title query (see _titles).
MAX_ANCHOR_TITLES = 200
# A single letter says too little to pick titles by (and would match most of them).
MIN_TITLE_PREFIX = 2
# Matching titles read to find how a completion is written (index words are lower case).
CASING_TITLES = 8
# Articles whose stored text is read to find a phrase as written, not only in other forms.
MAX_WRITTEN_CHECKS = 20
_WORD = re.compile(r"[^\W_]+", re.UNICODE)


@dataclass(frozen=True)
class Suggestion:
    text: str
    kind: str  # "query": a completion of what was typed; "article": a matching title
    id: str | None = None
    url: str | None = None
    lang: str | None = None


@dataclass
class SuggestResponse:
    query: str
    took_ms: float
    suggestions: list[Suggestion] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def suggest(
    searcher: Searcher,
    text: str,
    *,
    lang: str | None = None,
    limit: int = 8,
    recency_half_life: float = 0,
) -> SuggestResponse:
    """Completions and matching titles for ``text``, the query as typed so far."""
    started = time.perf_counter()
    words = _WORD.findall(text)
    partial = words.pop() if words and not text[-1:].isspace() else ""
    schema = searcher.schema
    groups = [group_for(schema, lang)] if lang else language_groups(schema)
    completions: list[tuple[int, str, str]] = []  # (count, word, group)
    # (not the typed word, usefulness, text, the group whose text must have it as a phrase)
    candidates: list[tuple[bool, int, str, str | None]] = []
    resolved: dict[str, list[str]] = {}  # group → the complete words, with their diacritics
    for group in groups:
        lexicon = VOCABULARIES.get(searcher, group)
        resolved[group] = [lexicon.exact(word) or word for word in words]
        if partial:
            completions += [(c, w, group) for c, w in lexicon.complete(search_key(partial), limit)]
        phrases = VOCABULARIES.phrases(searcher, group)
        candidates += _phrase_completions(phrases, words, resolved[group], partial, limit, group)
    typed = search_key(partial)
    completions.sort(key=lambda item: (search_key(item[1]) != typed, -item[0], item[1]))

    # more titles than shown, to write completions as the titles do (Qarabağda, not qarabağda)
    matched_titles = _titles(
        searcher, resolved, completions, partial, lang, max(limit, CASING_TITLES), recency_half_life
    )
    titles = matched_titles[:limit]
    for count, word, group in completions:
        if words:  # the typed words and a completion: offered only if an article has them
            phrase, check = " ".join([*resolved[group], word]), group
        else:
            phrase, check = _cased(word, matched_titles), None
        candidates.append((search_key(word) != typed, count, phrase, check))
    # The typed word itself, with its diacritics restored, comes first; then by usefulness.
    candidates.sort(key=lambda item: (item[0], -item[1], item[2]))
    wanted_queries = max(limit - len(titles), (limit + 1) // 2)
    queries, seen = [], {text.strip().casefold()}  # what was typed is no suggestion
    for _, _, phrase, check in candidates:
        if len(queries) == wanted_queries:
            break
        if phrase.casefold() in seen:
            continue
        seen.add(phrase.casefold())
        if check is None or _occurs(searcher, check, phrase):
            queries.append(Suggestion(text=phrase, kind="query"))
    chosen = queries[:wanted_queries] + titles
    return SuggestResponse(
        query=text,
        took_ms=round((time.perf_counter() - started) * 1000, 2),
        suggestions=chosen[:limit],
    )


def _phrase_completions(
    phrases: Vocabulary,
    words: list[str],
    resolved: list[str],
    partial: str,
    limit: int,
    group: str,
) -> list[tuple[bool, int, str, str | None]]:
    """Frequent phrases that continue the last typed words (and complete the partial one).

    Usefulness is the phrase's article count × the words it fills in × (1 + the typed words
    it continues): "prime mi" → "prime minister" outranks "prime ministry", which only
    completes "mi" and is not known to follow "prime"; a bare word completion counts its
    articles × 1 × 1.
    """
    found = []
    for k in range(min(len(words), MAX_WORDS - 1), -1 if partial else 0, -1):
        context = words[len(words) - k :]
        prefix = search_key(" ".join([*context, partial]) if partial else " ".join(context) + " ")
        for count, phrase in phrases.complete(prefix, limit):
            filled = phrase.count(" ") + 1 - k
            text = " ".join([*resolved[: len(words) - k], phrase])
            # a known phrase occurs; earlier typed words before it must be checked
            found.append((True, count * filled * (1 + k), text, group if k < len(words) else None))
    return found


def _occurs(searcher: Searcher, group: str, text: str) -> bool:
    """Whether some article of ``group`` has ``text`` as written, its words in a row, so that
    no suggestion is a run of words no one wrote.

    The index finds the articles with the phrase in any inflection the stemmer joins ("gas
    exports" for "gas exporters"); the stored text of the first few of them says whether one
    has these very words.
    """
    field = text_field(group)
    terms = query_terms(searcher.schema, field, text)
    if not terms:
        return False
    query = wq.Phrase(field, terms) if len(terms) > 1 else wq.Term(field, terms[0])
    matcher = query.matcher(searcher, searcher.boolean_context())
    turkic = group in TURKIC
    wanted = f" {_written(text, turkic)} "
    for _ in range(MAX_WRITTEN_CHECKS):
        if not matcher.is_active():
            return False
        fields = searcher.stored_fields(matcher.id())
        parts = " ".join(fields.get(part) or "" for part in ("title", "lead", "body"))
        if wanted in f" {_written(parts, turkic)} ":
            return True
        matcher.next()
    return False


def _written(text: str, turkic: bool) -> str:
    """The words of ``text`` as the index compares them (case, ё), one space apart."""
    return " ".join(_WORD.findall(normalize(text, turkic=turkic)))


def _titles(
    searcher: Searcher,
    resolved: dict[str, list[str]],
    completions: list[tuple[int, str, str]],
    partial: str,
    lang: str | None,
    limit: int,
    recency_half_life: float,
) -> list[Suggestion]:
    """Titles matching every complete word and one completion of the partial word, ranked
    as ``/search`` ranks (BM25F and the recency boost).

    The cost of the query is the postings it reads, so only selective terms (in at most
    ``MAX_ANCHOR_TITLES`` titles) take part: frequent words ("to", "the", "U.S.") narrow
    little and are left out, and a keystroke with nothing selective yet gets completions
    only.
    """
    schema, reader = searcher.schema, searcher.reader()
    per_group = []
    for group, words in resolved.items():
        field = f"{TITLE_PREFIX}{group}"
        analyzer = schema[field].analyzer

        def selective(term: str, field: str = field) -> bool:
            return reader.doc_frequency(field, term) <= MAX_ANCHOR_TITLES

        typed = [t.text for word in words for t in analyzer(word, mode="query")]
        required: list[wq.Query] = [wq.Term(field, term) for term in typed if selective(term)]
        if partial:
            if len(partial) < MIN_TITLE_PREFIX and not words:
                continue
            candidates = [w for _, w, g in completions if g == group][:TITLE_CANDIDATES]
            terms = {t.text for w in candidates for t in analyzer(w, mode="query")}
            terms = {term for term in terms if selective(term)}
            if terms:
                required.append(wq.Or([wq.Term(field, term) for term in sorted(terms)]))
            elif not required:
                continue
        if required:
            per_group.append(wq.And(required))
    if not per_group:
        return []
    # A language's own fields hold only its articles, so only the shared generic fields need
    # the filter (which reads the list of every article of the language).
    generic = lang is not None and group_for(schema, lang) == GENERIC
    allowed = matching.evaluate(searcher, wq.Term("lang", lang))[0] if generic else None
    boost = scoring.recency_boost(searcher, recency_half_life)
    matches, _ = matching.evaluate(searcher, wq.Or(per_group), allowed, boost)
    suggestions = []
    for docnum, _ in matches.top(limit):
        stored = searcher.stored_fields(docnum)
        suggestions.append(
            Suggestion(
                text=stored.get("title", ""),
                kind="article",
                id=stored["id"],
                url=stored.get("url") or None,
                lang=stored.get("lang") or None,
            )
        )
    return suggestions


def _cased(word: str, titles: list[Suggestion]) -> str:
    """The word as a matching title writes it: ``qarabağ`` → ``Qarabağ``, ``елочный`` →
    ``Ёлочный`` (index words are case-folded, and ё is е)."""
    for title in titles:
        for written in _WORD.findall(title.text):
            if normalize(written) == normalize(word):
                return written
    return word
