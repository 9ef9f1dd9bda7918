"""As-you-type suggestions: completions of the reader's last (possibly partial) word from the
index's own vocabulary, and the titles of articles that match what is typed so far.

Matching ignores case and diacritics (``qarabag`` finds ``Qarabağ``, ``baki`` finds
``Bakı``). The vocabulary of each language — the unstemmed words of titles and of the whole
text with their document counts, from the spelling sub-fields — is read once per index
generation into sorted in-memory arrays, so a keystroke costs a binary search plus one small
title query.
"""

from __future__ import annotations

import bisect
import heapq
import re
import threading
import time
import unicodedata
from dataclasses import asdict, dataclass, field
from typing import Any

from whoosh import query as wq
from whoosh.query.compound import DefaultOr as UnionOr  # see _titles
from whoosh.searching import Searcher

from . import recency
from .analysis import GENERIC
from .schema import TITLE_PREFIX, group_for, language_groups, text_field

# Words found in fewer articles are left out of completions (mostly typos and rare names),
# unless they are in a title.
MIN_DOCUMENTS = 2
# Completions of the partial word that title matching considers: enough to cover what the
# reader probably means, few enough that the title query reads only a few posting lists.
TITLE_CANDIDATES = 4
# Titles a term may be in and still anchor the title query (see _titles).
MAX_ANCHOR_TITLES = 200
# A single letter says too little to pick titles by (and would match most of them).
MIN_TITLE_PREFIX = 2
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
# Letters that do not decompose into a base letter plus a mark under NFKD.
_FOLD = str.maketrans({"ı": "i", "ə": "e", "ø": "o", "ł": "l", "đ": "d", "ß": "ss", "æ": "ae"})


def fold(text: str) -> str:
    """Case- and diacritics-insensitive key: ``Qarabağ`` → ``qarabag``, ``Ёлка`` → ``елка``."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).translate(_FOLD)


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


class Lexicon:
    """One language's words, sorted by folded form, with their document counts."""

    def __init__(self, counts: dict[str, int]) -> None:
        entries = sorted((fold(word), -count, word) for word, count in counts.items())
        self.keys = [key for key, _, _ in entries]
        self.words = [word for _, _, word in entries]
        self.counts = [-count for _, count, _ in entries]
        self._top: dict[str, list[tuple[int, str]]] = {}

    def complete(self, prefix: str, limit: int) -> list[tuple[int, str]]:
        """The most frequent words whose folded form starts with ``prefix``: (count, word)."""
        cached = self._top.get(prefix)
        if cached is not None and len(cached) >= limit:
            return cached[:limit]
        start = bisect.bisect_left(self.keys, prefix)
        end = bisect.bisect_left(self.keys, prefix + "\U0010ffff", start)
        top = heapq.nlargest(limit, zip(self.counts[start:end], self.words[start:end], strict=True))
        if end - start > 500 and len(self._top) < 50_000:
            self._top[prefix] = top  # short prefixes span many words: remember them
        return top

    def exact(self, word: str) -> str | None:
        """The most frequent word that folds to the same key as ``word``."""
        key = fold(word)
        start = bisect.bisect_left(self.keys, key)
        end = bisect.bisect_right(self.keys, key + "\x00", start)
        found = [(self.counts[i], self.words[i]) for i in range(start, end) if self.keys[i] == key]
        return max(found)[1] if found else None


