"""Segment merging outside the commits (indexing/merging.py), on real indexes on disk."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import textwrap
import threading
from pathlib import Path
from typing import Any

import pytest

from search_service import config as settings
from search_service.indexing import merging, writer
from search_service.indexing.merge_policy import Policy, plan
from search_service.indexing.store import IndexHandle, IndexStore
from search_service.searching.searcher import SearchRequest, search
from search_service.sources import read_sources
from tests.support.corpus import write_jsonl
from tests.support.processes import ROOT
from tests.support.waiting import wait_for

BASE = [
    {"id": f"base-{n}", "lang": "en", "title": f"Harbour report {n}", "body": "Ships and cranes."}
    for n in range(30)
]


def _article(n: int, word: str = "quokka") -> dict[str, Any]:
    return {"id": f"new-{n}", "lang": "en", "title": f"{word.title()} bulletin {n}", "body": word}


def _add(root: Path, article: dict[str, Any], config: Any, store: IndexStore | None = None):
    source = write_jsonl(root.parent / f"{article['id']}.jsonl", [article])
    return writer.add(store or IndexStore(root), read_sources([source]), config)


def _segments(root: Path) -> list[Any]:
    return IndexStore(root).open_current()[1]._segments()


def _stray(root: Path) -> set[str]:
    """Segment files in the live build that its table of contents does not name."""
    named = {s.segment_id() for s in _segments(root)}
    build = IndexStore(root).current().path
    return {p.name for p in build.glob("MAIN_*.*") if p.name.split(".")[0] not in named}


def _ids(root: Path, q: str) -> list[str]:
    _, ix = IndexStore(root).open_current()
    with ix.searcher() as searcher:
        return sorted(hit.id for hit in search(searcher, SearchRequest(q=q, per_page=50)).results)


@pytest.fixture
def index(make_index):
    """A 30-article build and settings under which commits never merge by themselves."""
    root = make_index(BASE)
    return root, settings.load({}, index_dir=root, merge="off")


class _Sized:
    def __init__(self, documents: int) -> None:
        self.documents = documents

    def doc_count(self) -> int:
        return self.documents


def test_the_policy_merges_a_full_tier_with_the_tiers_below_it_and_nothing_else():
    policy = Policy(factor=3, max_docs=100)
    assert plan([_Sized(50), _Sized(1), _Sized(2)], policy) == []  # tier 0 has two
    small = [_Sized(1), _Sized(2), _Sized(1), _Sized(2)]
    chosen = plan([_Sized(50), *small], policy)
    assert sorted(s.documents for s in chosen) == [1, 1, 2, 2]  # the whole of tier 0
    # Tier 1 (3-8 documents) is full: it goes with the two segments of tier 0, not tier 3.
    chosen = plan([_Sized(50), _Sized(4), _Sized(3), _Sized(5), _Sized(1), _Sized(1)], policy)
    assert sorted(s.documents for s in chosen) == [1, 1, 3, 4, 5]
    # Three segments of tier 3 (27-80 documents) would make one larger than max_docs.
    assert plan([_Sized(40), _Sized(40), _Sized(40)], policy) == []


def test_many_single_adds_leave_a_bounded_number_of_segments(index):
    root, config = index
    store = IndexStore(root)
    for n in range(40):
        _add(root, _article(n), config, store)
    assert len(_segments(root)) == 41  # SEARCH_MERGE=off: one segment per add, none merged

    result = merging.merge(store, Policy(factor=3, max_docs=1000))

    segments = _segments(root)
    # At most factor - 1 segments per tier (1-2, 3-8, 9-26, 27-80 documents).
    assert len(segments) == result.segments_after <= 2 * 4
    assert not plan(segments, Policy(factor=3, max_docs=1000))
    assert sum(s.doc_count() for s in segments) == 70
    assert _ids(root, "quokka") == sorted(f"new-{n}" for n in range(40))
    assert len(_ids(root, "harbour")) == 30
    build = IndexStore(root).current().path
    assert all((build / f"{s.segment_id()}.vocab").exists() for s in segments)  # counted


def test_a_commit_that_leaves_a_merge_due_starts_one_in_the_background(make_index, monkeypatch):
    monkeypatch.setattr(merging, "LINGER", 0.5)  # the process exits half a second after
    root = make_index(BASE)
    config = settings.load({}, index_dir=root, merge="background", merge_factor=3)
    store = IndexStore(root)
    for n in range(12):
        _add(root, _article(n), config, store)
    policy = Policy.of(config)
    wait_for(
        lambda: not merging.merging(store) and not plan(_segments(root), policy),
        60,
        lambda: f"segments left unmerged: {[s.doc_count() for s in _segments(root)]}",
    )
    assert len(_segments(root)) < 12
    assert _ids(root, "quokka") == sorted(f"new-{n}" for n in range(12))


def test_inline_mode_merges_inside_the_commit_as_whoosh_does(make_index):
    root = make_index(BASE)
    config = settings.load({}, index_dir=root, merge="inline")
    for n in range(12):
        _add(root, _article(n), config)
    assert len(_segments(root)) < 12


def test_searches_and_updates_go_on_during_a_merge_and_its_deletions_hold(index, monkeypatch):
    """Between copying the segments and swapping them in, the merge holds no lock: a search
    answers, an add and a delete commit at once (a store with a 0.2 s lock timeout would fail
    otherwise), and the swap keeps what they did, including deletions in merged segments."""
    root, config = index
    store = IndexStore(root)
    for n in range(6):
        _add(root, _article(n), config, store)
    handle = IndexHandle(store)
    _, before = handle.searcher()
    seen: dict[str, Any] = {}
    write_merged = merging._write_merged

    def meanwhile(*args: Any) -> Any:
        written = write_merged(*args)
        impatient = IndexStore(root, lock_timeout=0.2)
        seen["search"] = search(handle.searcher()[1], SearchRequest(q="quokka")).total
        _add(root, _article(100, "wombat"), config, impatient)  # a new article
        _add(root, _article(2, "wombat"), config, impatient)  # replaces new-2 (merged)
        writer.delete(impatient, ["new-4"], config)  # deletes an article being merged
        return written

    monkeypatch.setattr(merging, "_write_merged", meanwhile)
    result = merging.merge(store, Policy(factor=3, max_docs=1000))

    assert result.merges == 1  # the two new segments make no full tier
    assert seen["search"] == 6
    assert _ids(root, "quokka") == ["new-0", "new-1", "new-3", "new-5"]
    assert _ids(root, "wombat") == ["new-100", "new-2"]
    assert IndexStore(root).open_current()[1].doc_count() == 30 + 6 + 1 - 1
    # A searcher opened before the merge still reads the segments it had open.
    assert search(before, SearchRequest(q="quokka")).total == 6


@pytest.mark.parametrize("where", ["copying", "swapping"])
def test_a_killed_merge_leaves_the_serving_index_intact(index, where):
    """A merge process killed while copying (staging directory half written) or while
    swapping (files moved into the build, table of contents not yet written) changes nothing
    a search sees; the next merge clears what it left and completes."""
    root, config = index
    store = IndexStore(root)
    for n in range(9):
        _add(root, _article(n), config, store)
    before = _segments(root)
    victim = {"copying": "merging.SegmentWriter.write_per_doc", "swapping": "merging.fsync_dir"}
    script = textwrap.dedent(
        f"""
        import os, signal
        from search_service.indexing import merging
        def die(*args, **kwargs):
            os.kill(os.getpid(), signal.SIGKILL)
        {victim[where]} = die
        merging.main([{str(root)!r}, "--factor", "3"])
        """
    )
    process = subprocess.run([sys.executable, "-c", script], cwd=ROOT, timeout=120)
    assert process.returncode == -signal.SIGKILL

    build = store.current().path
    assert [s.segment_id() for s in _segments(root)] == [s.segment_id() for s in before]
    assert _ids(root, "quokka") == sorted(f"new-{n}" for n in range(9))
    if where == "copying":
        assert list(build.glob(".merge-*"))
    else:
        assert _stray(root)  # the merged segment's files, moved in but named by no TOC

    result = merging.merge(store, Policy(factor=3, max_docs=1000))
    assert result.merges >= 1
    assert not list(build.glob(".merge-*"))
    assert not _stray(root)
    assert _ids(root, "quokka") == sorted(f"new-{n}" for n in range(9))


def test_the_merge_command_reports_what_it_did(index, cli):
    root, config = index
    for n in range(10):
        _add(root, _article(n), config)
    done = cli("merge", "--index-dir", root, env={"SEARCH_MERGE_FACTOR": "4"})
    assert done.returncode == 0, done.stderr
    assert "segments 11 →" in done.stdout
    assert len(_segments(root)) < 11


def test_a_merged_segment_is_the_one_whoosh_would_write_byte_for_byte(index, tmp_path, monkeypatch):
    """The postings are read in term order rather than looked up one term at a time; the
    merged segment's files are the ones Whoosh's own ``add_reader`` writes."""
    root, config = index
    store = IndexStore(root)
    for n in range(6):
        _add(root, _article(n), config, store)
    writer.delete(store, ["new-2", "base-7"], config)  # new-2's segment is merged
    copy = tmp_path / "copy"
    shutil.copytree(root, copy, symlinks=True)

    def files(where: Path) -> dict[str, bytes]:
        build = IndexStore(where).current().path
        merged = min(_segments(where), key=lambda s: s.doc_count_all())  # not the build's
        prefix = merged.segment_id()
        return {p.name[len(prefix) :]: p.read_bytes() for p in build.glob(f"{prefix}.*")}

    policy = Policy(factor=2, max_docs=1000)
    assert merging.merge(store, policy).merges >= 1
    monkeypatch.setattr(merging, "_add_reader", lambda w, reader: w.add_reader(reader))
    assert merging.merge(IndexStore(copy), policy).merges >= 1

    ours, whooshs = files(root), files(copy)
    assert [s.doc_count() for s in _segments(root)] == [29, 5]
    assert [s.doc_count() for s in _segments(copy)] == [29, 5]
    assert ours.keys() == whooshs.keys() and ".pst" in ours
    assert all(ours[ext] == whooshs[ext] for ext in ours)
    assert _ids(root, "quokka") == ["new-0", "new-1", "new-3", "new-4", "new-5"]


def test_a_reader_whose_table_of_contents_was_just_replaced_reads_the_new_one(index, monkeypatch):
    """Whoosh lists the directory for the newest table of contents, then opens it: a commit
    in between (a merge process's, an add's) has deleted it. The handle reads again."""
    from whoosh.index import TOC

    from search_service.indexing.store import fresh_searcher, read_toc

    root, config = index
    _, ix = IndexStore(root).open_current()
    stale = ix.latest_generation()
    _add(root, _article(1), config)  # a new generation; the stale table of contents is gone
    latest = TOC._latest_generation
    answers = iter([stale, stale])
    monkeypatch.setattr(
        TOC, "_latest_generation", staticmethod(lambda *a: next(answers, None) or latest(*a))
    )
    assert read_toc(ix).generation == stale + 1
    answers = iter([stale])
    with fresh_searcher(ix) as searcher:
        assert searcher.document_number(id="new-1") is not None


def test_a_merge_waiting_to_swap_goes_before_writers_that_come_after_it(tmp_path: Path) -> None:
    """Writers poll for the write lock, so back-to-back adds could starve the merge's swap
    forever; a writer that arrives while the merge waits lets it go first."""
    store = IndexStore(tmp_path, lock_timeout=10)
    order: list[str] = []
    with store.writing("add"):
        merge = threading.Thread(target=_write, args=(store, "merge", order, True))
        merge.start()
        wait_for(store._queue_jumper_waits, 10, "the merge never said it waits")
    _write(store, "add", order, False)  # the lock is free: only the waiting merge holds it back
    merge.join()
    assert order == ["merge", "add"]


def _write(store: IndexStore, command: str, order: list[str], jump_queue: bool) -> None:
    with store.writing(command, jump_queue=jump_queue):
        order.append(command)
