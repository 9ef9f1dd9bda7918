"""Token filters of our own, written to pickle (Whoosh stores the schema inside the index)."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator

from whoosh.analysis import Filter, Token


def normalize(text: str, *, turkic: bool = False) -> str:
    """Fold a token to its indexed form.

    NFKC first (ligatures, full-width and compatibility forms), then Turkic casing when asked:
    dotted İ → i and dotless I → ı, which ``str.lower`` gets wrong (it maps İ to i plus a
    combining dot). Outside Turkic languages İ still folds to plain i, so a Turkish name in an
    English article stays findable. Russian ё folds to е, as readers type it.
    """
    text = unicodedata.normalize("NFKC", text).replace("İ", "i")
    if turkic:
        text = text.replace("I", "ı")
    return text.casefold().replace("ё", "е")


class NormalizeFilter(Filter):
    """Applies :func:`normalize` to every token."""

    def __init__(self, turkic: bool = False) -> None:
        self.turkic = turkic

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.turkic == self.turkic

    def __hash__(self) -> int:
        return hash((type(self), self.turkic))

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        for token in tokens:
            token.text = normalize(token.text, turkic=self.turkic)
            yield token
