"""The segment writer every write of ours uses: Whoosh's, with each distinct word analysed once.

News text repeats its words: in 3,000 articles the text fields' chains see about 600,000
tokens and 75,000 distinct token texts. Whoosh runs the whole chain (normalisation, folding,
stemming: Python generators stacked per filter) on every token, and the text field's chain a
second time, without the stemmer, for its unstemmed spelling words. Here the tokenizer's
regular expression still runs over all the text (positions come from it), but what the filters
make of a token's text is remembered per writer process, with and without the stemmer, and one
loop per field value gives the terms with their positions and weights and the spelling words.
The postings are the same, byte for byte (``tests/test_bulk_writing.py``): every filter of
our chains maps one token's text to one text and looks at nothing else (:data:`_PURE_FILTERS`);
a field analysed any other way is indexed by Whoosh as before.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from whoosh.analysis import CompositeAnalyzer, PyStemmerFilter, RegexTokenizer, Token
from whoosh.fields import TEXT
from whoosh.formats import Frequency, Positions
from whoosh.system import pack_uint
from whoosh.writing import SegmentWriter

from ..analysis.azerbaijani import AzerbaijaniStemFilter
from ..analysis.filters import ApostropheSuffixFilter, FoldFilter, NormalizeFilter
from .fields import PART_GAP, Parts, SpelledText, WeightedText

_PURE_FILTERS = (
    NormalizeFilter,
    FoldFilter,
    ApostropheSuffixFilter,
    AzerbaijaniStemFilter,
    PyStemmerFilter,
)
# Token texts remembered per chain before the memory starts again (about 25 MB).
LIMIT = 100_000
# What the sorting pool counts a posting as (Whoosh's estimate for a short word and value).
_POSTING_BYTES = 200
# Fields whose ``index`` is Whoosh's own (or WeightedText's for Parts): the ones replayed here.
_TEXT_TYPES = (TEXT, SpelledText, WeightedText)


class _Analysis:
    """A chain of a tokenizer and :data:`_PURE_FILTERS`, run as one loop per field value:
    the tokenizer's matches, each one's analysed text (and its unstemmed one, for spelling)
    from a memory."""

    def __init__(self, analyzer: CompositeAnalyzer) -> None:
        self.tokenizer = analyzer.items[0]
        self.filters = analyzer.items[1:]
        # What CompositeAnalyzer skips under no_morph.
        self.unstemmed = [f for f in self.filters if not getattr(f, "is_morph", False)]
        self.memory: dict[str, tuple[str, str]] = {}
        self.findall = self.tokenizer.expression.findall  # the tokens (see _memoizable)

    def forms(self, text: str) -> tuple[str, str]:
        """What the filters make of one token's text, with and without the stemmer."""
        forms = self.memory.get(text)
        if forms is None:
            if len(self.memory) >= LIMIT:
                self.memory.clear()
            forms = self.memory[text] = (
                _filtered(self.filters, text),
                _filtered(self.unstemmed, text),
            )
        return forms

    def postings(
        self, format_: Any, parts: tuple[tuple[str, float], ...], spelled: set[str] | None
    ) -> list[tuple[bytes, int, float, bytes]]:
        """``format_.word_values`` over ``parts`` (texts and their tokens' boosts, positions
        continuing after :data:`PART_GAP`, as ``fields._PartsAnalyzer`` numbers them),
        encoded as ``FieldType.index`` gives them, in one loop: for Positions and Frequency
        formats and a tokenizer whose tokens are its expression's matches (``findall``)."""
        positional = type(format_) is Positions
        found: dict[str, list[int]] = {}
        weights: dict[str, float] = {}
        start = 0
        for text, boost in parts:
            words = self.findall(text)
            for pos, word in enumerate(words, start):
                forms = self.memory.get(word) or self.forms(word)
                term = forms[0]
                if spelled is not None:
                    spelled.add(forms[1])
                if term in found:
                    found[term].append(pos)
                    weights[term] += boost
                else:
                    found[term] = [pos]
                    weights[term] = 0.0 + boost
            start += (len(words) - 1 if words and positional else 0) + PART_GAP
        field_boost = format_.field_boost
        if positional:
            encode = format_.encode
            return [
                (term.encode("utf-8"), len(poses), weights[term] * field_boost, encode(poses))
                for term, poses in found.items()
            ]
        return [
            (term.encode("utf-8"), len(poses), weights[term] * field_boost, pack_uint(len(poses)))
            for term, poses in found.items()
        ]


def _filtered(filters: list[Any], text: str) -> str:
    tokens: Iterator[Token] = iter([Token(text=text, stopped=False)])
    for item in filters:
        tokens = item(tokens)
    (token,) = tokens
    return token.text


