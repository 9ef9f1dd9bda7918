"""A title holding every typed word (in any form) outranks an article whose title has one of
them and whose body repeats them all."""

from __future__ import annotations

import pytest

from tests.support.corpus import result_ids as ids
from tests.support.corpus import shared_client

# Per language: the two typed words, the headline's forms of them, a title holding only the
# first word, and filler.
WORDS = {
    "en": (
        "harvest drought",
        "Droughts cut the harvest in the south",
        "Harvest festival opens",
        "the village held its fair and the weather was mild",
    ),
    "ru": (
        "урожай засуха",
        "Засуха погубила урожаи на юге",
        "Урожай на ярмарке",
        "в деревне прошла ярмарка и погода была мягкой",
    ),
}


def articles(lang: str) -> list[dict[str, str]]:
    typed, headline, one_word_title, filler = WORDS[lang]
    first, second = typed.split()
    made = [
        # what the reader means: its headline holds both words, its body neither
        {"id": f"{lang}-headline", "title": headline, "body": filler},
        # a title with one word, a body repeating both
        {
            "id": f"{lang}-repeats",
            "title": one_word_title,
            "body": f"{second} {first} {second} {filler} {second} {first} {second}",
        },
    ]
    made += [
        {"id": f"{lang}-other-{n}", "title": f"{filler} {n}", "body": f"{filler} {first}"}
        for n in range(8)
    ]
    return [{**article, "lang": lang} for article in made]


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    return shared_client(tmp_path_factory, [a for lang in WORDS for a in articles(lang)])


@pytest.mark.parametrize("lang", WORDS)
def test_a_title_with_every_word_outranks_a_body_repeating_them(client, lang):
    typed = WORDS[lang][0]

    body = client.search(typed, lang=lang)

    assert ids(body)[:2] == [f"{lang}-headline", f"{lang}-repeats"]
    assert body["full_matches"] == 2


@pytest.mark.parametrize("lang", WORDS)
def test_newest_first_is_not_reordered_by_the_title(client, lang):
    typed = WORDS[lang][0]

    body = client.search(typed, lang=lang, sort="newest")

    assert sorted(ids(body)) == [f"{lang}-headline", f"{lang}-repeats"]
