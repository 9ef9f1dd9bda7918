"""/search extras for the reader's page: facets, tags filter, "did you mean", recency boost."""

from __future__ import annotations

import json
import random
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from search_service import create_app
from search_service.indexing.vocabulary.lexicon import Lexicon
from search_service.sources import SAMPLE_CORPUS

SAMPLE = [json.loads(line) for line in SAMPLE_CORPUS.read_text(encoding="utf-8").splitlines()]


def _generated(count: int) -> list[dict]:
    """Articles that all mention "orbit", spread over languages, categories and years."""
    rng = random.Random(7)
    articles = []
    for n in range(count):
        lang = rng.choice(["en", "ru", "az"])
        word = {"en": "orbit", "ru": "orbit", "az": "orbit"}[lang]
        record = {
            "id": f"g-{n}",
            "lang": lang,
            "title": f"Story {n} about the {word}",
            "body": f"Filler text number {n} {word}.",
            "category": rng.choice(["economy", "sport", "culture", None]),
            "tags": rng.sample(
                ["space", "budget", "science", "fiscal policy"], k=rng.randint(0, 2)
            ),
        }
        if rng.random() < 0.9:
            year = rng.choice([2021, 2023, 2024, 2025])
            record["published"] = f"{year}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}"
        articles.append(record)
    return articles


GENERATED = _generated(150)


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    from search_service import config as settings
    from search_service.indexing import writer
    from search_service.indexing.store import IndexStore
    from search_service.sources import read_sources
    from tests.support.corpus import SearchClient, write_jsonl

    folder = tmp_path_factory.mktemp("facets")
    source = write_jsonl(folder / "articles.jsonl", GENERATED)
    config = settings.load({}, index_dir=folder / "index")
    writer.rebuild(IndexStore(folder / "index"), read_sources([source]), config)
    return SearchClient(folder / "index")


def _brute_force(articles, **where):
    lang, category = where.get("lang"), where.get("category")
    kept = [
        a
        for a in articles
        if (not lang or a["lang"] == lang) and (not category or a.get("category") == category)
    ]
    return {
        "lang": Counter(a["lang"] for a in kept),
        "category": Counter(a["category"] for a in kept if a.get("category")),
        "year": Counter(a["published"][:4] for a in kept if a.get("published")),
    }


@pytest.mark.parametrize("where", [{}, {"lang": "ru"}, {"category": "sport"}])
def test_facets_count_the_whole_result_set_not_the_page(generated, where):
    body = generated.search("orbit", per_page=5, **where)

    expected = _brute_force(GENERATED, **where)
    assert body["total"] == sum(expected["lang"].values())
    assert len(body["results"]) == 5
    for name in ("lang", "category", "year"):
        assert body["facets"][name] == dict(expected[name]), name
        counts = list(body["facets"][name].values())
        assert counts == sorted(counts, reverse=True)


def test_tags_filter_requires_every_tag(generated):
    wanted = {"space", "fiscal policy"}
    expected = {a["id"] for a in GENERATED if wanted <= set(a["tags"])}
    assert expected  # the generator must produce some

    body = generated.search("orbit", tags="space,fiscal policy", per_page=100)
    assert {hit["id"] for hit in body["results"]} == expected
    repeated = generated.http.get(
        "/search", query_string=[("q", "orbit"), ("tags", "space"), ("tags", "fiscal policy")]
    ).get_json()
    assert repeated["total"] == len(expected)


@pytest.mark.parametrize(
    ("typed", "lang", "expected"),
    [
        ("parliment budget", "en", "parliament budget"),
        ("Pipline", "en", "Pipeline"),
        ("парламнет", "ru", "парламент"),
        ("iqtisadiyat", "az", "iqtisadiyyat"),  # ("qarabag" is no typo: it matches through folding)
        ("neftt", None, "neft"),
        ("cenrtal bank", "en", "central bank"),  # swapped letters count as one typo
        ("teh budget", "en", "the budget"),  # ... in short words too
        # Two words, one misspelt: only that one changes.
        ("парламент бюджта", "ru", "парламент бюджета"),
        ("бакинский марафн", None, "бакинский марафон"),
        ("ixracı rekort", "az", "ixracı rekord"),
        ("Xəzər qazzı", "az", "Xəzər qaz"),  # a word as written ("qazı" is in no article)
    ],
)
def test_did_you_mean_corrects_misspelt_words_per_language(client, typed, lang, expected):
    query = {"q": typed, **({"lang": lang} if lang else {})}
    body = client.get("/search", query_string=query).get_json()
    assert body["did_you_mean"] == expected


@pytest.mark.parametrize(
    "typed",
    [
        "parliament",
        "парламент",
        "Bakı",
        "budget parliament",
        # Found without their diacritics, so found: nothing to correct.
        "qarabag",
        "xezer qazinin",
        "neft hasilati",
    ],
)
def test_did_you_mean_is_silent_for_words_in_the_index(client, typed):
    body = client.get("/search", query_string={"q": typed}).get_json()
    assert body["total"] > 0
    assert body["did_you_mean"] is None


