"""End to end: the Procfile's web process under real gunicorn, queried over real HTTP."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from search_service.sources import SAMPLE_CORPUS
from tests.support.corpus import write_jsonl
from tests.support.processes import ROOT, free_port
from tests.support.waiting import wait_for

NEW_ARTICLE = {
    "id": "en-kite-festival",
    "title": "Kite festival fills the seaside boulevard",
    "body": "Hundreds of kites in the shape of fish and dragons flew over the boulevard.",
    "lang": "en",
    "category": "culture",
    "published": "2024-09-07T16:00:00+04:00",
}


def get(base: str, path: str) -> tuple[int, dict[str, Any]]:
    """Status and decoded JSON body of one GET, errors included."""
    try:
        with urllib.request.urlopen(base + path, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        assert error.headers.get_content_type() == "application/json"
        return error.code, json.loads(error.read())


@pytest.fixture
def server(gunicorn_server, make_index) -> tuple[str, Path]:
    """gunicorn started exactly as the Procfile says, on the sample corpus; its base URL."""
    index_dir = make_index()
    # These tests search in tight loops; the rate limiter has tests of its own.
    base, _ = gunicorn_server(index_dir, SEARCH_HOST="127.0.0.1", SEARCH_RATELIMIT="100000/second")
    return base, index_dir


@pytest.mark.slow
def test_procfile_gunicorn_serves_search_and_picks_up_a_reindex_without_restart(
    server, cli, tmp_path
):
    base, index_dir = server

    status, health = get(base, "/healthz")
    assert status == 200 and health["status"] == "ok" and health["documents"] > 0
    old_build = health["build"]

    status, body = get(base, "/search?q=parliament")
    assert status == 200
    assert body["total"] > 0 and body["build"] == old_build
    assert any("<mark>" in hit["snippet"] + hit["title_html"] for hit in body["results"])

    status, error = get(base, "/search?q=")
    assert status == 400
    assert set(error) >= {"error", "message"}

    assert get(base, "/search?q=kites")[1]["total"] == 0

    failures: list[str] = []
    builds: list[str] = []
    stop = threading.Event()

    def keep_searching() -> None:
        while not stop.is_set():
            try:
                status, body = get(base, "/search?q=parliament")
                if status != 200 or body["total"] == 0:
                    failures.append(f"{status}: {body}")
                builds.append(body["build"])
            except Exception as exc:
                failures.append(repr(exc))

    searching = threading.Thread(target=keep_searching)
    searching.start()
    try:
        extra = write_jsonl(tmp_path / "extra.jsonl", [NEW_ARTICLE])
        result = cli("reindex", "--sample", extra, "--index-dir", index_dir)
        wait_for(lambda: builds and builds[-1] != old_build, 10, "a search on the new build")
    finally:
        stop.set()
        searching.join()

    assert result.returncode == 0, result.stderr
    assert failures == []
    new_build = builds[-1]
    assert list(dict.fromkeys(builds)) == [old_build, new_build]
    # Several requests, so that both workers answer at least once with the new build.
    for _ in range(10):
        status, body = get(base, "/search?q=kites")
        assert status == 200
        assert body["build"] == new_build
        assert [hit["id"] for hit in body["results"]] == [NEW_ARTICLE["id"]]
    assert get(base, "/healthz")[1]["documents"] == sum(1 for _ in SAMPLE_CORPUS.open()) + 1


@pytest.mark.slow
def test_make_run_builds_the_sample_index_once_and_serves_it(tmp_path):
    """The README's first command, in the virtualenv the Makefile made (as in CI)."""
    venv = Path(sys.prefix)
    if not (venv / ".installed").exists():
        pytest.skip("not running inside the Makefile's virtualenv")
    index_dir = tmp_path / "index"
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("SEARCH_")},
        "PORT": str(port),
        "SEARCH_INDEX_DIR": str(index_dir),
    }
    log_path = tmp_path / "make-run.log"
    base = f"http://127.0.0.1:{port}"

    def run_until_healthy() -> dict[str, Any]:
        with log_path.open("a") as log:
            process = subprocess.Popen(
                ["make", "run", f"VENV={venv}"],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:

            def health() -> dict[str, Any] | None:
                assert process.poll() is None, log_path.read_text()
                try:
                    status, body = get(base, "/healthz")
                except OSError:
                    return None
                return body if status == 200 else None

            return wait_for(health, 60, log_path.read_text, interval=0.2)
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)

    first = run_until_healthy()
    assert first["documents"] == sum(1 for line in SAMPLE_CORPUS.open() if line.strip())
    second = run_until_healthy()
    assert second["build"] == first["build"], "make run rebuilt an existing index"
    log = log_path.read_text()
    assert "An index already exists" in log
    # start-up ends by saying where to look and how to change the port
    assert f"Search page: http://127.0.0.1:{port}/" in log and "PORT=8001 make run" in log


