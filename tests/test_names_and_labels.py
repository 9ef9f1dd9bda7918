"""Names in every case, and an article's tags and category searched as its words.

Every test runs the real app over a real index built on disk from the short articles below.
"""

from __future__ import annotations

import pytest

from search_service.analysis import analyzer_for
from tests.support.corpus import result_ids as ids
from tests.support.corpus import shared_client


def article(id: str, lang: str, title: str, body: str, **more: object) -> dict[str, object]:
    return {"id": id, "lang": lang, "title": title, "body": body, **more}


ARTICLES = [
    article("ru-surname", "ru", "Визит министра", "Вчера в столице прошла встреча с Садыховым."),
    article("ru-place", "ru", "Дороги региона", "К Агдаму проложили новую трассу."),
    article("ru-tables", "ru", "Мебель", "Мастерская делает десятки столов в месяц."),
    article("az-surname", "az", "Prezidentin səfəri", "Görüşdə Əliyevin çıxışı dinlənildi."),
    article("en-surname", "en", "State visit", "The talks with Aliyev lasted two hours."),
    article(
        "en-tagged",
        "en",
        "Saturday results",
        "Both sides scored twice in the second half.",
        tags=["football", "Premier League"],
        category="sport",
    ),
    article(
        "az-tagged",
        "az",
        "Yeni layihə",
        "Fermerlər üçün yeni proqram təqdim edildi.",
        tags=["aqrotexnologiya"],
        category="İqtisadiyyat",
    ),
    article(
        "ru-tagged",
        "ru",
        "Новая программа",
        "Фермерам представили программу поддержки.",
        tags=["агротехнологии"],
    ),
]


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    return shared_client(tmp_path_factory, ARTICLES)


def russian_terms(text: str) -> list[str]:
    return [token.text for token in analyzer_for("ru")(text, mode="query")]


def test_a_russian_surname_and_place_have_one_term_in_every_case():
    # Snowball alone cuts the nominatives short ("садых", "агд") of their other cases.
    surname = "Садыхов Садыхова Садыхову Садыховым Садыхове"
    place = "Агдам Агдама Агдаму Агдамом Агдаме"

    assert set(russian_terms(surname)) == {"садыхов"}
    assert set(russian_terms(place)) == {"агдам"}


def test_an_ordinary_russian_word_keeps_snowball_stem():
    assert russian_terms("стол столов столами") == ["стол", "стол", "стол"]


@pytest.mark.parametrize("q", ["Садыхов", "садыхову", "Садыхове"])
def test_a_surname_in_any_case_finds_the_article_that_declines_it(client, q):
    assert ids(client.search(q, lang="ru")) == ["ru-surname"]


@pytest.mark.parametrize("q", ["Агдам", "агдама", "Агдамом"])
def test_a_place_in_any_case_finds_the_article_that_declines_it(client, q):
    assert ids(client.search(q, lang="ru")) == ["ru-place"]


def test_a_latin_surname_finds_its_azerbaijani_spelling(client):
    assert ids(client.search("Aliyev", lang="az")) == ["az-surname"]


def test_an_azerbaijani_surname_finds_its_english_and_russian_spellings(client):
    assert set(ids(client.search("Əliyev"))) == {"az-surname", "en-surname"}


@pytest.mark.parametrize("q", ["football", "Premier League", "sport"])
def test_a_word_only_in_the_tags_or_category_finds_the_article(client, q):
    assert ids(client.search(q)) == ["en-tagged"]


@pytest.mark.parametrize("q", ["aqrotexnologiya", "iqtisadiyyat", "İqtisadiyyatı"])
def test_azerbaijani_labels_are_found_with_and_without_diacritics_and_suffixes(client, q):
    assert ids(client.search(q, lang="az")) == ["az-tagged"]


def test_a_russian_tag_is_found_in_another_case(client):
    assert ids(client.search("агротехнология", lang="ru")) == ["ru-tagged"]


def test_tag_and_category_filters_still_match_the_labels_exactly(client):
    assert ids(client.search("scored", tags="football", category="sport")) == ["en-tagged"]
    assert client.search("scored", tags="football", category="news")["total"] == 0
    assert client.search("scored", category="news")["total"] == 0
