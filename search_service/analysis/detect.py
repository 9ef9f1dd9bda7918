"""Guess an article's language from its letters when the record does not say.

A script-and-letter heuristic, not a statistical model: Cyrillic text is Russian, Latin text
with the schwa (ə) is Azerbaijani, Latin text with other Turkic letters is Turkish, other
Latin text is English. It is cheap and right for the site's three languages.
"""

from __future__ import annotations

import unicodedata

AZERBAIJANI_ONLY = frozenset("əƏ")
TURKIC_LETTERS = frozenset("ıİğĞşŞ")


def detect_language(text: str) -> str | None:
    """Return an ISO 639-1 code, or None when the text has no letters to go by."""
    cyrillic = latin = 0
    letters = set()
    for char in text:
        if not char.isalpha():
            continue
        name = unicodedata.name(char, "")
        if name.startswith("CYRILLIC"):
            cyrillic += 1
        elif name.startswith("LATIN"):
            latin += 1
            letters.add(char)
    if not cyrillic and not latin:
        return None
    if cyrillic > latin:
        return "ru"
    if letters & AZERBAIJANI_ONLY:
        return "az"
    if letters & TURKIC_LETTERS:
        return "tr"
    return "en"


def cyrillic_only(text: str) -> bool:
    """True when every letter of ``text`` is Cyrillic (and there is at least one)."""
    letters = [char for char in text if char.isalpha()]
    return bool(letters) and all(
        unicodedata.name(char, "").startswith("CYRILLIC") for char in letters
    )
