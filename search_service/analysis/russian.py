"""Russian stemming that keeps a name's cases together: Snowball, with a dictionary for names.

Snowball's Russian stemmer takes the nominative of a surname or a place for an inflected
common word and cuts it short (``алиев`` → ``ал``, ``карабах`` → ``караб``), while the
name's other cases keep it whole (``алиева``, ``алиевым`` → ``алиев``): a name typed as
readers type it misses every article that declines it. Such a nominative keeps its full
form when Snowball stems its genitive (the word + ``а``) to the word itself and
pymorphy3's OpenCorpora dictionary reads the word as a name in its dictionary form (or its
guesser, for a surname the dictionary lacks, reads the genitive as that surname's), unless
the dictionary knows the word first as something else; every other word keeps its Snowball
stem, so ordinary words lose none of Snowball's recall. The dictionaries come in the
``pymorphy3-dicts-ru`` package: nothing is downloaded at run time.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from functools import lru_cache

import pymorphy3
import Stemmer
from whoosh.analysis import Token

from .filters import ValueFilter

# OpenCorpora's grammemes of a proper name: surname, place, first name, patronymic.
NAME_TAGS = frozenset({"Surn", "Geox", "Name", "Patr"})
# Only a word ending in a consonant is a name's nominative that Snowball can cut short.
_CONSONANTS = frozenset("бвгджзйклмнпрстфхцчшщ")
_CYRILLIC = _CONSONANTS | frozenset("аеиоуыэюяьъ")

_snowball = Stemmer.Stemmer("russian")
_snowball_lock = threading.Lock()  # a PyStemmer object must not be used by two threads at once


@lru_cache(maxsize=1)
def _morph() -> pymorphy3.MorphAnalyzer:
    """Loaded on first use (about 0.4 s and 15 MB), not at import: most processes that
    import the analyzers never stem Russian."""
    return pymorphy3.MorphAnalyzer(lang="ru")


@lru_cache(maxsize=100_000)
def snowball(word: str) -> str:
    """Snowball's Russian stem of one lower-cased word."""
    with _snowball_lock:
        return _snowball.stemWord(word)


@lru_cache(maxsize=100_000)
def stem(word: str) -> str:
    """The term of one lower-cased Russian word: the word itself when it is a name's
    nominative that Snowball would cut short of its other cases, else Snowball's stem."""
    cut = snowball(word)
    if cut == word or word[-1] not in _CONSONANTS or not _CYRILLIC.issuperset(word):
        return cut
    # The cheap test first (most words are no name): the genitive must meet the word.
    if snowball(word + "а") != word:
        return cut
    morph = _morph()
    # "страхов" is first the genitive plural of "страх", and the dictionary knows it; a
    # surname made of a first name ("байрамов": of "байрам") is first read as that name's.
    # Tags alone first: a quarter of a full parse, and most known words stop here.
    if morph.word_is_known(word):
        if not NAME_TAGS & morph.tag(word)[0].grammemes:
            return cut
        readings = morph.parse(word)
        if any(r.normal_form == word and NAME_TAGS & r.tag.grammemes for r in readings):
            return word
    # A surname the dictionary lacks is guessed from its genitive ("мамедъярова"); other
    # guesses from it are not trusted ("алиевыма" is guessed a place).
    for parse in morph.parse(word + "а"):
        if parse.normal_form == word and "Surn" in parse.tag:
            return word
    return cut


class RussianStemmer(ValueFilter):
    """Applies :func:`stem` to every token; a module-level class, so the schema pickles."""

    is_morph = True

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        for token in tokens:
            token.text = stem(token.text)
            yield token