def _memoizable(field: Any) -> bool:
    """True for a text field whose analysis :class:`_Analysis` replays exactly: a regex
    tokenizer whose tokens are its matches (what ``findall`` gives), then pure filters, into
    a Positions or Frequency format."""
    analyzer = field.analyzer
    if type(field) not in _TEXT_TYPES or type(field.format) not in (Positions, Frequency):
        return False
    if type(analyzer) is not CompositeAnalyzer or len(analyzer.items) < 2:
        return False
    tokenizer = analyzer.items[0]
    return (
        type(tokenizer) is RegexTokenizer
        and not tokenizer.gaps
        and not tokenizer.expression.groups
        and all(type(item) in _PURE_FILTERS for item in analyzer.items[1:])
    )


class MemoSegmentWriter(SegmentWriter):
    """Whoosh's ``SegmentWriter``; text fields are analysed through :class:`_Analysis`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._analyses: dict[int, _Analysis | None] = {}  # by id of the field's analyzer

    def _analysis(self, field: Any) -> _Analysis | None:
        key = id(field.analyzer)
        if key not in self._analyses:
            self._analyses[key] = _Analysis(field.analyzer) if _memoizable(field) else None
        return self._analyses[key]

    def _index(self, field: Any, value: Any) -> tuple[Any, list[str] | None]:
        """The field's postings as ``field.index(value)`` gives them, and its spelling words
        (None when they must come from ``field.spellable_words``)."""
        analysis = self._analysis(field)
        if analysis is None or not isinstance(value, (str, Parts)):
            return field.index(value), None
        if isinstance(value, Parts) and not isinstance(field, WeightedText):
            return field.index(value), None
        parts = value.parts if isinstance(value, Parts) else ((value, 1.0),)
        spelled: set[str] | None = set() if field.separate_spelling() else None
        items = analysis.postings(field.format, parts, spelled)
        return items, sorted(spelled or ())

    def _pool_add(self, postings: list[tuple]) -> None:
        """``PostingPool.add`` for each of one field's postings, in one step (the pool's
        memory is counted at a flat :data:`_POSTING_BYTES` a posting)."""
        if not postings:
            return
        pool = self.pool
        pool.fieldnames.add(postings[0][0])
        pool.current.extend(postings)
        pool.currentsize += _POSTING_BYTES * len(postings)
        if pool.currentsize > pool.limit:
            pool.save()

    # Whoosh's SegmentWriter.add_document, with field.index and field.spellable_words
    # replaced by one call to _index.
    def add_document(self, **fields: Any) -> None:
        self._check_state()
        perdocwriter = self.perdocwriter
        schema = self.schema
        docnum = self.docnum

        docboost = self._doc_boost(fields)
        fieldnames = sorted(name for name in fields if not name.startswith("_"))
        self._check_fields(schema, fieldnames)

        perdocwriter.start_doc(docnum)
        vbytes = None
        try:
            for fieldname in fieldnames:
                value = fields.get(fieldname)
                if value is None:
                    continue
                field = schema[fieldname]
                length = 0
                words = None
                if field.indexed:
                    fieldboost = self._field_boost(fields, fieldname, docboost)
                    items, words = self._index(field, value)
                    items = list(items)
                    if field.scorable:
                        length = sum(item[1] for item in items)
                    if items:
                        vbytes = items[-1][3]
                        self._pool_add(
                            [(fieldname, t, docnum, w * fieldboost, v) for t, _, w, v in items]
                        )

                if field.separate_spelling():
                    spellfield = field.spelling_fieldname(fieldname)
                    if words is None:
                        words = field.spellable_words(value)
                    # Whoosh gives a spelling word the value of the last posting added (the
                    # bytes of a build depend on it).
                    self._pool_add([(spellfield, w.encode("utf-8"), 0, 1, vbytes) for w in words])

                if field.vector:
                    vitems = field.vector.word_values(value, field.analyzer, mode="index")
                    vitems = sorted((text, weight, vb) for text, _, weight, vb in vitems)
                    perdocwriter.add_vector_items(fieldname, field, vitems)

                customval = fields.get(f"_stored_{fieldname}", value)
                stored = customval if field.stored else None
                perdocwriter.add_field(fieldname, field, stored, length)

                column = field.column_type
                if column and customval is not None:
                    perdocwriter.add_column_value(
                        fieldname, column, field.to_column_value(customval)
                    )
        except Exception:
            perdocwriter.cancel_doc()
            raise

        perdocwriter.finish_doc()
        self._added = True
        self.docnum += 1
