"""The ``search-service`` command line: what an operator types and what it tells them."""

from __future__ import annotations

import json
import os
import pty
import re
import select
import subprocess
from pathlib import Path

import pytest

from search_service.cli import main
from search_service.cli import progress as cli_progress
from search_service.indexing.store import IndexStore
from tests.support.corpus import write_jsonl
from tests.support.waiting import wait_for

ARTICLES = [
    {
        "id": "en-lighthouse",
        "title": "Harbour lighthouse repainted in bright blue",
        "body": "Volunteers spent a week repainting the lighthouse above the harbour.",
        "lang": "en",
        "category": "local",
        "published": "2024-03-01T10:00:00+04:00",
    },
    {
        "id": "en-orchard",
        "title": "Orchard growers start the apple harvest early",
        "body": "A warm spring let the orchard growers pick apples three weeks early.",
        "lang": "en",
        "category": "farming",
        "published": "2024-08-20T08:30:00+04:00",
    },
    {
        "id": "ru-bridge",
        "title": "Новый пешеходный мост открыт для жителей",
        "body": "Пешеходный мост соединил два берега реки в центре города.",
        "lang": "ru",
        "category": "local",
        "published": "2024-05-02T09:00:00+04:00",
    },
    {
        "id": "az-library",
        "title": "Kənd kitabxanası yeni kitablar aldı",
        "body": "Kitabxana uşaqlar üçün yüz yeni kitab aldı.",
        "lang": "az",
        "category": "culture",
        "published": "2024-06-11T12:00:00+04:00",
    },
]


def _summary_languages(stdout: str) -> dict[str, int]:
    line = next(line for line in stdout.splitlines() if line.startswith("Languages:"))
    pairs = (part.split() for part in line.removeprefix("Languages:").split(","))
    return {lang: int(count) for lang, count in pairs}


def _ids(index_dir: Path, query: str, runner, *options: str) -> list[str]:
    result = runner.invoke(
        main, ["search", query, "--json", "--index-dir", str(index_dir), *options]
    )
    assert result.exit_code == 0, result.output
    return [hit["id"] for hit in json.loads(result.stdout)["results"]]


def _live_build(index_dir: Path) -> str:
    build = IndexStore(index_dir).current()
    assert build is not None
    return build.id


@pytest.fixture
def articles_file(tmp_path: Path) -> Path:
    return write_jsonl(tmp_path / "articles.jsonl", ARTICLES)


@pytest.fixture
def index_dir(tmp_path: Path, runner, articles_file: Path) -> Path:
    """An index built from ARTICLES with the CLI."""
    index_dir = tmp_path / "index"
    result = runner.invoke(main, ["reindex", str(articles_file), "--index-dir", str(index_dir)])
    assert result.exit_code == 0, result.output
    return index_dir


def test_reindex_prints_a_summary_of_indexed_rejected_languages_and_seconds(
    runner, articles_file, tmp_path
):
    result = runner.invoke(
        main, ["reindex", str(articles_file), "--index-dir", str(tmp_path / "index")]
    )

    assert result.exit_code == 0, result.output
    assert re.search(r"Indexed 4, rejected 0 in \d+\.\d s", result.stdout)
    assert _summary_languages(result.stdout) == {"en": 2, "ru": 1, "az": 1}
    assert result.stderr == ""


def test_reindex_reports_each_rejected_record_skips_it_and_exits_1(runner, tmp_path):
    source = write_jsonl(
        tmp_path / "mixed.jsonl",
        [
            ARTICLES[0],
            '{"id": "en-broken", "title": "Unfinished',
            {"id": "en-empty", "title": "", "body": ""},
            {"id": 42, "title": "A number is not an id"},
            ARTICLES[1],
            {**ARTICLES[0], "title": "The same id a second time"},
        ],
    )
    index_dir = tmp_path / "index"

    result = runner.invoke(
        main,
        ["reindex", str(source), "--index-dir", str(index_dir)],
        env={"SEARCH_MAX_REJECTED_SHARE": "1"},  # 4 of 6 rejected, and it still goes live
    )

    assert result.exit_code == 1
    rejected = [line for line in result.stderr.splitlines() if line.startswith("rejected")]
    assert len(rejected) == 4
    assert rejected[0].startswith(f"rejected {source}:2: invalid JSON: Unterminated string")
    assert rejected[1:] == [
        f"rejected {source}:3 (id 'en-empty'): needs a non-empty 'title' or 'body'",
        f"rejected {source}:4: field 'id' must be a string, got a number",
        f"rejected {source}:6 (id 'en-lighthouse'): duplicate id; first seen at {source}:1",
    ]
    assert "4 record(s) were rejected" in result.stderr
    assert "Indexed 2, rejected 4" in result.stdout
    assert _ids(index_dir, "lighthouse", runner) == ["en-lighthouse"]
    assert _ids(index_dir, "orchard", runner) == ["en-orchard"]


