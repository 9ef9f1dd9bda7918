"""As-you-type suggestions: completions of the reader's last (possibly partial) word and
frequent phrases from the index's own vocabulary, and the titles of articles that match what is
typed so far.

Matching ignores case and diacritics (``qarabag`` finds ``Qarabağ``, ``baki`` finds
``Bakı``). The vocabulary of each language — the unstemmed words of titles and of the whole
text with their document counts, from the spelling sub-fields — is read once per index
generation into sorted in-memory arrays, so a keystroke costs a binary search plus one small
title query. Frequent phrases (:mod:`.phrases`) are held the same way.
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
from .phrases import MAX_WORDS, count_phrases
from .schema import TITLE_PREFIX, group_for, language_groups, text_field

# Words found in fewer articles are left out of completions (mostly typos and rare names),
# unless they are in a title.
MIN_DOCUMENTS = 2
# Completions of the partial word that title matching considers: enough to cover what the
# reader probably means, few enough that the title query reads only a few posting lists.
TITLE_CANDIDATES = 4
# Titles a term may be in and still anchor the title query (see _titles).
MAX_ANCHOR_TITLES = 200
# Phrase counts are kept across updates of the live build for this long: counting costs up to
# a second or two per language, and what is frequent changes slowly.
PHRASE_REFRESH_SECONDS = 300
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
    """The word and phrase lexicons of the live index, read again when the index changes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._key: Any = None
        self._lexicons: dict[str, Lexicon] = {}
        # group → (build, generation, when counted, phrases)
        self._phrases: dict[str, tuple[str, int, float, Lexicon]] = {}

    def get(self, searcher: Searcher, group: str) -> Lexicon:
        key = (id(searcher.reader()), searcher.reader().generation())
        with self._lock:
            if key != self._key:
                self._key, self._lexicons = key, {}
            lexicon = self._lexicons.get(group)
            if lexicon is None:
                lexicon = self._lexicons[group] = _read_lexicon(searcher, group)
            return lexicon

    def phrases(self, searcher: Searcher, build: str, group: str) -> Lexicon:
        """The group's frequent phrases: counted again for a new build, and after an update
        of the live one once they are :data:`PHRASE_REFRESH_SECONDS` old."""
        generation, now = searcher.reader().generation(), time.monotonic()
        with self._lock:
            known = self._phrases.get(group)
            if (
                known is None
                or known[0] != build
                or (known[1] != generation and now - known[2] >= PHRASE_REFRESH_SECONDS)
            ):
                known = (build, generation, now, Lexicon(count_phrases(searcher.reader(), group)))
                self._phrases[group] = known
            return known[3]


def _read_lexicon(searcher: Searcher, group: str) -> Lexicon:
    schema, reader = searcher.schema, searcher.reader()
    counts: dict[str, int] = {}
    for name in (f"{TITLE_PREFIX}{group}", text_field(group)):
        title = name.startswith(TITLE_PREFIX)
        spelling = schema[name].spelling_fieldname(name)
        # Segment by segment, adding up: Whoosh's merged view of several segments costs about
        # ten times as much per term (at 100k articles, 45 s instead of 4 for Russian).
        documents: dict[bytes, int] = {}
        for leaf, _ in reader.leaf_readers():
            for raw, info in leaf.iter_field(spelling):
                documents[raw] = documents.get(raw, 0) + info.doc_frequency()
        for raw, found in documents.items():
            word = raw.decode("utf-8")
            if (title or found >= MIN_DOCUMENTS) and not word.isdigit():
                counts[word] = max(counts.get(word, 0), found)
    return Lexicon(counts)


VOCABULARIES = _Vocabularies()


def suggest(
    searcher: Searcher,
    text: str,
    *,
    build: str,
    lang: str | None = None,
    limit: int = 8,
    recency_half_life: float = 0,
) -> SuggestResponse:
    """Completions and matching titles for ``text``, the query as typed so far, from the
    index build ``build`` (which the phrase counts are kept for)."""
    started = time.perf_counter()
    words = _WORD.findall(text)
    partial = words.pop() if words and not text[-1:].isspace() else ""
    schema = searcher.schema
    groups = [group_for(schema, lang)] if lang else language_groups(schema)
    completions: list[tuple[int, str, str]] = []  # (count, word, group)
    candidates: list[tuple[bool, int, str]] = []  # (not the typed word, usefulness, text)
    resolved: dict[str, list[str]] = {}  # group → the complete words, with their diacritics
    for group in groups:
        lexicon = VOCABULARIES.get(searcher, group)
        resolved[group] = [lexicon.exact(word) or word for word in words]
        if partial:
            completions += [(c, w, group) for c, w in lexicon.complete(fold(partial), limit)]
        phrases = VOCABULARIES.phrases(searcher, build, group)
        candidates += _phrase_completions(phrases, words, resolved[group], partial, limit)
    typed = fold(partial)
    completions.sort(key=lambda item: (fold(item[1]) != typed, -item[0], item[1]))

    titles = _titles(searcher, resolved, completions, partial, lang, limit, recency_half_life)
    for count, word, group in completions:
        phrase = " ".join([*resolved[group], word]) if words else _cased(word, titles)
        candidates.append((fold(word) != typed, count, phrase))
    # The typed word itself, with its diacritics restored, comes first; then by usefulness.
    candidates.sort(key=lambda item: (item[0], -item[1], item[2]))
    queries, seen = [], {text.strip().casefold()}  # what was typed is no suggestion
    for _, _, phrase in candidates:
        if phrase.casefold() not in seen:
            seen.add(phrase.casefold())
            queries.append(Suggestion(text=phrase, kind="query"))
    wanted_queries = max(limit - len(titles), (limit + 1) // 2)
    chosen = queries[:wanted_queries] + titles
    return SuggestResponse(
        query=text,
        took_ms=round((time.perf_counter() - started) * 1000, 2),
        suggestions=chosen[:limit],
    )


def _phrase_completions(
    phrases: Lexicon, words: list[str], resolved: list[str], partial: str, limit: int
) -> list[tuple[bool, int, str]]:
    """Frequent phrases that continue the last typed words (and complete the partial one).

    Usefulness is the phrase's article count × the words it fills in × (1 + the typed words
    it continues): "prime mi" → "prime minister" outranks "prime ministry", which only
    completes "mi" and is not known to follow "prime"; a bare word completion counts its
    articles × 1 × 1.
    """
    found = []
    for k in range(min(len(words), MAX_WORDS - 1), -1 if partial else 0, -1):
        context = words[len(words) - k :]
        prefix = fold(" ".join([*context, partial]) if partial else " ".join(context) + " ")
        for count, phrase in phrases.complete(prefix, limit):
            filled = phrase.count(" ") + 1 - k
            text = " ".join([*resolved[: len(words) - k], phrase])
            found.append((True, count * filled * (1 + k), text))
    return found


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


def _cased(word: str, titles: list[Suggestion]) -> str:
    """``qarabağ`` → ``Qarabağ`` when a matching title writes it capitalised."""
    for title in titles:
        for written in _WORD.findall(title.text):
            if written.casefold() == word.casefold():
                return written
    return word
