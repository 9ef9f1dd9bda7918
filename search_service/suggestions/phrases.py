"""Frequent phrases of the live index, for as-you-type suggestions: runs of two or three words
that recur in the titles and leads of many articles ("prime minister", "Dağlıq Qarabağ",
"центральный банк").

Whoosh keeps no phrase statistics, so they are counted from the stored titles and leads. That
read costs about 40 µs an article (the stored fields are compressed together with the body),
so a language with more than :data:`SAMPLE` articles is counted on an evenly spread sample and
the counts scaled up: a phrase frequent enough to be worth suggesting is frequent in the sample
too. Memory stays bounded while counting (lossy counting over at most :data:`MAX_TRACKED`
candidates) and after it (the :data:`MAX_KEPT` most frequent phrases are kept).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from whoosh.reading import IndexReader

from ..analysis.stopwords import stop_words
from ..indexing.schema import group_for

MIN_WORDS, MAX_WORDS = 2, 3
# A phrase must occur in this many counted articles (title or lead; once per article).
MIN_DOCUMENTS = 3
# Articles of one language read at most; beyond, an evenly spread sample of this many.
SAMPLE = 10_000
# Candidates counted at once; when exceeded, the rarest are dropped (lossy counting).
MAX_TRACKED = 200_000
# Phrases kept per language after counting, the most frequent first.
MAX_KEPT = 50_000
# Words, and the text between them: a phrase never spans punctuation ("Baku, Ganja").
_TOKEN = re.compile(r"([^\W_]+)(\s*)", re.UNICODE)


def count_phrases(reader: IndexReader, group: str) -> dict[str, int]:
    """Phrase → (estimated) number of the group's articles whose title or lead contains it,
    for phrases found in at least :data:`MIN_DOCUMENTS` counted articles."""
    documents = _documents_of(reader, group)
    step = max(len(documents) / SAMPLE, 1.0)
    sample = [documents[int(i * step)] for i in range(int(len(documents) / step))]
    stop = stop_words(group)
    # key (lower-cased words) → [count, count it may have missed, spelling, its rank]
    tracked: dict[str, list] = {}
    floor = 0  # counts at or below this were dropped once the table was full
    for docnum in sample:
        fields = reader.stored_fields(docnum)
        seen: set[str] = set()
        # Spellings in the middle of a lead are preferred, then in the middle of a title
        # (English titles capitalise every word), then at the start of a sentence.
        for source, text in ((1, fields.get("title")), (0, fields.get("lead"))):
            for key, form, initial in _phrases(text or "", stop):
                rank = 2 if initial else source
                entry = tracked.get(key)
                if entry is None:
                    tracked[key] = [1, floor, form, rank]
                    seen.add(key)
                    continue
                if rank < entry[3]:
                    entry[2], entry[3] = form, rank
                if key not in seen:
                    seen.add(key)
                    entry[0] += 1
        while len(tracked) > MAX_TRACKED:
            floor += 1
            tracked = {k: e for k, e in tracked.items() if e[0] + e[1] > floor}
    frequent = [entry for entry in tracked.values() if entry[0] >= MIN_DOCUMENTS]
    frequent.sort(key=lambda entry: -entry[0])
    return {form: round(count * step) for count, _, form, _ in frequent[:MAX_KEPT]}


def _documents_of(reader: IndexReader, group: str) -> list[int]:
    """The live document numbers of the articles indexed into ``group``'s fields, from the
    postings of their ``lang`` terms (reading the column per document costs seconds)."""
    schema = reader.schema
    found: list[int] = []
    for raw in reader.lexicon("lang"):
        if group_for(schema, raw.decode("utf-8")) == group:
            found += reader.postings("lang", raw).all_ids()
    return sorted(found)


def _phrases(text: str, stop: frozenset[str]) -> Iterator[tuple[str, str, bool]]:
    """(lower-cased key, spelling, initial) of every candidate phrase of ``text``.

    A phrase neither starts nor ends with a stop word, a number or a single letter ("of the",
    "in 2024" are no phrases; "state of emergency" is). ``initial`` says whether it opens a
    sentence (or follows other punctuation), where its first letter's case says nothing.
    """
    for run in _runs(text):
        for start in range(len(run)):
            if not _edge(run[start], stop):
                continue
            for end in range(start + MIN_WORDS, min(start + MAX_WORDS, len(run)) + 1):
                if _edge(run[end - 1], stop):
                    words = run[start:end]
                    yield " ".join(w.lower() for w in words), " ".join(words), start == 0


def _runs(text: str) -> Iterable[list[str]]:
    """The runs of words separated only by white space."""
    run: list[str] = []
    position = 0
    for match in _TOKEN.finditer(text):
        if match.start() != position and run:
            yield run
            run = []
        word, gap = match.groups()
        run.append(word)
        position = match.end()
        if not gap:  # punctuation (or the end) follows
            yield run
            run = []
    if run:
        yield run


def _edge(word: str, stop: frozenset[str]) -> bool:
    """Whether a phrase may start or end with ``word``."""
    return len(word) > 1 and not word.isdigit() and word.lower() not in stop