def test_did_you_mean_never_corrects_a_rare_word_found_in_the_results(search_client):
    articles = [
        {"id": "a", "lang": "en", "title": "The parliament voted", "body": "parliament " * 3},
        {"id": "b", "lang": "en", "title": "Parliament again", "body": "parliament budget"},
        {"id": "c", "lang": "en", "title": "Parliament and more", "body": "parliament news"},
        {"id": "d", "lang": "en", "title": "Parliament today", "body": "parliament today"},
        {"id": "e", "lang": "en", "title": "A parlament", "body": "Spelled parlament once."},
    ]
    client = search_client(articles)
    body = client.search("parlament")
    assert [hit["id"] for hit in body["results"]] == ["e"]
    assert body["did_you_mean"] is None
    # A typo that is in no article gets the nearest, then most frequent, word.
    assert client.search("parliamnt")["did_you_mean"] == "parliament"


def test_candidates_are_the_words_within_the_edit_distance_under_the_same_letter():
    lexicon = Lexicon(
        {"qarabağ": 5, "parliament": 9, "central": 4, "sitting": 2, "tentral": 1, "zentral": 3}
    )
    assert lexicon.near("qarabag", 1) == [("qarabağ", 1)]
    assert lexicon.near("parliment", 1) == [("parliament", 1)]
    assert lexicon.near("kitten", 2) == []  # "sitting" is three edits away
    # A swap of neighbours is one typo; words under another first letter are not candidates
    # here ("zentral"), whatever their distance.
    assert sorted(lexicon.near("cenrtal", 1)) == [("central", 1)]
    assert sorted(lexicon.near("cenrtal", 2)) == [("central", 1)]
    assert sorted(lexicon.near("tentral", 2)) == [("tentral", 0)]


def _ranked(client, q):
    return [hit["id"] for hit in client.search(q)["results"]]


def test_relevance_favours_the_recent_article_when_scores_are_close(search_client):
    now = datetime.now(UTC)

    def text(team: str) -> dict[str, str]:
        # Equal in length and in the query's words; not copies (those would share a row).
        return {"title": "Harbour crane report", "body": f"The harbour crane was {team}."}

    articles = [
        {
            "id": "old",
            "lang": "en",
            **text("red"),
            "published": (now - timedelta(days=900)).isoformat(),
        },
        {
            "id": "new",
            "lang": "en",
            **text("blue"),
            "published": (now - timedelta(days=2)).isoformat(),
        },
        {"id": "undated", "lang": "en", **text("green")},
    ]
    boosted = search_client(articles)
    # Equal text: only the age separates them (ties otherwise keep index order: old first).
    assert _ranked(boosted, "crane") == ["new", "old", "undated"]

    flat = create_app({"index_dir": boosted.index_dir, "recency_half_life": 0}).test_client()
    results = flat.get("/search", query_string={"q": "crane"}).get_json()["results"]
    scores = {hit["score"] for hit in results}
    assert len(scores) == 1  # equal text, equal score: without the boost nothing separates them


def test_recency_boost_does_not_beat_a_clearly_better_match(search_client):
    now = datetime.now(UTC)
    articles = [
        {
            "id": "strong-old",
            "lang": "en",
            "title": "Crane crane crane",
            "body": "Crane inspection: the crane and the crane operator.",
            "published": (now - timedelta(days=2000)).isoformat(),
        },
        {
            "id": "weak-new",
            "lang": "en",
            "title": "Harbour news",
            "body": "A long report on the harbour, shipping, weather and, once, a crane.",
            "published": now.isoformat(),
        },
    ]
    assert _ranked(search_client(articles), "crane") == ["strong-old", "weak-new"]


def test_facets_count_across_segments_without_deleted_articles(search_client, tmp_path):
    from search_service import config as settings
    from search_service.indexing import writer
    from search_service.indexing.store import IndexStore
    from search_service.sources import read_sources
    from tests.support.corpus import write_jsonl

    client = search_client(GENERATED[:100])
    config = settings.load({}, index_dir=client.index_dir)
    store = IndexStore(client.index_dir)
    writer.add(store, read_sources([write_jsonl(tmp_path / "more.jsonl", GENERATED[100:])]), config)
    gone = [a["id"] for a in GENERATED[95:105]]
    writer.delete(store, gone, config)
    _, ix = store.open_current()
    assert len(ix._segments()) > 1

    body = client.search("orbit", per_page=5)

    expected = _brute_force([a for a in GENERATED if a["id"] not in gone])
    for name in ("lang", "category", "year"):
        assert body["facets"][name] == dict(expected[name]), name
