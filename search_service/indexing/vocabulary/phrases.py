"""A segment's frequent phrases: runs of two or three words that recur in titles and leads.

"prime minister", "Dağlıq Qarabağ", "центральный банк": each counted once per article.
Phrases are counted from the stored titles and leads, about 40 µs an article (they are
compressed together with the body), so a segment with more than :data:`SAMPLE` articles of a
language is counted on an evenly spread sample, whose document numbers are kept: deleting an
article later (Whoosh marks it deleted in its segment, whose files never change) takes its
phrases out again when the segment is read (:class:`LivePhrases`). Memory stays bounded while
counting (lossy counting over at most :data:`MAX_TRACKED` candidates) and after it (the
:data:`MAX_KEPT` most frequent phrases are kept).
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np
from whoosh.reading import IndexReader

from ...analysis.filters import search_key
from ...analysis.stopwords import stop_words
from .tables import GroupCounts, Table
from .words import documents_by_group

MIN_WORDS, MAX_WORDS = 2, 3
# A phrase must occur in this many counted articles (title or lead; once each).
MIN_DOCUMENTS = 3
# A segment with at most this many articles of a language (one made by a few updates) keeps
# every phrase of theirs, so that its counts add up with other segments' to reach
# MIN_DOCUMENTS; a larger segment keeps the phrases that reach it alone.
SMALL_SEGMENT = 1_000
# Articles of one language counted at most per segment; beyond, an evenly spread sample.
SAMPLE = 10_000
# Candidates counted at once; when exceeded, the rarest are dropped (lossy counting).
MAX_TRACKED = 200_000
# Phrases kept per language and segment after counting, the most frequent first.
MAX_KEPT = 50_000
# Words, and the text between them: a phrase never spans punctuation ("Baku, Ganja").
_TOKEN = re.compile(r"([^\W_]+)(\s*)", re.UNICODE)


class LivePhrases:
    """A segment's phrase counts without its deleted articles: each article deleted since the
    segment was counted, if it was counted, is read once and its phrases taken off."""

    def __init__(self, counts: GroupCounts) -> None:
        self.counts = counts
        self.raw = counts.phrases.counts.astype(np.int64)
        self.removed: set[int] = set()

    def update(self, leaf: IndexReader, group: str) -> None:
        """Take off the phrases of the counted articles deleted since the last update."""
        segment = leaf.segment()
        if not segment.has_deletions():
            return
        deleted = np.fromiter(segment.deleted_docs(), dtype=np.int64)
        gone = set(np.intersect1d(self.counts.sample, deleted).tolist()) - self.removed
        stop = stop_words(group)
        for docnum in sorted(gone):
            for key in _keys_of(leaf.stored_fields(docnum), stop):
                index = _find(self.counts.phrases, key)
                if index is not None:
                    self.raw[index] -= 1
        self.removed |= gone

    def scaled(self) -> np.ndarray:
        """Article counts scaled up from the sample; 0 for a phrase now counted fewer than
        ``least`` times."""
        scaled = np.rint(self.raw * self.counts.step).astype(np.int64)
        scaled[self.raw < self.counts.least] = 0
        return scaled


def count_phrases(reader: IndexReader, group: str) -> dict[str, int]:
    """Phrase → (estimated) number of the group's articles whose title or lead contains it,
    for phrases found in at least :data:`MIN_DOCUMENTS` counted articles."""
    documents = documents_by_group(reader).get(group, [])
    phrases, step, _ = count_sampled(reader, group, documents)
    return {form: round(count * step) for form, count in phrases.items()}


def count_sampled(
    reader: IndexReader, group: str, documents: list[int], least: int = MIN_DOCUMENTS
) -> tuple[dict[str, int], float, list[int]]:
    """(phrase → number of counted articles with it, for those counted at least ``least``
    times; articles each counted one stands for; the counted articles) of ``documents``."""
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
    frequent = [entry for entry in tracked.values() if entry[0] >= least]
    frequent.sort(key=lambda entry: -entry[0])
    return {form: count for count, _, form, _ in frequent[:MAX_KEPT]}, step, sample


def _keys_of(fields: dict[str, Any], stop: frozenset[str]) -> set[str]:
    """The phrase keys one article's title and lead count once each."""
    return {
        key
        for text in (fields.get("title"), fields.get("lead"))
        for key, _, _ in _phrases(text or "", stop)
    }


def _find(table: Table, key: str) -> int | None:
    """The index of the phrase whose lower-cased form is ``key``."""
    folded = search_key(key).encode("utf-8")
    index = bisect.bisect_left(table.keys, folded)
    while index < len(table) and table.keys[index] == folded:
        if table.words.text(index).lower() == key:
            return index
        index += 1
    return None


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
