"""Per-language text analysis: one Whoosh analyzer per language, the same at index and query time.

Every analyzer tokenises on Unicode letters and digits, then normalises (NFKC, case folding
with the Turkic I/İ rules where they apply, ё→е), then stems with the language's Snowball
stemmer when PyStemmer has one, or with our own (Azerbaijani, which Snowball lacks).
Languages without a dedicated analyzer share the generic one.
"""

from __future__ import annotations

import unicodedata

import Stemmer
from whoosh.analysis import Analyzer, PyStemmerFilter, RegexTokenizer

from ..errors import ConfigError
from .azerbaijani import AzerbaijaniStemmer
from .detect import cyrillic_only, detect_language
from .filters import APOSTROPHES, ApostropheSuffixFilter, FoldFilter, NormalizeFilter
from .russian import RussianStemmer

GENERIC = "generic"
TURKIC = frozenset({"az", "tr"})

# ISO 639-1 code → PyStemmer (Snowball) algorithm name.
SNOWBALL = {
    "ar": "arabic", "ca": "catalan", "cs": "czech", "da": "danish", "de": "german",
    "el": "greek", "en": "english", "eo": "esperanto", "es": "spanish", "et": "estonian",
    "eu": "basque", "fa": "persian", "fi": "finnish", "fr": "french", "ga": "irish",
    "hi": "hindi", "hu": "hungarian", "hy": "armenian", "id": "indonesian", "it": "italian",
    "lt": "lithuanian", "ne": "nepali", "nl": "dutch", "no": "norwegian", "pl": "polish",
    "pt": "portuguese", "ro": "romanian", "ru": "russian", "sr": "serbian", "st": "sesotho",
    "sv": "swedish", "ta": "tamil", "tr": "turkish", "yi": "yiddish",
}  # fmt: skip
# Languages Snowball lacks or needs help with, with a stemmer of our own (a Whoosh filter
# class): Azerbaijani has no Snowball stemmer; Russian's cuts names short (see russian.py).
OWN_STEMMERS: dict[str, type] = {"az": AzerbaijaniStemmer, "ru": RussianStemmer}


def _combining_marks() -> str:
    """A regex class of every combining mark in the Basic Multilingual Plane.

    Python's ``\\w`` leaves out combining marks, which would split Hindi or Tamil words at
    every vowel sign and Arabic or Hebrew words at every vowel point.
    """
    ranges, start, previous = [], None, 0
    for code in range(0x300, 0x10000):
        if unicodedata.category(chr(code)).startswith("M"):
            start = code if start is None else start
            previous = code
        elif start is not None:
            ranges.append(f"\\u{start:04x}-\\u{previous:04x}")
            start = None
    return "".join(ranges)


COMBINING_MARKS = _combining_marks()
# Letters and digits, keeping combining marks attached to the letter they follow.
TOKEN_PATTERN = rf"[^\W_](?:[^\W_]|[{COMBINING_MARKS}])*"
# Turkic languages: a word with its suffixes after an apostrophe is one token (Bakı'da).
TURKIC_TOKEN_PATTERN = rf"{TOKEN_PATTERN}(?:[{APOSTROPHES}]{TOKEN_PATTERN})?"

# Languages whose script has no Latin diacritics to fold (Russian ё→е is already normalised).
NON_LATIN = frozenset({"ar", "el", "fa", "hi", "hy", "ne", "ru", "ta", "yi"})

__all__ = [
    "GENERIC",
    "analyzer_for",
    "check_languages",
    "cyrillic_only",
    "detect_language",
    "folded_analyzer_for",
    "latin_script",
]


def latin_script(group: str) -> bool:
    """True for a field set whose language is written in Latin letters only."""
    return group != GENERIC and group not in NON_LATIN


def check_languages(codes: tuple[str, ...]) -> tuple[str, ...]:
    """Fail early on a configured language that has no analyzer."""
    available = set(Stemmer.algorithms())
    for code in codes:
        if code not in OWN_STEMMERS and SNOWBALL.get(code) not in available:
            raise ConfigError(
                f"SEARCH_LANGUAGES: no analyzer for {code!r}; "
                f"choose from {', '.join(sorted(supported_languages()))}"
            )
    return codes


def supported_languages() -> set[str]:
    available = set(Stemmer.algorithms())
    return {code for code, name in SNOWBALL.items() if name in available} | set(OWN_STEMMERS)


def analyzer_for(language: str) -> Analyzer:
    """The analyzer for a language code, or the generic one for :data:`GENERIC`."""
    return _chain(language, folded=False)


def folded_analyzer_for(language: str) -> Analyzer | None:
    """The same chain with Latin diacritics folded before stemming, for the secondary
    diacritic-insensitive field; None for scripts that have nothing to fold."""
    return None if language in NON_LATIN else _chain(language, folded=True)


def _chain(language: str, folded: bool) -> Analyzer:
    if language in TURKIC:
        chain = RegexTokenizer(TURKIC_TOKEN_PATTERN) | ApostropheSuffixFilter()
    else:
        chain = RegexTokenizer(TOKEN_PATTERN)
    chain = chain | NormalizeFilter(turkic=language in TURKIC)
    if folded:
        chain = chain | FoldFilter()
    if language == "az":
        # folded text has lost the front/back distinction of ı and i
        chain = chain | AzerbaijaniStemmer(harmony=not folded)
    elif language in OWN_STEMMERS:
        chain = chain | OWN_STEMMERS[language]()
    elif language in SNOWBALL:
        chain = chain | PyStemmerFilter(SNOWBALL[language])
    return chain
