"""A light, rule-based Azerbaijani stemmer: strips inflection, never derivation.

Snowball has no Azerbaijani stemmer and Turkish Snowball gets Azerbaijani letters (ə, q, x)
and suffixes (-lər, -da/-də, -dan/-dən) wrong. This one strips suffixes from the end of a
word, outermost first, while each step keeps the word well formed:

* vowel harmony: a suffix with a back vowel (a ı o u) only follows a stem whose last vowel is
  back, one with a front vowel (e ə i ö ü) only a front one (front/back only: loanwords
  often break rounding harmony);
* buffer consonants: the vowel-initial variant of a suffix (``-ın``, ``-a``, ``-ı``) only
  follows a consonant, the buffered one (``-nın``, ``-ya``, ``-sı``, ``-nı``) only a vowel;
* guards against over-stemming: the remaining stem keeps a vowel and at least
  :data:`MIN_STEM` letters (:data:`MIN_STEM_LONG_SUFFIX` after a suffix of three letters or
  more when the stem ends in a consonant, :data:`MIN_STEM_AFTER_VOWEL` after a single-vowel
  suffix), so short words and names stay whole (``Bakı`` is not ``Bak``,
  ``Gəncə`` is not ``gənc``; ``Bakıda`` and ``Bakının`` both stem to ``bakı``).

Covered: plural -lar/-lər; possessives (-ım, -ımız, -ınız, -(s)ı); the cases (genitive
-nın, or -ın read as a final n; dative -(y)a, accusative -(n)ı, locative -da, ablative
-dan, and -nda/-na/-ndan after a possessive); instrumental -(y)la; -dakı; the copula -dır;
and the commonest verb endings of news text (past -dı, evidential -mış, converb -(y)ıb,
future -(y)acaq, present -(y)ır, infinitive -maq, participle -dıq). A final ğ is written q,
so the softened stem of ``olunacağı`` meets ``olunacaq`` and ``Qarabağda`` meets
``Qarabağ``. Derivational suffixes (-çı, -lıq, -sız, ...) are kept: they change the meaning.

The rules and guards are our own; the inventory was cross-checked against the suffix list of
the MIT-licensed azerbaijanistemmer (AzerbaijaniNLP Research Group), nothing copied.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache

from whoosh.analysis import Token

from .filters import ValueFilter

BACK = frozenset("aıou")
FRONT = frozenset("eəiöü")
VOWELS = BACK | FRONT
POSSESSIVE_VOWELS = frozenset("ıiuü")
MIN_STEM = 3
MIN_STEM_LONG_SUFFIX = 2
MIN_STEM_AFTER_VOWEL = 5
MAX_STEPS = 6

# Suffix templates: A = a/ə, I = ı/i/u/ü. "V" = only after a vowel (buffered form),
# "P" = only after the vowel of a 3rd-person possessive (ı/i/u/ü: evi-ndə, evi-nə),
# "C" = only after a consonant, "" = after either.
_TEMPLATES = (
    # copula / predicative
    ("dIr", ""),
    # plural
    ("lAr", ""),
    # cases, with the buffered forms that follow a 3rd-person possessive
    ("dAn", ""),
    ("ndAn", "P"),
    ("dA", ""),
    ("ndA", "P"),
    ("dAkI", ""),
    ("nIn", "V"),
    ("yA", "V"),
    ("nA", "P"),
    ("A", "C"),
    ("nI", "P"),
    ("I", "C"),
    ("ylA", "V"),
    ("lA", ""),
    # possessives
    ("sI", "V"),
    ("ImIz", "C"),
    ("mIz", "V"),
    ("InIz", "C"),
    ("nIz", "V"),
    ("Im", "C"),
    # verb endings common in news text
    ("dI", ""),
    ("dIq", ""),
    ("mIş", ""),
    ("Ib", "C"),
    ("yIb", "V"),
    ("AcAq", "C"),
    ("yAcAq", "V"),
    ("Ir", "C"),
    ("yIr", "V"),
    ("mAq", ""),
)


def _expand(template: str) -> list[str]:
    forms = [""]
    for char in template:
        options = {"A": "aə", "I": "ıiuü"}.get(char, char)
        forms = [form + option for form in forms for option in options]
    # a final q is k after a front vowel: -maq/-mək, -acaq/-əcək, -dıq/-dik
    return [form[:-1] + "k" if form[-1] == "q" and form[-2] in FRONT else form for form in forms]


# suffix → required preceding sound ("V", "C" or ""), longest suffixes tried first
SUFFIXES: dict[str, str] = dict(
    sorted(
        ((form, after) for template, after in _TEMPLATES for form in _expand(template)),
        key=lambda item: -len(item[0]),
    )
)


def _last_vowel(text: str) -> str | None:
    for char in reversed(text):
        if char in VOWELS:
            return char
    return None


def _suffix_vowel(suffix: str) -> str | None:
    for char in suffix:
        if char in VOWELS:
            return char
    return None


# The same, by last letter: a word is only compared with suffixes that end like it.
_BY_LAST: dict[str, list[tuple[str, str]]] = {}
for _suffix, _after in SUFFIXES.items():
    _BY_LAST.setdefault(_suffix[-1], []).append((_suffix, _after))


def _strip_once(word: str, harmony: bool) -> str | None:
    """The word without its outermost inflectional suffix, or None when none may go."""
    for suffix, after in _BY_LAST.get(word[-1:], ()):
        if not word.endswith(suffix):
            continue
        stem = word[: -len(suffix)]
        if len(stem) < MIN_STEM_LONG_SUFFIX:
            continue
        ends_in_vowel = stem[-1] in VOWELS
        minimum = (MIN_STEM_AFTER_VOWEL, MIN_STEM, MIN_STEM_LONG_SUFFIX)[min(len(suffix), 3) - 1]
        if len(stem) < (MIN_STEM if ends_in_vowel else minimum) or len(stem) < minimum:
            continue
        last = _last_vowel(stem)
        if last is None:
            continue
        if (
            (after == "V" and not ends_in_vowel)
            or (after == "P" and stem[-1] not in POSSESSIVE_VOWELS)
            or (after == "C" and ends_in_vowel)
        ):
            continue
        vowel = _suffix_vowel(suffix)
        if harmony and vowel is not None and (vowel in BACK) != (last in BACK):
            continue
        return stem
    return None


@lru_cache(maxsize=100_000)
def stem(word: str, *, harmony: bool = True) -> str:
    """Stem one lower-cased (Turkic-cased) Azerbaijani word.

    ``harmony=False`` is for text folded to plain Latin letters (ə→e, ı→i), where the
    front/back distinction of ı and i is lost.
    """
    if word.endswith("ğ"):
        word = word[:-1] + "q"
    for _ in range(MAX_STEPS):
        shorter = _strip_once(word, harmony)
        if shorter is None and len(word) >= 4 and word[-1] == "n" and word[-2] in VOWELS:
            # The genitive -ın after a consonant is an ending n after a vowel, like the n of
            # İran or qanun: -nın after a vowel and -ın after n read alike (Bakı-nın,
            # İran-ın). Dropping such an n makes all readings meet (iran, iranın → ira).
            shorter = word[:-1]
        if shorter is None:
            break
        word = shorter
        if word.endswith("ğ"):  # softened before a vowel: olunacağı → olunacaq
            word = word[:-1] + "q"
    return word


class AzerbaijaniStemFilter(ValueFilter):
    """Applies :func:`stem` to every token; a module-level class, so the schema pickles.

    Builds made before :class:`AzerbaijaniStemmer` pickled this class: it does not say it
    stems (``is_morph``), so their Azerbaijani fields have no unstemmed spelling sub-field and
    their vocabulary is of stems. It stays as it was so that those builds keep reading.
    """

    def __init__(self, harmony: bool = True) -> None:
        self.harmony = harmony

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        for token in tokens:
            token.text = stem(token.text, harmony=self.harmony)
            yield token


class AzerbaijaniStemmer(AzerbaijaniStemFilter):
    """The stemmer of new builds: it says it stems, as Whoosh's own stemmers do, so a field's
    unstemmed spelling words (``no_morph``) are the words as written, which suggestions and
    "did you mean" offer (``Qarabağ``, ``qələbə``; not the stems ``qarabaq``, ``qələb``)."""

    is_morph = True