def test_reindex_strict_stops_at_a_bad_record_and_leaves_the_live_build_serving(
    runner, index_dir, tmp_path
):
    live = _live_build(index_dir)
    source = write_jsonl(
        tmp_path / "update.jsonl",
        [{"id": "en-ferry", "title": "Night ferry timetable extended", "lang": "en"}, "{oops"],
    )

    result = runner.invoke(
        main, ["reindex", "--strict", str(source), "--index-dir", str(index_dir)]
    )

    assert result.exit_code != 0
    assert f"rejected {source}:2: invalid JSON" in result.stderr
    assert "--strict" in result.stderr and "live index is unchanged" in result.stderr
    assert _live_build(index_dir) == live
    assert _ids(index_dir, "ferry", runner) == []
    assert _ids(index_dir, "lighthouse", runner) == ["en-lighthouse"]


def test_reindex_reads_articles_from_standard_input(runner, tmp_path):
    lines = [json.dumps(article, ensure_ascii=False) for article in ARTICLES[:2]] + ["[]"]
    index_dir = tmp_path / "index"

    result = runner.invoke(
        main,
        ["reindex", "-", "--index-dir", str(index_dir)],
        input="\n".join(lines) + "\n",
        env={"SEARCH_MAX_REJECTED_SHARE": "0.5"},
    )

    assert result.exit_code == 1
    assert "rejected <stdin>:3: expected a JSON object, got a list" in result.stderr
    assert "Indexed 2, rejected 1" in result.stdout
    assert _ids(index_dir, "orchard", runner) == ["en-orchard"]


def test_reindex_logs_progress_lines_when_stderr_is_not_a_terminal(
    runner, articles_file, tmp_path, monkeypatch
):
    monkeypatch.setattr(cli_progress.Progress, "INTERVAL", 0.0)  # a line per record, not per 5 s

    result = runner.invoke(
        main, ["reindex", str(articles_file), "--index-dir", str(tmp_path / "index")]
    )

    assert result.exit_code == 0, result.output
    progress = [line for line in result.stderr.splitlines() if line.startswith("indexing:")]
    assert progress and progress[-1].endswith("read (100%)")


def test_reindex_draws_a_progress_bar_on_a_terminal(spawn, articles_file, tmp_path):
    terminal, child_end = pty.openpty()
    try:
        spawn(
            "search-service",
            *("reindex", articles_file, "--index-dir", tmp_path / "index"),
            stdout=subprocess.DEVNULL,
            stderr=child_end,
        )
    finally:
        os.close(child_end)
    shown = bytearray()

    def closed() -> bool:
        """Read what the command drew so far; true once it exited and closed the terminal."""
        if not select.select([terminal], [], [], 1)[0]:
            return False
        try:
            chunk = os.read(terminal, 4096)
        except OSError:  # EIO: the command exited and closed the terminal
            return True
        shown.extend(chunk)
        return not chunk

    try:
        wait_for(closed, 60, "the reindex to finish", interval=0)
    finally:
        os.close(terminal)

    assert b"Indexing" in shown and b"100%" in shown


