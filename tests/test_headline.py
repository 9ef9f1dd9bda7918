"""A title that holds every word of the query outranks a body that repeats them."""

from __future__ import annotations

import pytest

from tests.support.corpus import shared_client


def article(id: str, lang: str, title: str, body: str) -> dict[str, str]:
    return {"id": id, "lang": lang, "title": title, "body": body}


# In each language: the headline with both words, and an article whose body repeats them
# (one of them in its title) as a long report would.
ARTICLES = [
    article("en-headline", "en", "Wheat exports recover", "Shipments rose in the spring."),
    article(
        "en-repeats",
        "en",
        "Grain report: wheat",
        "Wheat prices and wheat exports; exports of wheat and more exports of wheat again.",
    ),
    article("ru-headline", "ru", "Экспорт пшеницы вырос", "Отгрузки выросли весной."),
    article(
        "ru-repeats",
        "ru",
        "Обзор рынка: пшеница",
        "Цены на пшеницу и экспорт пшеницы; экспорт пшеницы и снова экспорт пшеницы.",
    ),
    article("az-headline", "az", "Buğda ixracı artdı", "Yaz aylarında göndərişlər artdı."),
    article(
        "az-repeats",
        "az",
        "Bazar icmalı: buğda",
        "Buğda qiyməti və buğda ixracı; buğda ixracı və yenə buğda ixracı.",
    ),
    article("en-other", "en", "Harbour news", "Cranes arrived at the harbour."),
]


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    return shared_client(tmp_path_factory, ARTICLES)


@pytest.mark.parametrize(
    ("q", "lang", "first"),
    [
        ("wheat exports", "en", "en-headline"),
        ("экспорт пшеницы", "ru", "ru-headline"),
        ("buğda ixracı", "az", "az-headline"),
    ],
)
def test_a_title_with_every_word_outranks_body_repetition(client, q, lang, first):
    body = client.search(q, lang=lang)

    ranked = [hit["id"] for hit in body["results"]]
    assert ranked[0] == first
    assert body["full_matches"] == 2
