"""An article lacking a common typed word can outrank those with every word; phrases and
excluded words stay strict, and ``full_matches`` counts only articles with every word."""

from __future__ import annotations

import pytest

from tests.support.corpus import result_ids as ids
from tests.support.corpus import shared_client

# Per language: a common word, two rare ones, one only the full match has, and filler.
WORDS = {
    "en": ("report", "glacier", "patagonia", "ushuaia", "Weekly digest", "news from the valley"),
    "ru": ("доклад", "ледник", "патагония", "ушуая", "Обзор недели", "новости долины"),
    "az": ("hesabat", "buzlaq", "patagoniya", "uşuaya", "Həftəlik icmal", "vadidən xəbərlər"),
}


def articles(lang: str) -> list[dict[str, str]]:
    common, rare, rarer, unique, title, filler = WORDS[lang]
    made = [
        # what the reader means: both rare words in its title, not the common one
        {"id": f"{lang}-target", "title": f"{rare} {rarer}", "body": filler},
        # every word, once each, in a long body
        {
            "id": f"{lang}-full",
            "title": title,
            "body": f"{common} {filler} {rare} {rarer} {filler} {filler} {unique} {filler}",
        },
    ]
    made += [
        {"id": f"{lang}-common-{n}", "title": f"{title} {n}", "body": f"{common} {filler}"}
        for n in range(6)
    ]
    return [{**article, "lang": lang} for article in made]


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    return shared_client(tmp_path_factory, [a for lang in WORDS for a in articles(lang)])


@pytest.mark.parametrize("lang", WORDS)
def test_an_article_lacking_only_a_common_word_can_come_first(client, lang):
    common, rare, rarer, *_ = WORDS[lang]

    body = client.search(f"{common} {rare} {rarer}", lang=lang)

    assert ids(body)[:2] == [f"{lang}-target", f"{lang}-full"]
    assert body["full_matches"] == 1 and body["relaxed"]


@pytest.mark.parametrize("lang", WORDS)
def test_an_article_lacking_a_rare_word_stays_below_those_with_every_word(client, lang):
    common, rare, _, unique, *_ = WORDS[lang]

    body = client.search(f"{common} {rare} {unique}", lang=lang)

    assert ids(body)[0] == f"{lang}-full"
    assert body["full_matches"] == 1


@pytest.mark.parametrize("lang", WORDS)
def test_a_quoted_phrase_stays_required(client, lang):
    common, rare, rarer, *_ = WORDS[lang]

    body = client.search(f'{common} "{rare} {rarer}"', lang=lang)

    # the articles with only the common word lack the phrase: they only follow, as the
    # articles with some of the words do when few have them all
    assert ids(body)[:2] == [f"{lang}-target", f"{lang}-full"]
    assert body["full_matches"] == 1


@pytest.mark.parametrize("lang", WORDS)
def test_an_excluded_word_stays_excluded(client, lang):
    common, rare, rarer, *_ = WORDS[lang]

    body = client.search(f"{common} {rare} -{rarer}", lang=lang)

    assert not {f"{lang}-target", f"{lang}-full"} & set(ids(body))