@pytest.mark.slow
def test_make_installs_the_service_into_a_fresh_virtualenv_without_packaging_warnings(tmp_path):
    venv = tmp_path / "venv"
    result = subprocess.run(
        ["make", f"VENV={venv}", f"{venv}/.installed"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    # pip's notes about this machine's unreachable extra index directories are not ours
    lines = [
        line
        for line in (result.stdout + result.stderr).splitlines()
        if "Location 'file:" not in line
    ]
    assert not [line for line in lines if "warning" in line.lower()], "\n".join(lines)
    installed = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "list", "--format=freeze"],
        capture_output=True,
        text=True,
    ).stdout.lower()
    assert "gunicorn==" in installed and "pytest==" not in installed


@pytest.mark.slow
def test_procfile_gunicorn_rate_limits_per_worker_with_429_json_and_retry_after(
    gunicorn_server, make_index
):
    """With the default ``memory://`` storage each of the 2 workers counts on its own: a
    client gets at least the limit and at most workers × limit before every answer is 429."""
    base, _ = gunicorn_server(make_index(), SEARCH_RATELIMIT="3/minute")
    answers = []
    for _ in range(12):  # a new connection each time, so gunicorn spreads them over workers
        try:
            with urllib.request.urlopen(base + "/search?q=bank", timeout=10) as response:
                answers.append((response.status, dict(response.headers), response.read()))
        except urllib.error.HTTPError as error:
            answers.append((error.code, dict(error.headers), error.read()))
    statuses = [status for status, _, _ in answers]
    assert statuses[:3] == [200, 200, 200]
    assert 3 <= statuses.count(200) <= 2 * 3  # so at least 6 of the 12 are 429s
    _, headers, body = next(answer for answer in answers if answer[0] == 429)
    assert headers["Content-Type"] == "application/json"
    assert json.loads(body)["error"] == "too_many_requests"
    assert 0 < int(headers["Retry-After"]) <= 60
    assert get(base, "/healthz")[0] == 200  # probes are never limited


def _raw_get(base: str, target: str, headers: dict[str, str] | None = None):
    """One GET with an already encoded target; (status, headers, body bytes)."""
    import http.client
    from urllib.parse import urlsplit

    address = urlsplit(base)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=20)
    try:
        connection.request("GET", target, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()


@pytest.mark.slow
def test_every_query_the_readme_allows_fits_in_a_url_and_oversized_requests_carry_an_id(server):
    """1,000 characters in any script (4-byte UTF-8 is 12 bytes percent-encoded) with every
    other parameter set are answered; what gunicorn itself refuses far beyond is JSON with an
    X-Request-ID."""
    from urllib.parse import urlencode

    base, _ = server
    filters = {"lang": "ru", "category": "политика", "tags": "бюджет,парламент"}
    filters |= {"from": "2020-01-01", "to": "2026-12-31", "sort": "newest", "per_page": "100"}
    for query in ("Парламент" * 112)[:1000], ("Qarabağ" * 143)[:1000], "𝔸" * 1000:
        for path, extra in (("/search", {}), ("/", {"ui": "ru"})):
            target = f"{path}?" + urlencode({"q": query, **filters, **extra})
            status, headers, body = _raw_get(base, target)
            assert status == 200, (len(target), body[:300])
            assert headers["X-Request-ID"]
    assert len(urlencode({"q": "𝔸" * 1000})) > 12_000

    status, headers, body = _raw_get(base, "/search?q=" + "x" * 40_000)
    assert status == 414
    assert json.loads(body)["error"] == "uri_too_long"
    assert headers["X-Request-ID"]
    status, headers, body = _raw_get(base, "/?q=gas", {"X-Tracking": "x" * 20_000})
    assert status == 431
    assert json.loads(body)["error"] == "request_header_fields_too_large"
    assert headers["X-Request-ID"]
    # Between the app's limit and gunicorn's, the app answers, on the page as HTML.
    status, headers, body = _raw_get(
        base, "/?q=gas&tags=" + "x" * 20_000, {"Accept-Language": "az"}
    )
    assert status == 414 and headers.get_content_type() == "text/html"
    assert "ünvan axtarış üçün çox uzundur" in body.decode()
    assert headers["X-Request-ID"]
