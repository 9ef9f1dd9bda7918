"""A text field's analysis run once per distinct word in a writer process.

A field value's postings and spelling words come from a memory of what the chain makes of each
token's text. News text repeats its words: in 3,000 articles the text fields' chains see about
600,000 tokens and 75,000 distinct token texts. Whoosh runs the whole chain (normalisation,
folding, stemming: Python generators stacked per filter) on every token, and the text field's
chain a second time, without the stemmer, for its unstemmed spelling words. Here the
tokenizer's regular expression still runs over all the text (positions come from it), but what
the filters make of a token's text is remembered per writer process, with and without the
stemmer, and one loop per field value gives the terms with their positions and weights and the
spelling words. The postings are the same, byte for byte (``tests/test_bulk_writing.py``):
every filter of our chains maps one token's text to one text and looks at nothing else
(:data:`search_service.analysis.replay.PURE_FILTERS`); a field analysed any other way is
indexed by Whoosh as before.
"""

from __future__ import annotations

from typing import Any

from whoosh.analysis import CompositeAnalyzer
from whoosh.fields import TEXT
from whoosh.formats import Frequency, Positions
from whoosh.system import pack_uint

from ..analysis.replay import replayable, word_function
from .fields import PART_GAP, SpelledText, WeightedText

# Token texts remembered per chain before the memory starts again (about 25 MB).
LIMIT = 100_000
# Fields whose ``index`` is Whoosh's own (or WeightedText's for Parts): the ones replayed here.
_TEXT_TYPES = (TEXT, SpelledText, WeightedText)


class FieldAnalysis:
    """A replayable chain (a regex tokenizer and pure filters), run as one loop per field value:
    the tokenizer's matches, each one's analysed text (and its unstemmed one, for spelling)
    from a memory."""

    def __init__(self, analyzer: CompositeAnalyzer, shared_values: bool = False) -> None:
        self.tokenizer = analyzer.items[0]
        self.filters = analyzer.items[1:]
        # What CompositeAnalyzer skips under no_morph.
        self.unstemmed = [f for f in self.filters if not getattr(f, "is_morph", False)]
        self.stem = word_function(self.filters)
        self.unstem = word_function(self.unstemmed)
        # A token's text → its term (UTF-8) and its unstemmed form.
        self.memory: dict[str, tuple[bytes, str]] = {}
        self.findall = self.tokenizer.expression.findall  # the tokens (see memoizable)
        # Encoded positions of one-position postings, one object per position, when the
        # writer copies values (pickle writes an object met twice as a reference to it).
        self.single: dict[int, bytes] | None = {} if shared_values else None

    def forms(self, text: str) -> tuple[bytes, str]:
        """What the filters make of one token's text, with and without the stemmer."""
        forms = self.memory.get(text)
        if forms is None:
            if len(self.memory) >= LIMIT:
                self.memory.clear()
            forms = self.memory[text] = (self.stem(text).encode("utf-8"), self.unstem(text))
        return forms

    def postings(
        self, format_: Any, parts: tuple[tuple[str, float], ...], spelled: set[str] | None
    ) -> list[tuple[bytes, int, float, bytes]]:
        """``format_.word_values`` over ``parts`` (texts and their tokens' boosts, positions
        continuing after :data:`PART_GAP`, as ``fields._PartsAnalyzer`` numbers them),
        encoded as ``FieldType.index`` gives them, in one loop: for Positions and Frequency
        formats and a tokenizer whose tokens are its expression's matches (``findall``)."""
        positional = type(format_) is Positions
        memory = self.memory
        found: dict[bytes, list[int]] = {}
        weights: dict[bytes, float] = {}
        start = 0
        for text, boost in parts:
            words = self.findall(text)
            forms = [memory.get(word) or self.forms(word) for word in words]
            if spelled is not None:
                spelled.update([form[1] for form in forms])
            for pos, (term, _) in enumerate(forms, start):
                if term in found:
                    found[term].append(pos)
                    weights[term] += boost
                else:
                    found[term] = [pos]
                    weights[term] = 0.0 + boost
            start += (len(words) - 1 if words and positional else 0) + PART_GAP
        field_boost = format_.field_boost
        if not positional:
            return [
                (term, len(poses), weights[term] * field_boost, pack_uint(len(poses)))
                for term, poses in found.items()
            ]
        encode, single = format_.encode, self.single
        if single is None:
            return [
                (term, len(poses), weights[term] * field_boost, encode(poses))
                for term, poses in found.items()
            ]
        return [
            (
                term,
                len(poses),
                weights[term] * field_boost,
                (single.get(poses[0]) or self._single(format_, poses[0]))
                if len(poses) == 1
                else encode(poses),
            )
            for term, poses in found.items()
        ]

    def _single(self, format_: Any, pos: int) -> bytes:
        encoded = self.single[pos] = format_.encode([pos])  # type: ignore[index]
        return encoded


def memoizable(field: Any) -> bool:
    """True for a text field whose analysis :class:`FieldAnalysis` replays exactly: a
    replayable chain (:func:`~search_service.analysis.replay.replayable`) into a Positions or
    Frequency format."""
    if type(field) not in _TEXT_TYPES or type(field.format) not in (Positions, Frequency):
        return False
    return replayable(field.analyzer)
