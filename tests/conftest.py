"""Shared fixtures: real indexes on disk in temporary directories, the real app and CLI."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from search_service import config as settings
from search_service import create_app, indexer
from search_service.sources import SAMPLE_CORPUS, read_sources
from search_service.store import IndexStore

FIXTURES = Path(__file__).parent / "fixtures"


def write_jsonl(path: Path, records: Iterable[dict[str, Any] | str]) -> Path:
    """Write records (dicts, or raw lines for malformed input) as JSON Lines."""
    lines = [r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in records]
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


@pytest.fixture
def make_index(tmp_path: Path) -> Callable[..., Path]:
    """Build a real index from article dicts (or the sample corpus) and return its directory."""
    counter = iter(range(1000))

    def build(articles: Iterable[dict[str, Any]] | None = None, **overrides: Any) -> Path:
        n = next(counter)
        index_dir = tmp_path / f"index-{n}"
        config = settings.load({}, index_dir=index_dir, **overrides)
        if articles is None:
            source: Any = SAMPLE_CORPUS
        else:
            source = write_jsonl(tmp_path / f"articles-{n}.jsonl", articles)
        store = IndexStore(index_dir)
        summary = indexer.rebuild(store, read_sources([source]), config)
        assert summary.rejected == 0
        return index_dir

    return build


@pytest.fixture(scope="session")
def sample_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One index of the built-in sample corpus, shared read-only by tests that only search."""
    index_dir = tmp_path_factory.mktemp("sample") / "index"
    config = settings.load({}, index_dir=index_dir)
    indexer.rebuild(IndexStore(index_dir), read_sources([SAMPLE_CORPUS]), config)
    return index_dir


@pytest.fixture
def app(sample_index: Path):
    return create_app({"index_dir": sample_index})


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()
