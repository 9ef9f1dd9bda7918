"""One story, one row: copies and language versions in /search, on the page, and from the
site sources' hreflang links."""

from __future__ import annotations

import pytest

from search_service.sources.extract import Extraction
from search_service.sources.spec import SourceSpec
from tests.support.corpus import shared_client

WIRE = "Port workers end their strike after talks with the harbour authority."
ARTICLES = [
    # One wire story under three ids: the copy differs only in case, spaces and punctuation.
    {"id": "wire-1", "lang": "en", "title": "Harbour strike ends", "body": WIRE,
     "published": "2025-03-02", "category": "economy"},
    {"id": "wire-2", "lang": "en", "title": "HARBOUR STRIKE ENDS!", "body": "  " + WIRE.upper(),
     "published": "2025-03-01", "category": "economy"},
    {"id": "other", "lang": "en", "title": "Harbour crane report", "body": "Cranes were fixed.",
     "published": "2025-01-01"},
    # One story in three languages.
    {"id": "st-en", "lang": "en", "title": "Harbour festival opens", "story": "s-7",
     "body": "The harbour festival opened with boats.", "url": "https://news.example/en/f"},
    {"id": "st-ru", "lang": "ru", "title": "Открылся фестиваль в гавани", "story": "s-7",
     "body": "Фестиваль в гавани harbour открылся.", "url": "https://news.example/ru/f"},
    {"id": "st-az", "lang": "az", "title": "Liman festivalı açıldı", "story": "s-7",
     "body": "Liman harbour festivalı açıldı.", "url": "https://news.example/az/f"},
]  # fmt: skip


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    return shared_client(tmp_path_factory, ARTICLES)


def rows(body):
    return [hit["id"] for hit in body["results"]]


def test_copies_take_one_row_the_best_ranked_naming_the_others(client):
    body = client.search("strike")
    assert rows(body) == ["wire-1"]  # the newer copy ranks first
    assert body["results"][0]["duplicates"] == ["wire-2"]
    assert body["total"] == 1  # rows
    assert body["facets"]["category"] == {"economy": 2}  # articles


def test_a_story_without_a_language_filter_is_one_row_with_its_other_versions(client):
    body = client.search("harbour festival")
    [story] = [hit for hit in body["results"] if hit["id"].startswith("st-")]
    others = {"st-en", "st-ru", "st-az"} - {story["id"]}
    assert {version["id"] for version in story["translations"]} == others
    assert body["facets"]["lang"]["ru"] == 1 and body["facets"]["lang"]["az"] == 1
    assert body["total"] == len(body["results"])


def test_with_a_language_filter_the_version_in_it_carries_the_others(client):
    body = client.search("harbour", lang="ru")
    assert rows(body) == ["st-ru"]
    assert body["results"][0]["translations"] == [
        {"id": "st-az", "lang": "az", "title": "Liman festivalı açıldı",
         "url": "https://news.example/az/f"},
        {"id": "st-en", "lang": "en", "title": "Harbour festival opens",
         "url": "https://news.example/en/f"},
    ]  # fmt: skip


def test_pages_agree_when_copies_are_folded(search_client):
    copies = [
        {"id": f"c{n}-{k}", "lang": "en", "title": f"Harbour note {n}", "body": f"Tide {n}."}
        for n in range(12)
        for k in range(3)
    ]
    client = search_client(copies)
    first = client.search("harbour", per_page=5)
    pages = [rows(client.search("harbour", per_page=5, page=p)) for p in (1, 2, 3)]
    shown = [article for page in pages for article in page]
    assert first["total"] == 12 and len(shown) == 12
    assert len({article.split("-")[0] for article in shown}) == 12


def test_the_page_links_the_other_versions(client):
    page = client.http.get("/?q=harbour&lang=en&ui=en").get_data(as_text=True)
    also = page.split('class="also"')[1].split("</span>")[0]
    assert "Also in:" in also
    assert 'href="https://news.example/ru/f"' in also and ">RU</a>" in also and ">AZ</a>" in also


def page_with(links: str, url: str) -> str:
    return (
        f"<html lang='en'><head>{links}<link rel='canonical' href='{url}'></head>"
        "<body><article><h1>Festival</h1><p>The harbour festival opened with boats and "
        "music on a sunny morning in the old town.</p></article></body></html>"
    )


def test_a_sites_hreflang_links_make_one_story_on_every_version():
    links = (
        "".join(
            f"<link rel='alternate' hreflang='{lang}' href='https://news.example/{lang}/f'>"
            for lang in ("en", "ru", "az")
        )
        + "<link rel='alternate' hreflang='x-default' href='https://news.example/'>"
    )
    extraction = Extraction.from_spec(SourceSpec("site", "site", {}))
    english = extraction.article(page_with(links, "https://news.example/en/f"), "x", "site")
    russian = extraction.article(page_with(links, "https://news.example/ru/f"), "x", "site")
    alone = extraction.article(page_with("", "https://news.example/en/g"), "x", "site")
    assert english.story and english.story == russian.story
    assert alone.story == ""