def test_index_dir_option_beats_environment_which_beats_the_working_directory(
    runner, articles_file, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SEARCH_INDEX_DIR", raising=False)
    reindex = ["reindex", str(articles_file)]

    assert runner.invoke(main, reindex).exit_code == 0
    assert (tmp_path / "index" / "current").is_symlink()

    monkeypatch.setenv("SEARCH_INDEX_DIR", str(tmp_path / "from-env"))
    assert runner.invoke(main, reindex).exit_code == 0
    assert (tmp_path / "from-env" / "current").is_symlink()

    assert (
        runner.invoke(main, [*reindex, "--index-dir", str(tmp_path / "from-option")]).exit_code == 0
    )
    assert (tmp_path / "from-option" / "current").is_symlink()
    assert len(IndexStore(tmp_path / "from-env").builds()) == 1
    assert len(IndexStore(tmp_path / "index").builds()) == 1


def test_reindex_if_missing_keeps_an_existing_index(runner, index_dir, articles_file):
    live = _live_build(index_dir)

    result = runner.invoke(
        main, ["reindex", "--if-missing", str(articles_file), "--index-dir", str(index_dir)]
    )

    assert result.exit_code == 0
    assert "nothing to do" in result.stdout
    assert _live_build(index_dir) == live


def test_add_inserts_new_articles_and_replaces_existing_ones_by_id(runner, index_dir, tmp_path):
    changes = write_jsonl(
        tmp_path / "changes.jsonl",
        [
            {**ARTICLES[0], "title": "Harbour lighthouse repainted in deep green", "body": ""},
            {"id": "en-ferry", "title": "Night ferry timetable extended", "lang": "en"},
        ],
    )

    result = runner.invoke(main, ["add", str(changes), "--index-dir", str(index_dir)])

    assert result.exit_code == 0, result.output
    assert "Indexed 2, rejected 0" in result.stdout
    assert _ids(index_dir, "green", runner) == ["en-lighthouse"]
    assert _ids(index_dir, "blue", runner) == []
    assert _ids(index_dir, "ferry", runner) == ["en-ferry"]
    stats = json.loads(
        runner.invoke(main, ["stats", "--json", "--index-dir", str(index_dir)]).stdout
    )
    assert stats["documents"] == len(ARTICLES) + 1


def test_add_strict_writes_nothing_when_any_record_is_bad(runner, index_dir, tmp_path):
    changes = write_jsonl(
        tmp_path / "changes.jsonl",
        [
            {"id": "en-ferry", "title": "Night ferry timetable extended", "lang": "en"},
            {"id": "en-bad-date", "title": "Clock tower", "published": "last Tuesday"},
        ],
    )

    result = runner.invoke(main, ["add", "--strict", str(changes), "--index-dir", str(index_dir)])

    assert result.exit_code != 0
    assert f"{changes}:2 (id 'en-bad-date'): field 'published' is not an ISO 8601" in result.stderr
    assert _ids(index_dir, "ferry", runner) == []


def test_delete_removes_articles_and_reports_unknown_ids_without_failing(runner, index_dir):
    result = runner.invoke(
        main, ["delete", "en-orchard", "en-never-existed", "--index-dir", str(index_dir)]
    )

    assert result.exit_code == 0, result.output
    assert "Deleted 1 article(s)" in result.stdout
    assert "Not in the index: en-never-existed" in result.stderr
    assert _ids(index_dir, "orchard", runner) == []

    again = runner.invoke(main, ["delete", "en-orchard", "--index-dir", str(index_dir)])
    assert again.exit_code == 0
    assert "Deleted 0 article(s)" in again.stdout
    assert "Not in the index: en-orchard" in again.stderr


def test_rollback_swaps_the_live_build_back_to_the_previous_one(runner, index_dir, tmp_path):
    first = _live_build(index_dir)
    replacement = write_jsonl(
        tmp_path / "replacement.jsonl",
        [{"id": "en-ferry", "title": "Night ferry timetable extended", "lang": "en"}],
    )
    assert (
        runner.invoke(main, ["reindex", str(replacement), "--index-dir", str(index_dir)]).exit_code
        == 0
    )
    second = _live_build(index_dir)
    assert _ids(index_dir, "lighthouse", runner) == []

    result = runner.invoke(main, ["rollback", "--index-dir", str(index_dir)])

    assert result.exit_code == 0, result.output
    assert f"build {first} is live" in result.stdout
    assert _live_build(index_dir) == first
    assert IndexStore(index_dir).previous().id == second
    assert _ids(index_dir, "lighthouse", runner) == ["en-lighthouse"]

    assert runner.invoke(main, ["rollback", "--index-dir", str(index_dir)]).exit_code == 0
    assert _live_build(index_dir) == second


def test_rollback_without_a_previous_build_fails_and_changes_nothing(runner, index_dir):
    live = _live_build(index_dir)

    result = runner.invoke(main, ["rollback", "--index-dir", str(index_dir)])

    assert result.exit_code == 1
    assert "no previous build" in result.stderr
    assert _live_build(index_dir) == live


def test_stats_reports_counts_newest_article_size_and_build(runner, index_dir):
    result = runner.invoke(main, ["stats", "--json", "--index-dir", str(index_dir)])

    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    build = IndexStore(index_dir).current()
    assert report["build"] == build.id
    assert report["build_created"] == build.info["created"]
    assert report["documents"] == 4
    assert report["languages"] == {"en": 2, "az": 1, "ru": 1}
    assert report["categories"] == {"local": 2, "culture": 1, "farming": 1}
    assert report["newest"]["id"] == "en-orchard"
    assert report["size_bytes"] > 0

    text = runner.invoke(main, ["stats", "--index-dir", str(index_dir)]).stdout
    assert f"Build:      {build.id} (created {build.info['created']})" in text
    assert "Languages:  en 2, az 1, ru 1" in text
    assert "Categories: local 2, culture 1, farming 1" in text
    assert "Newest:     2024-08-20T08:30:00+04:00  en-orchard" in text
    assert re.search(r"Size:       \d+\.\d MB", text)


def test_stats_newest_article_ignores_undated_articles(runner, tmp_path):
    source = write_jsonl(
        tmp_path / "articles.jsonl",
        [*ARTICLES, {"id": "en-undated", "title": "An article without a date", "lang": "en"}],
    )
    index_dir = tmp_path / "index"
    assert (
        runner.invoke(main, ["reindex", str(source), "--index-dir", str(index_dir)]).exit_code == 0
    )

    report = json.loads(
        runner.invoke(main, ["stats", "--json", "--index-dir", str(index_dir)]).stdout
    )

    assert report["newest"]["id"] == "en-orchard"


def test_search_prints_matches_and_filters_by_language(runner, index_dir):
    response = json.loads(
        runner.invoke(main, ["search", "мост", "--json", "--index-dir", str(index_dir)]).stdout
    )
    assert response["build"] == _live_build(index_dir)
    assert [hit["id"] for hit in response["results"]] == ["ru-bridge"]
    assert "<mark>" in response["results"][0]["title_html"]

    # a category is searched as the article's words too
    assert sorted(_ids(index_dir, "local", runner)) == ["en-lighthouse", "ru-bridge"]
    assert _ids(index_dir, "мост", runner, "--lang", "ru") == ["ru-bridge"]
    assert _ids(index_dir, "lighthouse", runner, "--lang", "ru") == []

    text = runner.invoke(main, ["search", "orchard", "--index-dir", str(index_dir)])
    assert text.exit_code == 0
    assert text.stdout.startswith("1 result(s) in ")
    assert "1. [en] Orchard growers start the apple harvest early" in text.stdout
    assert "en-orchard · farming · 2024-08-20T08:30:00+04:00" in text.stdout


@pytest.mark.parametrize("command", [["search", "harbour"], ["stats"], ["delete", "en-x"]])
def test_commands_on_a_missing_index_fail_with_a_message_not_a_traceback(runner, tmp_path, command):
    result = runner.invoke(main, [*command, "--index-dir", str(tmp_path / "empty")])

    assert result.exit_code == 1
    assert "no index has been built" in result.stderr
    assert "Traceback" not in result.output


@pytest.mark.parametrize("query", ["", "   "])
def test_an_empty_search_is_a_usage_error_with_the_apis_message(cli, query, tmp_path):
    result = cli("search", query, "--index-dir", tmp_path / "index")
    assert result.returncode == 2
    assert "parameter 'q' is required and must not be empty" in result.stderr
    assert "result(s)" not in result.stdout


def test_a_reindex_with_more_than_the_allowed_share_rejected_is_not_switched_in(
    runner, index_dir, tmp_path
):
    """8 of 10 records rejected must not shrink a live index to the other 2."""
    live = _live_build(index_dir)
    good = [{"id": f"en-ok-{n}", "title": f"Zephyrine note {n}", "lang": "en"} for n in range(2)]
    source = write_jsonl(tmp_path / "mostly-bad.jsonl", good + ["{oops"] * 8)

    result = runner.invoke(main, ["reindex", str(source), "--index-dir", str(index_dir)])

    assert result.exit_code == 1
    assert "8 of 10 record(s) rejected (80%), more than SEARCH_MAX_REJECTED_SHARE=0.1" in (
        result.stderr
    )
    assert "live index is unchanged" in result.stderr
    assert _live_build(index_dir) == live
    assert _ids(index_dir, "lighthouse", runner) == ["en-lighthouse"]
    assert _ids(index_dir, "zephyrine", runner) == []


def test_a_reindex_within_the_allowed_share_goes_live_and_exits_1(runner, index_dir, tmp_path):
    good = [{"id": f"en-ok-{n}", "title": f"Zephyrine note {n}", "lang": "en"} for n in range(9)]
    source = write_jsonl(tmp_path / "one-bad.jsonl", [*good, "{oops"])

    result = runner.invoke(main, ["reindex", str(source), "--index-dir", str(index_dir)])

    assert result.exit_code == 1
    assert "Indexed 9, rejected 1" in result.stdout
    assert len(_ids(index_dir, "zephyrine", runner)) == 9
