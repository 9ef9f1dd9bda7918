"""A build written before the modules moved into sub-packages keeps serving."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from search_service import config as settings
from search_service import create_app
from search_service.indexing import writer
from search_service.indexing.store import IndexStore
from search_service.sources import read_sources
from tests.support.corpus import FIXTURES, write_jsonl


def _copy_of_the_old_build(tmp_path: Path) -> Path:
    index_dir = tmp_path / "index"
    shutil.copytree(FIXTURES / "legacy-index", index_dir, symlinks=True)
    return index_dir


def test_the_fixture_names_the_old_module_paths():
    toc = next((FIXTURES / "legacy-index" / "builds").glob("*/_MAIN_*.toc")).read_bytes()
    assert b"search_service.codec" in toc
    assert b"search_service.spellfield" in toc


def test_an_old_build_answers_searches_in_every_language(tmp_path):
    client = create_app({"index_dir": _copy_of_the_old_build(tmp_path)}).test_client()

    english = client.get("/search?q=parliament").get_json()
    russian = client.get("/search", query_string={"q": "парламент"}).get_json()
    azerbaijani = client.get("/search", query_string={"q": "qazı", "lang": "az"}).get_json()

    assert english["results"][0]["id"] == "en-001"
    assert "<mark>" in english["results"][0]["snippet"]
    assert [r["id"] for r in russian["results"]] == ["ru-001"]
    assert "az-002" in [r["id"] for r in azerbaijani["results"]]
    assert client.get("/healthz").get_json()["documents"] == 7


def test_an_old_build_takes_live_updates(tmp_path):
    index_dir = _copy_of_the_old_build(tmp_path)
    config = settings.load({}, index_dir=index_dir)
    update = write_jsonl(
        tmp_path / "update.jsonl",
        [{"id": "en-900", "title": "Harbour cranes arrive", "body": "New cranes.", "lang": "en"}],
    )

    writer.add(IndexStore(index_dir), read_sources([update]), config)

    found = create_app({"index_dir": index_dir}).test_client().get("/search?q=cranes").get_json()
    assert [r["id"] for r in found["results"]] == ["en-900"]


def test_a_fresh_process_opens_an_old_build_without_importing_anything_first(tmp_path):
    """Unpickling alone must find the old paths: no earlier import may have registered them."""
    index_dir = _copy_of_the_old_build(tmp_path)
    probe = (
        "import sys; from search_service.indexing.store import IndexStore; "
        "build, ix = IndexStore(sys.argv[1]).open_current(); print(ix.doc_count())"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe, str(index_dir)], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "7"
