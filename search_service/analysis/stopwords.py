"""Stop words per language: left out of a query's loose words, kept everywhere else.

The index keeps every word, so a quoted phrase ("the who", "то же самое") still matches
exactly; only the separate words of a query drop their stop words, so that requiring every
word does not require "the" or "и" and ranking is not diluted by them. English, Russian and
Turkish lists are Whoosh's (Snowball's); the Azerbaijani one is a function-word subset of an
MIT-licensed list (see NOTICE).
"""

from __future__ import annotations

from functools import cache
from importlib import resources

from whoosh.lang.stopwords import stoplists


@cache
def stop_words(language: str) -> frozenset[str]:
    """The stop words of a language code (lower-cased, unanalysed); empty when we have none."""
    if language == "az":
        text = resources.files(__package__).joinpath("data/stopwords-az.txt").read_text("utf-8")
        return frozenset(
            line.strip() for line in text.splitlines() if line.strip() and line[0] != "#"
        )
    return frozenset(stoplists.get(language, ()))
