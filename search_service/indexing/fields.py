"""Text fields of our own: words kept unstemmed too, and an article's parts weighted.

One keeps its words unstemmed as well (for "did you mean" and suggestions), the other indexes
an article's parts with a weight each.

Kept apart from :mod:`.spelling` because the schema (pickled into every build) refers to them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from whoosh.analysis import Token
from whoosh.fields import DATETIME, NUMERIC, TEXT, FieldType, SpellField

# Positions skipped between two parts, so that no phrase can span the end of the title and
# the start of the lead (phrases are at most a few dozen words).
PART_GAP = 100


class _UnstemmedSpellField(SpellField):
    """Whoosh's SpellField passes ``nomorph`` where analyzers expect ``no_morph``, so its
    words come out stemmed; this one passes the keyword the analyzers read."""

    def index(self, value, boost=1.0, **kwargs):
        return FieldType.index(self, value, boost=boost, no_morph=True, **kwargs)


class DateColumn(DATETIME):
    """A date kept as a sortable column only, not as terms: what the publication time is for
    (recency, newest first, the newest article) reads the column, and nothing searches it by
    range (date filters use the day). Indexed, a distinct microsecond per article took eight
    terms and their postings: a sixth of the terms of a build."""

    indexed = False


class KeyColumn(NUMERIC):
    """A 64-bit key per article kept as a column only (which articles are copies of one
    another, or versions of one story): results are grouped by it with numpy, nothing
    searches it."""

    indexed = False

    def __init__(self) -> None:
        super().__init__(int, bits=64, signed=False, sortable=True)


class SpelledText(TEXT):
    """A TEXT field that also indexes its words unstemmed under ``spell_<name>`` (when its
    analyzer stems; otherwise the field's own terms are already the words)."""

    def subfields(self):
        yield "", self
        if self.separate_spelling():
            yield self.spelling_prefix, _UnstemmedSpellField(self.analyzer)


@dataclass(frozen=True)
class Parts:
    """The value of a :class:`WeightedText` field: texts, each with the weight of its tokens."""

    parts: tuple[tuple[str, float], ...]


class WeightedText(SpelledText):
    """One field for an article's title, lead and body, each part's tokens weighted.

    Whoosh's posting formats sum the boosts of a word's tokens into the posting's weight,
    which BM25F takes as the term frequency: a word in the title (weight 3) counts three
    times, with one length normalisation over the whole text: one posting-list look-up per
    word, where three fields scored separately and summed would cost three.
    Positions continue across parts after a gap of :data:`PART_GAP`.
    """

    def index(self, value: Any, **kwargs: Any) -> Iterator[tuple[bytes, int, float, bytes]]:
        if not isinstance(value, Parts):
            yield from super().index(value, **kwargs)
            return
        kwargs.setdefault("mode", "index")
        analyzer = _PartsAnalyzer(self.analyzer)
        for text, frequency, weight, encoded in self.format.word_values(value, analyzer, **kwargs):
            yield text.encode("utf-8"), frequency, weight, encoded

    def spellable_words(self, value: Any) -> Iterator[str]:
        if not isinstance(value, Parts):
            return super().spellable_words(value)
        words = {t.text for text, _ in value.parts for t in self.analyzer(text, no_morph=True)}
        return iter(sorted(words))


class _PartsAnalyzer:
    """Runs the field's analyzer over each part in turn, giving its tokens the part's weight."""

    def __init__(self, analyzer: Any) -> None:
        self.analyzer = analyzer

    def __call__(self, value: Parts, **kwargs: Any) -> Iterator[Token]:
        start = 0
        for text, weight in value.parts:
            end = start
            for token in self.analyzer(text, start_pos=start, **kwargs):
                token.boost = weight
                end = getattr(token, "pos", end)
                yield token
            start = end + PART_GAP
