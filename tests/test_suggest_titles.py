"""The article titles /suggest offers are ranked as /search ranks: BM25F with the recency boost."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from whoosh import query as wq

from search_service import config as settings
from search_service.indexing import writer
from search_service.indexing.store import IndexStore
from search_service.searching import scoring
from search_service.sources import read_sources
from tests.support.corpus import write_jsonl

NOW = datetime.now(UTC)


def titles(client, q: str, limit: int = 4) -> list[str]:
    response = client.http.get("/suggest", query_string={"q": q, "limit": limit})
    assert response.status_code == 200
    return [s["id"] for s in response.get_json()["suggestions"] if s["kind"] == "article"]


def test_a_recent_title_outranks_equal_older_ones(search_client):
    client = search_client(
        [
            {"id": f"old-{n}", "lang": "en", "title": "Harbour cranes",
             "published": (NOW - timedelta(days=900 + n)).isoformat()}
            for n in range(3)
        ]
        + [{"id": "new", "lang": "en", "title": "Harbour cranes", "published": NOW.isoformat()}]
    )  # fmt: skip

    assert titles(client, "harbour cr")[0] == "new"


def test_the_titles_are_the_best_of_all_matches_with_the_boost(search_client, tmp_path):
    # Many titles over a few words with one prefix, at random ages, in several segments (an
    # update adds one): the titles offered must be the best of every match by
    # score × (1 + 0.2 × 0.5^(age / half-life)), computed here from Whoosh's exhaustive
    # ranking, not from a top-N search that may skip matches by their unboosted scores.
    rng = random.Random(11)
    words = ["harbour", "harbours", "harbourside", "harbourmaster"]
    filler = ["cranes", "ferry", "storm", "fish", "quay", "tides", "workers", "fees"]
    ages = {}
    articles = []
    for n in range(300):
        ages[f"a{n}"] = rng.uniform(0, 2000) if n < 250 else rng.uniform(0, 30)
        title = " ".join([rng.choice(words), *rng.sample(filler, rng.randint(0, 4))])
        published = (NOW - timedelta(days=ages[f"a{n}"])).isoformat()
        articles.append({"id": f"a{n}", "lang": "en", "title": title, "published": published})
    client = search_client(articles[:250])
    update = write_jsonl(tmp_path / "update.jsonl", articles[250:])
    store = IndexStore(client.index_dir)
    writer.add(store, read_sources([update]), settings.load({}, index_dir=client.index_dir))
    _, ix = store.open_current()
    with ix.searcher(weighting=scoring.weighting()) as searcher:
        assert len(searcher.leaf_searchers()) > 1
        analyzer = searcher.schema["title_en"].analyzer
        terms = {token.text for word in words for token in analyzer(word, mode="query")}
        query = wq.Or([wq.Term("title_en", term) for term in sorted(terms)])
        raw = {hit["id"]: hit.score for hit in searcher.search(query, limit=None)}
    boosted = {key: score * (1 + 0.2 * 0.5 ** (ages[key] / 180)) for key, score in raw.items()}
    best = sorted(boosted, key=lambda key: -boosted[key])

    offered = titles(client, "harbo", limit=20)

    assert offered and offered == best[: len(offered)]
