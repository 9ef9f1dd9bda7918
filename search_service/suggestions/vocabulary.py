"""The index's own words, per language, in memory: what suggestions complete and what "did
you mean" corrects towards.

Each language's vocabulary — the unstemmed words of titles and of the whole text with their
document counts, from the spelling sub-fields — is held in sorted arrays keyed by folded form
(case and diacritics removed), so a prefix costs a binary search. The arrays are read once per
index segment: segments never change, so an update of the live build (a new small segment)
costs reading that segment only, never the whole vocabulary again (seconds per language at
100,000 articles). Frequent phrases (:mod:`.phrases`) are held in the same kind of arrays.
"""

from __future__ import annotations

import bisect
import heapq
import threading
import time
import unicodedata

from rapidfuzz import process
from rapidfuzz.distance import OSA
from whoosh.fields import Schema
from whoosh.reading import IndexReader
from whoosh.searching import Searcher

from ..indexing.schema import TITLE_PREFIX, text_field
from .phrases import count_phrases

# Words found in fewer articles are left out of completions (mostly typos and rare names),
# unless they are in a title.
MIN_DOCUMENTS = 2
# Phrase counts are kept across updates of the live build for this long: counting costs up to
# a second or two per language, and what is frequent changes slowly.
PHRASE_REFRESH_SECONDS = 300
# Letters that do not decompose into a base letter plus a mark under NFKD.
_FOLD = str.maketrans({"ı": "i", "ə": "e", "ø": "o", "ł": "l", "đ": "d", "ß": "ss", "æ": "ae"})


def fold(text: str) -> str:
    """Case- and diacritics-insensitive key: ``Qarabağ`` → ``qarabag``, ``Ёлка`` → ``елка``."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).translate(_FOLD)


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

    def near(self, word: str, maxdist: int) -> list[tuple[str, int]]:
        """(word, edit distance) of the words within ``maxdist`` edits of ``word`` that begin
        with the same folded letter; a swap of neighbouring letters is one edit (optimal
        string alignment). rapidfuzz compares in C++: a Python loop over the tens of
        thousands of words under one letter, or Whoosh's automaton over its term index, takes
        a hundred times longer."""
        first = fold(word[:1])
        start = bisect.bisect_left(self.keys, first)
        end = bisect.bisect_left(self.keys, first + "\U0010ffff", start)
        found = process.extract(
            word,
            self.words[start:end],
            scorer=OSA.distance,
            score_cutoff=maxdist,
            limit=None,
        )
        return [(candidate, int(distance)) for candidate, distance, _ in found]

    def same_key(self, word: str) -> tuple[int, str] | None:
        """(count, word) of the most frequent word that folds like ``word``, if any."""
        key = fold(word)
        start = bisect.bisect_left(self.keys, key)
        end = bisect.bisect_right(self.keys, key + "\x00", start)
        found = [(self.counts[i], self.words[i]) for i in range(start, end) if self.keys[i] == key]
        return max(found) if found else None


class Vocabulary:
    """One language's words across the segments of an index: completions and counts add up
    over the per-segment lexicons (approximately: each segment offers its own top words)."""

    def __init__(self, lexicons: list[Lexicon]) -> None:
        self.lexicons = lexicons

    def complete(self, prefix: str, limit: int) -> list[tuple[int, str]]:
        if len(self.lexicons) == 1:
            return self.lexicons[0].complete(prefix, limit)
        counts: dict[str, int] = {}
        for lexicon in self.lexicons:
            for count, word in lexicon.complete(prefix, limit):
                counts[word] = counts.get(word, 0) + count
        return heapq.nlargest(limit, ((count, word) for word, count in counts.items()))

    def near(self, word: str, maxdist: int) -> list[tuple[str, int]]:
        """See :meth:`Lexicon.near`; each word once."""
        return list(
            dict(pair for lexicon in self.lexicons for pair in lexicon.near(word, maxdist)).items()
        )

    def exact(self, word: str) -> str | None:
        found = [best for lexicon in self.lexicons if (best := lexicon.same_key(word))]
        return max(found)[1] if found else None


class _Vocabularies:
    """The word and phrase lexicons of the live index: words read once per index segment,
    phrases counted again for a new build or, after updates, when they have aged."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        # (segment id, group) → that segment's lexicon; only the live segments are kept.
        self._segments: dict[tuple[str, str], Lexicon] = {}
        # group → (build, generation, when counted, phrases)
        self._phrases: dict[str, tuple[str, int, float, Lexicon]] = {}

    def get(self, searcher: Searcher, group: str) -> Vocabulary:
        leaves = [leaf for leaf, _ in searcher.reader().leaf_readers()]
        keys = [(leaf.segment().segment_id(), group) for leaf in leaves]
        with self._lock:
            for key, leaf in zip(keys, leaves, strict=True):
                if key not in self._segments:
                    self._segments[key] = _read_lexicon(searcher.schema, leaf, group)
            live = {segment for segment, _ in keys}
            for stale in [key for key in self._segments if key[0] not in live]:
                del self._segments[stale]
            return Vocabulary([self._segments[key] for key in keys])

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


def _read_lexicon(schema: Schema, segment: IndexReader, group: str) -> Lexicon:
    """One segment's words of ``group``: every title word, and the other words found in at
    least :data:`MIN_DOCUMENTS` of the segment's articles."""
    counts: dict[str, int] = {}
    for name in (f"{TITLE_PREFIX}{group}", text_field(group)):
        title = name.startswith(TITLE_PREFIX)
        for raw, info in segment.iter_field(schema[name].spelling_fieldname(name)):
            word, found = raw.decode("utf-8"), info.doc_frequency()
            if (title or found >= MIN_DOCUMENTS) and not word.isdigit():
                counts[word] = max(counts.get(word, 0), found)
    return Lexicon(counts)


VOCABULARIES = _Vocabularies()
