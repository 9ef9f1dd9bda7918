"""Articles of our own written as JSON Lines, and real indexes and apps built from them."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

from search_service import config as settings
from search_service import create_app
from search_service.indexing import writer
from search_service.indexing.store import IndexStore
from search_service.sources import SAMPLE_CORPUS, read_sources

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def write_jsonl(path: Path, records: Iterable[dict[str, Any] | str]) -> Path:
    """Write records (dicts, or raw lines for malformed input) as JSON Lines."""
    lines = [r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in records]
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def article(n: int, lang: str, title: str, lead: str = "", body: str = "") -> dict[str, str]:
    """A short article of our own for the suggestion tests."""
    return {"id": f"{lang}-{n}", "lang": lang, "title": title, "lead": lead, "body": body}


# Titles and leads whose phrases recur, in the three languages (/suggest's phrase tests).
PHRASE_ARTICLES = [
    # English: "central bank" recurs in titles and leads; "ministry" is a more frequent word
    # than "minister", but only "prime minister" recurs as a phrase.
    article(1, "en", "Central bank raises rates", "The central bank raised its key rate."),
    article(2, "en", "Markets wait for the central bank", "Traders expect a pause."),
    article(3, "en", "Pensions and prices", "Pensioners asked the central bank for help."),
    article(4, "en", "Prime minister visits the harbour", "The ministry of transport paid."),
    article(5, "en", "New prime minister sworn in", "A ministry official confirmed it."),
    article(6, "en", "Ministry budget", "The prime minister approved the ministry plan."),
    article(7, "en", "Ministry audit", "Ministry staff, ministry money, ministry cars."),
    # Russian, with ё in the phrase.
    article(1, "ru", "Ёлочный базар открылся", "На площади работает ёлочный базар."),
    article(2, "ru", "Где найти ёлочный базар", "Городские власти назвали адреса."),
    article(3, "ru", "Снег и ёлочный базар", "Продавцы довольны погодой."),
    article(4, "ru", "Центральный банк снизил ставку", "Решение центральный банк принял."),
    # Azerbaijani: the phrase carries ğ and ı, the reader types them plainly.
    article(1, "az", "Dağlıq Qarabağ yolları", "Dağlıq Qarabağ bölgəsində yeni yol açıldı."),
    article(2, "az", "Dağlıq Qarabağ məktəbləri", "Yeni məktəblər tikilir."),
    article(3, "az", "Turistlər və kənd", "Dağlıq Qarabağ turistləri çağırır."),
]


def build_index(
    folder: Path, articles: Iterable[dict[str, Any]] | None = None, **overrides: Any
) -> Path:
    """A real index in ``folder``/index of article dicts (or the sample corpus), built by the
    real indexer; its directory."""
    index_dir = folder / "index"
    config = settings.load({}, index_dir=index_dir, **overrides)
    source: Any = SAMPLE_CORPUS
    if articles is not None:
        source = write_jsonl(folder / "articles.jsonl", articles)
    summary = writer.rebuild(IndexStore(index_dir), read_sources([source]), config)
    assert summary.rejected == 0
    return index_dir


class SearchClient:
    """The real app over one index, with a shorthand for requests that must succeed."""

    def __init__(self, index_dir: Path) -> None:
        self.index_dir = index_dir
        self.app = create_app({"index_dir": index_dir})
        self.http = self.app.test_client()

    def search(self, q: str, **params: Any) -> dict[str, Any]:
        """GET /search and return its JSON, failing unless it is a 200.

        A trailing underscore is dropped from parameter names, so ``from_=`` sends ``from``.
        """
        query = {"q": q, **{name.rstrip("_"): value for name, value in params.items()}}
        response = self.http.get("/search", query_string=query)
        assert response.status_code == 200, response.get_data(as_text=True)
        assert response.is_json
        return response.get_json()


def result_ids(body: dict[str, Any]) -> list[str]:
    """The ids of a ``/search`` answer's results, in their order."""
    return [hit["id"] for hit in body["results"]]


def shared_client(
    tmp_path_factory: pytest.TempPathFactory, articles: Iterable[dict[str, Any]]
) -> SearchClient:
    """The app over an index of ``articles``, for a module-scoped fixture shared by tests
    that only read: one build per module instead of one per test."""
    return SearchClient(build_index(tmp_path_factory.mktemp("shared"), list(articles)))
