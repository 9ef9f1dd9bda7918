"""The life of the index on disk: fresh builds, atomic switches, failed and killed builds,
the single-writer lock, pruning, and readers that keep searching through all of it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest

from search_service import config as settings
from search_service.errors import BuildFailed
from search_service.indexing.schema import build_schema
from search_service.indexing.store import IndexHandle, IndexStore
from search_service.searching.searcher import SearchRequest, search
from tests.support.corpus import write_jsonl
from tests.support.waiting import wait_for


def harbour_notes(count: int, *, start: int = 0, word: str = "tide") -> list[dict[str, str]]:
    """Small invented articles that all contain ``word``."""
    return [
        {
            "id": f"note-{n}",
            "title": f"Harbour note {n}",
            "body": f"The {word} turned at the pier while gulls circled the fishing boats.",
            "lang": "en",
        }
        for n in range(start, start + count)
    ]


def partial_builds(index_dir: Path) -> list[Path]:
    return sorted((index_dir / "builds").glob(".partial-*"))


def live_id(index_dir: Path) -> str:
    build = IndexStore(index_dir).current()
    assert build is not None
    return build.id


def found(index_dir: Path, text: str) -> list[str]:
    _, searcher = IndexHandle(IndexStore(index_dir)).searcher()
    return [hit.id for hit in search(searcher, SearchRequest(q=text, per_page=100)).results]


@contextmanager
def lock_held(index_dir: Path, command: str) -> Iterator[Callable[[], None]]:
    """Hold the write lock in a thread, as another writer would; yields a release function."""
    acquired, release = threading.Event(), threading.Event()

    def hold() -> None:
        with IndexStore(index_dir).writing(command):
            acquired.set()
            release.wait(60)

    holder = threading.Thread(target=hold)
    holder.start()
    assert acquired.wait(10)
    try:
        yield release.set
    finally:
        release.set()
        holder.join()


@pytest.fixture
def index_dir(make_index) -> Path:
    return make_index(harbour_notes(20))


@pytest.mark.slow
def test_a_reindex_writes_a_fresh_build_directory_and_keeps_the_old_one_for_rollback(
    cli, index_dir, tmp_path
):
    store = IndexStore(index_dir)
    old = store.current()
    old_files = {path.name: path.stat().st_mtime_ns for path in old.path.iterdir()}

    result = cli(
        "reindex",
        write_jsonl(tmp_path / "new.jsonl", harbour_notes(5, word="storm")),
        "--index-dir",
        index_dir,
    )

    assert result.returncode == 0, result.stderr
    new = store.current()
    assert new.id != old.id and new.path.parent == old.path.parent == index_dir / "builds"
    assert os.readlink(index_dir / "current") == f"builds/{new.id}"
    assert store.previous().id == old.id
    assert {p.name: p.stat().st_mtime_ns for p in old.path.iterdir()} == old_files
    assert json.loads((new.path / "build.json").read_text())["documents"] == 5
    assert partial_builds(index_dir) == []


def test_a_build_whose_document_count_differs_from_what_was_read_never_goes_live(index_dir):
    store = IndexStore(index_dir)
    live = store.current().id
    config = settings.load({}, index_dir=index_dir)
    with store.writing("test"):
        build_id, partial, ix = store.create_partial(build_schema(config.languages))
        writer = ix.writer()
        writer.add_document(id="only-one", lang="en", title="A single gull")
        writer.commit()

        with pytest.raises(BuildFailed, match="has 1 documents, expected 2; the live"):
            store.activate(build_id, partial, 2, {})

    assert store.current().id == live
    assert not partial.exists()
    assert not (index_dir / "builds" / build_id).exists()


@pytest.mark.slow
def test_a_reindex_with_every_record_rejected_leaves_the_live_index_serving(
    cli, index_dir, tmp_path
):
    live = live_id(index_dir)
    garbage = write_jsonl(tmp_path / "garbage.jsonl", ["{", '{"id": ""}', '"just text"'])

    result = cli("reindex", garbage, "--index-dir", index_dir)

    assert result.returncode != 0
    assert result.stderr.count("\nrejected ") + result.stderr.startswith("rejected ") == 3
    assert "3 of 3 record(s) rejected" in result.stderr
    assert "the live index is unchanged" in result.stderr
    assert live_id(index_dir) == live
    assert len(found(index_dir, "tide")) == 20
    assert partial_builds(index_dir) == []


@pytest.mark.slow
def test_a_strict_reindex_with_a_bad_record_discards_its_build_and_keeps_the_live_one(
    cli, index_dir, tmp_path
):
    live = live_id(index_dir)
    builds = [build.id for build in IndexStore(index_dir).builds()]
    source = write_jsonl(
        tmp_path / "new.jsonl", [*harbour_notes(5, word="storm"), {"id": "no-text"}]
    )

    result = cli("reindex", "--strict", source, "--index-dir", index_dir)

    assert result.returncode != 0
    assert "(id 'no-text'): needs a non-empty 'title' or 'body'" in result.stderr
    assert live_id(index_dir) == live
    assert [build.id for build in IndexStore(index_dir).builds()] == builds
    assert partial_builds(index_dir) == []
    assert found(index_dir, "storm") == []
    assert len(found(index_dir, "tide")) == 20


def _feed(stdin, lines: list[bytes], written: list[int]) -> None:
    """Write lines into a pipe until done or the reader dies; the pipe stays open."""
    try:
        for line in lines:
            stdin.write(line)
            written[0] += 1
        stdin.flush()
    except (BrokenPipeError, ValueError):
        pass


@pytest.mark.slow
def test_a_reindex_killed_mid_build_leaves_the_live_index_serving_and_no_stale_lock(
    spawn, index_dir
):
    live = live_id(index_dir)
    lines = [
        (json.dumps(article) + "\n").encode() for article in harbour_notes(20_000, word="storm")
    ]
    written = [0]
    process = spawn(
        "search-service",
        *("reindex", "-", "--index-dir", index_dir),
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    feeder = threading.Thread(target=_feed, args=(process.stdin, lines, written), daemon=True)
    feeder.start()
    # Standard input stays open, so the reindex cannot finish: it is killed mid-build.

    def under_way() -> bool:
        assert process.poll() is None, "the reindex ended before it could be killed"
        return bool(partial_builds(index_dir)) and written[0] >= 3000

    wait_for(under_way, 60, "the reindex to get going")

    os.kill(process.pid, signal.SIGKILL)
    assert process.wait(10) == -signal.SIGKILL
    feeder.join(10)
    with suppress(BrokenPipeError):
        process.stdin.close()

    assert live_id(index_dir) == live
    assert len(found(index_dir, "tide")) == 20
    assert found(index_dir, "storm") == []
    assert len(partial_builds(index_dir)) == 1  # only the next writer may clean it up

    # A lock left behind would make this writer wait and then raise LockTimeout.
    with IndexStore(index_dir, lock_timeout=0.2).writing("next writer"):
        assert partial_builds(index_dir) == []
    assert live_id(index_dir) == live


@pytest.mark.slow
@pytest.mark.parametrize("command", ["reindex", "add"])
def test_a_second_writer_waits_for_the_lock_then_fails_with_a_clear_message(
    cli, index_dir, tmp_path, command
):
    live = live_id(index_dir)
    source = write_jsonl(tmp_path / "new.jsonl", harbour_notes(3, start=100, word="storm"))

    with lock_held(index_dir, "nightly import"):
        started = time.monotonic()
        result = cli(command, source, "--index-dir", index_dir, env={"SEARCH_LOCK_TIMEOUT": "1"})
        waited = time.monotonic() - started

    assert result.returncode == 1
    assert waited >= 1
    message = result.stderr.strip().splitlines()[-1]
    assert message.startswith(f"Error: the index in {index_dir} is being written by pid ")
    assert f"pid {os.getpid()} (nightly import) since " in message
    assert message.endswith("gave up after waiting 1 s")
    assert live_id(index_dir) == live
    assert partial_builds(index_dir) == []
    assert found(index_dir, "storm") == []
    assert len(found(index_dir, "tide")) == 20


@pytest.mark.slow
def test_a_second_writer_proceeds_as_soon_as_the_first_releases_the_lock(
    spawn, index_dir, tmp_path
):
    source = write_jsonl(tmp_path / "new.jsonl", harbour_notes(3, start=100, word="storm"))

    with lock_held(index_dir, "nightly import") as release:
        waiting = spawn(
            "search-service",
            *("add", source, "--index-dir", index_dir),
            env={"SEARCH_LOCK_TIMEOUT": "30"},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        time.sleep(1.5)
        assert waiting.poll() is None, waiting.communicate()
        assert found(index_dir, "storm") == []
        release()
        stdout, stderr = waiting.communicate(timeout=30)

    assert waiting.returncode == 0, stderr
    assert "Indexed 3, rejected 0" in stdout
    assert len(found(index_dir, "storm")) == 3
    assert len(found(index_dir, "tide")) == 20


@pytest.mark.slow
def test_searches_keep_answering_while_a_reindex_switches_builds(cli, index_dir, tmp_path):
    """A reader (like a gunicorn worker) sees one whole build per search, never an error."""
    old = live_id(index_dir)
    handle = IndexHandle(IndexStore(index_dir))
    seen: list[tuple[str, int, int]] = []  # build id, "tide" hits, "storm" hits
    errors: list[BaseException] = []
    stop = threading.Event()

    def keep_searching() -> None:
        while not stop.is_set():
            try:
                build, searcher = handle.searcher()
                tide = search(searcher, SearchRequest(q="tide")).total
                storm = search(searcher, SearchRequest(q="storm")).total
                seen.append((build.id, tide, storm))
            except Exception as exc:
                errors.append(exc)

    reader = threading.Thread(target=keep_searching)
    reader.start()
    try:
        new_corpus = harbour_notes(20) + harbour_notes(30, start=20, word="storm")
        result = cli(
            "reindex", write_jsonl(tmp_path / "new.jsonl", new_corpus), "--index-dir", index_dir
        )
        new = live_id(index_dir)
        wait_for(lambda: seen and seen[-1][0] == new, 10, "a search on the new build")
    finally:
        stop.set()
        reader.join()

    assert result.returncode == 0, result.stderr
    assert errors == []
    assert new != old
    builds_in_order = list(dict.fromkeys(build for build, _, _ in seen))
    assert builds_in_order == [old, new]
    assert {(tide, storm) for build, tide, storm in seen if build == old} == {(20, 0)}
    assert {(tide, storm) for build, tide, storm in seen if build == new} == {(20, 30)}


@pytest.mark.slow
def test_the_index_handle_follows_add_delete_reindex_and_rollback_by_other_processes(
    cli, index_dir, tmp_path
):
    handle = IndexHandle(IndexStore(index_dir))
    first, _ = handle.searcher()
    additions = write_jsonl(tmp_path / "add.jsonl", harbour_notes(2, start=50, word="storm"))
    rebuild = write_jsonl(tmp_path / "rebuild.jsonl", harbour_notes(4, word="fog"))

    def run(*args: str | Path) -> None:
        result = cli(*args, "--index-dir", index_dir)
        assert result.returncode == 0, result.stderr

    def hits(text: str) -> int:
        return search(handle.searcher()[1], SearchRequest(q=text)).total

    run("add", additions)
    assert hits("storm") == 2
    run("delete", "note-50")
    assert hits("storm") == 1
    run("reindex", rebuild)
    assert (hits("fog"), hits("tide")) == (4, 0)
    run("rollback")
    assert (hits("fog"), hits("tide"), hits("storm")) == (0, 20, 1)
    assert handle.searcher()[0].id == first.id


@pytest.mark.slow
def test_old_builds_are_pruned_to_search_keep_builds(cli, index_dir, tmp_path):
    source = write_jsonl(tmp_path / "new.jsonl", harbour_notes(3))
    store = IndexStore(index_dir)

    for _ in range(3):
        assert cli("reindex", source, "--index-dir", index_dir).returncode == 0
    assert len(store.builds()) == 2
    assert {build.id for build in store.builds()} == {store.current().id, store.previous().id}

    for _ in range(2):
        result = cli("reindex", source, "--index-dir", index_dir, env={"SEARCH_KEEP_BUILDS": "3"})
        assert result.returncode == 0
    assert len(store.builds()) == 3


@pytest.mark.slow
def test_a_reindex_after_a_rollback_prunes_the_build_rolled_away_from(cli, index_dir, tmp_path):
    store = IndexStore(index_dir)
    first = store.current().id
    source = write_jsonl(tmp_path / "new.jsonl", harbour_notes(3))
    assert cli("reindex", source, "--index-dir", index_dir).returncode == 0
    bad = store.current().id
    assert cli("rollback", "--index-dir", index_dir).returncode == 0

    assert cli("reindex", source, "--index-dir", index_dir).returncode == 0

    kept = [build.id for build in store.builds()]
    assert len(kept) == 2
    assert bad not in kept
    assert store.previous().id == first


def test_the_next_writer_removes_a_half_made_link_of_a_killed_writer(index_dir):
    live = live_id(index_dir)
    leftover = index_dir / ".current.99999.tmp"
    os.symlink("builds/nowhere", leftover)

    with IndexStore(index_dir).writing("next writer"):
        assert not os.path.lexists(leftover)
    assert live_id(index_dir) == live
