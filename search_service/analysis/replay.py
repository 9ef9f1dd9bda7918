"""Token filters that map one token's text to one text, replayed as a plain function of it.

What such a filter makes of a token depends on the token's text alone, so a writer may
remember it per distinct word instead of running Whoosh's chain (Python generators stacked
per filter) on every token: :func:`replayable` says whether a chain is made only of them,
:func:`word_function` runs them as one function of a token's text.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from whoosh.analysis import CompositeAnalyzer, PyStemmerFilter, RegexTokenizer, Token

from .azerbaijani import AzerbaijaniStemFilter, AzerbaijaniStemmer, stem
from .filters import (
    APOSTROPHES,
    ApostropheSuffixFilter,
    FoldFilter,
    NormalizeFilter,
    fold,
    normalize,
)
from .russian import RussianStemmer
from .russian import stem as russian_stem

PURE_FILTERS = (
    NormalizeFilter,
    FoldFilter,
    ApostropheSuffixFilter,
    AzerbaijaniStemFilter,
    AzerbaijaniStemmer,
    PyStemmerFilter,
    RussianStemmer,
)


def replayable(analyzer: Any) -> bool:
    """True for a chain of a regex tokenizer whose tokens are its matches (what its
    expression's ``findall`` gives) and :data:`PURE_FILTERS` only."""
    if type(analyzer) is not CompositeAnalyzer or len(analyzer.items) < 2:
        return False
    tokenizer = analyzer.items[0]
    return (
        type(tokenizer) is RegexTokenizer
        and not tokenizer.gaps
        and not tokenizer.expression.groups
        and all(type(item) in PURE_FILTERS for item in analyzer.items[1:])
    )


def word_function(filters: list[Any]) -> Callable[[str], str]:
    """What ``filters`` make of one token's text, as one function of the text."""
    steps = [_step(item) for item in filters]

    def analysed(text: str) -> str:
        for step in steps:
            text = step(text)
        return text

    return analysed


def _step(item: Any) -> Callable[[str], str]:
    """One of :data:`PURE_FILTERS` as a function of a token's text."""
    kind = type(item)
    if kind is NormalizeFilter:
        return partial(normalize, turkic=item.turkic)
    if kind is FoldFilter:
        return fold
    if kind is ApostropheSuffixFilter:
        return _drop_suffix
    if kind in (AzerbaijaniStemFilter, AzerbaijaniStemmer):
        return partial(stem, harmony=item.harmony)
    if kind is PyStemmerFilter and not item.ignore:
        return item._stem
    if kind is RussianStemmer:
        return russian_stem
    return partial(_filtered, item)


def _drop_suffix(text: str) -> str:
    for mark in APOSTROPHES:
        text = text.split(mark, 1)[0]
    return text


def _filtered(item: Any, text: str) -> str:
    (token,) = item(iter([Token(text=text, stopped=False)]))
    return token.text