class _Vocabularies:
    """The lexicons of the live index, read again when the index changes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._key: Any = None
        self._lexicons: dict[str, Lexicon] = {}

    def get(self, searcher: Searcher, group: str) -> Lexicon:
        key = (id(searcher.reader()), searcher.reader().generation())
        with self._lock:
            if key != self._key:
                self._key, self._lexicons = key, {}
            lexicon = self._lexicons.get(group)
            if lexicon is None:
                lexicon = self._lexicons[group] = _read_lexicon(searcher, group)
            return lexicon


def _read_lexicon(searcher: Searcher, group: str) -> Lexicon:
    schema, reader = searcher.schema, searcher.reader()
    counts: dict[str, int] = {}
    for name in (f"{TITLE_PREFIX}{group}", text_field(group)):
        title = name.startswith(TITLE_PREFIX)
        spelling = schema[name].spelling_fieldname(name)
        for raw, info in reader.iter_field(spelling):
            word = raw.decode("utf-8")
            documents = info.doc_frequency()
            if (title or documents >= MIN_DOCUMENTS) and not word.isdigit():
                counts[word] = max(counts.get(word, 0), documents)
    return Lexicon(counts)


VOCABULARIES = _Vocabularies()


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
    resolved: dict[str, list[str]] = {}  # group → the complete words, with their diacritics
    for group in groups:
        lexicon = VOCABULARIES.get(searcher, group)
        resolved[group] = [lexicon.exact(word) or word for word in words]
        if partial:
            completions += [(c, w, group) for c, w in lexicon.complete(fold(partial), limit)]
    # The typed word itself, with its diacritics restored, comes first; then by frequency.
    typed = fold(partial)
    completions.sort(key=lambda item: (fold(item[1]) != typed, -item[0], item[1]))

    titles = _titles(searcher, resolved, completions, partial, lang, limit, recency_half_life)
    head = " ".join(words)
    queries, seen = [], {text.strip().casefold()}  # what was typed is no suggestion
    for _, word, group in completions:
        phrase = f"{' '.join(resolved[group])} {word}" if head else word
        if phrase.casefold() not in seen:
            seen.add(phrase.casefold())
            queries.append(
                Suggestion(text=_cased(phrase, titles) if not head else phrase, kind="query")
            )
    wanted_queries = max(limit - len(titles), (limit + 1) // 2)
    chosen = queries[:wanted_queries] + titles
    return SuggestResponse(
        query=text,
        took_ms=round((time.perf_counter() - started) * 1000, 2),
        suggestions=chosen[:limit],
    )


def _titles(
    searcher: Searcher,
    resolved: dict[str, list[str]],
    completions: list[tuple[int, str, str]],
    partial: str,
    lang: str | None,
    limit: int,
    recency_half_life: float,
) -> list[Suggestion]:
    """Titles matching every complete word and one completion of the partial word.

    The cost of a Whoosh query is the postings it reads, so only selective terms (in at most
    ``MAX_ANCHOR_TITLES`` titles) take part: frequent words ("to", "the", "U.S.") narrow
    little and are left out, and a keystroke with nothing selective yet gets completions
    only. The ORs use Whoosh's plain union matcher: the
    automatic choice preloads every posting of every completion into arrays.
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
                required.append(UnionOr([wq.Term(field, term) for term in sorted(terms)]))
            elif not required:
                continue
        if required:
            per_group.append(wq.And(required))
    if not per_group:
        return []
    ranked = recency.searcher_for(searcher, recency_half_life)
    # A language's own fields hold only its articles, so only the shared generic fields need
    # the filter (which Whoosh builds by listing every article of the language).
    generic = lang is not None and group_for(schema, lang) == GENERIC
    results = ranked.search(
        UnionOr(per_group), limit=limit, filter=wq.Term("lang", lang) if generic else None
    )
    return [
        Suggestion(
            text=hit.get("title", ""),
            kind="article",
            id=hit["id"],
            url=hit.get("url") or None,
            lang=hit.get("lang") or None,
        )
        for hit in results
    ]


def _cased(phrase: str, titles: list[Suggestion]) -> str:
    """``qarabağ`` → ``Qarabağ`` when a matching title writes it capitalised."""
    spelled = {}
    for title in titles:
        for word in _WORD.findall(title.text):
            spelled.setdefault(word.casefold(), word)
    return " ".join(spelled.get(word, word) for word in phrase.split(" "))
