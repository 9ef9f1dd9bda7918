"""Token filters of our own, written to pickle (Whoosh stores the schema inside the index)."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator

from whoosh.analysis import Filter, Token

# What str.lower and str.casefold make of İ: a plain i followed by U+0307 COMBINING DOT ABOVE.
_I_WITH_DOT = "i\u0307"


def normalize(text: str, *, turkic: bool = False) -> str:
    """Fold a token to its indexed form.

    NFKC first (ligatures, full-width and compatibility forms), then Turkic casing when asked:
    dotless I → ı, which case folding alone gets wrong. Dotted İ folds to plain i in every
    language: case folding gives i plus a combining dot, and the dot is dropped, also in text
    that was lowercased upstream with ``str.lower``. So a Turkish name in an English article
    stays findable. Russian ё folds to е, as readers type it.
    """
    text = unicodedata.normalize("NFKC", text)
    if turkic:
        text = text.replace("I", "ı")
    return text.casefold().replace(_I_WITH_DOT, "i").replace("ё", "е")


class ValueFilter(Filter):
    """A filter equal to, and hashing like, another of its class with the same settings, so
    analyzers built from the same parts compare equal (Whoosh compares fields' analyzers)."""

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and vars(other) == vars(self)

    def __hash__(self) -> int:
        return hash((type(self), tuple(sorted(vars(self).items()))))


class NormalizeFilter(ValueFilter):
    """Applies :func:`normalize` to every token."""

    def __init__(self, turkic: bool = False) -> None:
        self.turkic = turkic

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        for token in tokens:
            token.text = normalize(token.text, turkic=self.turkic)
            yield token


# Apostrophes that join a Turkic proper noun to its suffixes (Bakı'da, Broncos'un).
APOSTROPHES = "'’ʼ"


class ApostropheSuffixFilter(ValueFilter):
    """Drops what follows an apostrophe inside a token: Turkish and Azerbaijani spelling puts
    the inflection of a proper noun there (``Broncos'un``, ``Bakı'ya``), and the noun alone is
    the word. The tokenizer keeps such a token whole, so the suffix is not indexed (or
    required by a query) as a word of its own."""

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        for token in tokens:
            for mark in APOSTROPHES:
                token.text = token.text.split(mark, 1)[0]
            yield token


# Latin letters that are not a base letter plus a combining mark, and their plain forms: the
# one table of folding, for the index's folded fields and for every comparison key.
_PLAIN_LATIN = str.maketrans(
    {"ə": "e", "ı": "i", "ø": "o", "đ": "d", "ł": "l", "ß": "ss", "æ": "ae"}
)


def fold(text: str) -> str:
    """Drop the diacritics of Latin letters (ə→e, ı→i, ğ→g, ş→s, é→e...), as readers type on
    a keyboard without them. Other scripts keep their marks: й is not и. Case is kept: in the
    analyzers this runs after :func:`normalize`."""
    kept: list[str] = []
    for char in unicodedata.normalize("NFD", text.translate(_PLAIN_LATIN)):
        if unicodedata.combining(char) and kept and kept[-1].isascii():
            continue
        kept.append(char)
    return unicodedata.normalize("NFC", "".join(kept))


def search_key(text: str) -> str:
    """The case- and diacritics-insensitive form under which typed text meets index words
    (suggestions, "did you mean", synonym entries): :func:`normalize`, then :func:`fold`.
    ``Qarabağ`` and ``QARABAG`` → ``qarabag``, ``Ёлка`` → ``елка``, ``İstanbul`` → ``istanbul``."""
    return fold(normalize(text))


class FoldFilter(ValueFilter):
    """Applies :func:`fold` to every token (after :class:`NormalizeFilter`)."""

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        for token in tokens:
            token.text = fold(token.text)
            yield token
