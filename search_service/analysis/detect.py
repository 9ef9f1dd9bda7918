"""Guess an article's language from its letters when the record does not say.

A script-letter-and-word heuristic, not a statistical model, tuned for short texts such as
titles (measured with ``bench/detect.py``). Links are ignored. Text with a fair share of
Cyrillic letters, or a Russian function word, is Russian.
Latin text is Azerbaijani or Turkish when it has a letter of their alphabets (ə is
Azerbaijani only; ı, İ, ğ, ş always count, ç, ö, ü only with other evidence); between the
two, q and x (Azerbaijani -aq, Turkish -ak), each language's function words and Turkish
spellings (İstanbul'da, -yor) decide, Azerbaijani when nothing does. Other
Latin text is English.
"""

from __future__ import annotations

import re
import unicodedata

AZERBAIJANI_ONLY = frozenset("əƏ")
TURKIC_LETTERS = frozenset("ıİğĞşŞ")
TURKIC_WEAK = frozenset("çÇöÖüÜ")
AZ_WORDS = frozenset(
    {"və", "üçün", "ilə", "isə", "olub", "olan", "edib", "edilib", "olacaq", "deyil", "yeni",
     "haqqında", "barədə", "xəbər", "hansı", "neçə", "nə", "necə", "harada", "kimi"}
)  # fmt: skip
TR_WORDS = frozenset(
    {"ve", "için", "ile", "değil", "olarak", "gibi", "kadar", "sonra", "ama", "haber", "oldu",
     "kaç", "hangi", "nedir", "ne", "mi", "mı", "mu", "mü", "nerede", "nasıl", "neden", "kimin"}
)  # fmt: skip
RU_WORDS = frozenset(
    {"и", "в", "во", "на", "о", "об", "с", "со", "у", "к", "для", "по", "от", "из", "за", "не",
     "что", "как"}
)  # fmt: skip
_LINK = re.compile(r"\]\([^)]*\)|https?://\S+|www\.\S+")
# Turkish spellings Azerbaijani does not use: the apostrophe before a suffix (İstanbul'da),
# the present tense -yor, and a final k after a back vowel (-ak, -mak; Azerbaijani -aq, -maq).
_TR_SHAPE = re.compile(r"['’]|yor|[aıou]k$")
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")


def detect_language(text: str) -> str | None:
    """Return an ISO 639-1 code, or None when the text has no letters to go by."""
    text = _LINK.sub(" ", text)
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
    words = [word.casefold() for word in _WORD.findall(text)]
    if cyrillic * 3 >= latin or (cyrillic and RU_WORDS.intersection(words)):
        return "ru"  # Russian text often quotes Latin brand names; English rarely Cyrillic
    if letters & AZERBAIJANI_ONLY:
        return "az"
    az = sum(word in AZ_WORDS or "q" in word or "x" in word for word in words)
    tr = sum(word in TR_WORDS or _TR_SHAPE.search(word) is not None for word in words)
    turkic = bool(letters & TURKIC_LETTERS) or bool(letters & TURKIC_WEAK and (az or tr))
    if not turkic:
        return "en"
    return "tr" if tr > az else "az"


def cyrillic_only(text: str) -> bool:
    """True when every letter of ``text`` is Cyrillic (and there is at least one)."""
    letters = [char for char in text if char.isalpha()]
    return bool(letters) and all(
        unicodedata.name(char, "").startswith("CYRILLIC") for char in letters
    )
