"""What is in the live build: counts per language and category, newest article, size."""

from __future__ import annotations

from typing import Any

from whoosh import query as wq
from whoosh import sorting
from whoosh.searching import Searcher

from .store import IndexStore


def index_stats(store: IndexStore) -> dict[str, Any]:
    """Describe the live build; raises :class:`~.errors.IndexUnavailable` when there is none."""
    build, ix = store.open_current()
    with ix.searcher() as searcher:
        grouped = documents_by(searcher, "lang", "category")
        newest = None
        docnum = _newest(searcher)
        if docnum is not None:
            hit = searcher.stored_fields(docnum)
            if hit.get("published"):
                newest = {
                    "id": hit["id"],
                    "title": hit.get("title", ""),
                    "published": hit["published"],
                }
        documents = searcher.doc_count()
        return {
            "index_dir": str(store.root),
            "build": build.id,
            "build_created": build.info.get("created"),
            "schema_version": build.info.get("schema_version"),
            "documents": documents,
            "languages": _sorted_counts(grouped["lang"]),
            "categories": _sorted_counts(grouped["category"]),
            "newest": newest,
            "size_bytes": store.size_bytes(build),
            "previous_build": getattr(store.previous(), "id", None),
        }


def _newest(searcher: Searcher) -> int | None:
    """The live article published last, from the publication time's column; only dated ones:
    an undated article holds the column's default, its largest value."""
    reader = searcher.reader()
    undated = searcher.schema["published_at"].default
    values = reader.column_reader("published_at", translate=False)
    best: tuple[int, int] | None = None
    for docnum, value in enumerate(values):
        if value != undated and not reader.is_deleted(docnum) and (best is None or value > best[0]):
            best = (value, docnum)
    return None if best is None else best[1]


def documents_by(searcher: Searcher, *fields: str) -> dict[str, dict[Any, int]]:
    """How many live documents have each value of each of ``fields`` (sortable ID fields such
    as ``lang``); a document without a value counts under ``""``."""
    facets = {name: sorting.FieldFacet(name, maptype=sorting.Count) for name in fields}
    grouped = searcher.search(wq.Every(), groupedby=facets, limit=1)
    return {name: grouped.groups(name) for name in fields}


def _sorted_counts(counts: dict[Any, int]) -> dict[str, int]:
    named = {(key or "(none)"): n for key, n in counts.items()}
    return dict(sorted(named.items(), key=lambda item: (-item[1], item[0])))
