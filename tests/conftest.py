"""Shared fixtures: real indexes on disk in temporary directories, the real app and CLI."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
from click.testing import CliRunner

from search_service import config as settings
from search_service import create_app
from search_service.indexing import writer
from search_service.indexing.store import IndexStore
from search_service.searching.searcher import SearchRequest, SearchResponse, search
from search_service.sources import SAMPLE_CORPUS, read_sources

FIXTURES = Path(__file__).parent / "fixtures"
ROOT = Path(__file__).resolve().parent.parent
T = TypeVar("T")


def wait_for(
    condition: Callable[[], T],
    timeout: float,
    message: str | Callable[[], str] = "",
    *,
    interval: float = 0.05,
) -> T:
    """Call ``condition`` until it returns something true and return that; fail the test when
    ``timeout`` seconds pass first. ``message`` (or a function making it, called only on
    failure, e.g. to read a log) says what was awaited. ``condition`` may itself assert, to
    stop waiting at once for something that can no longer happen."""
    deadline = time.monotonic() + timeout
    while True:
        outcome = condition()
        if outcome:
            return outcome
        if time.monotonic() > deadline:
            said = message() if callable(message) else message
            pytest.fail(f"not within {timeout:g} s: {said or condition}")
        time.sleep(interval)


def write_jsonl(path: Path, records: Iterable[dict[str, Any] | str]) -> Path:
    """Write records (dicts, or raw lines for malformed input) as JSON Lines."""
    lines = [r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in records]
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


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


@pytest.fixture
def make_index(tmp_path: Path) -> Callable[..., Path]:
    """Build a real index from article dicts (or the sample corpus) and return its directory."""
    counter = iter(range(1000))

    def build(articles: Iterable[dict[str, Any]] | None = None, **overrides: Any) -> Path:
        folder = tmp_path / f"index-{next(counter)}"
        folder.mkdir()
        return build_index(folder, articles, **overrides)

    return build


@pytest.fixture(scope="session")
def sample_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One index of the built-in sample corpus, shared read-only by tests that only search."""
    return build_index(tmp_path_factory.mktemp("sample"))


@pytest.fixture
def app(sample_index: Path):
    return create_app({"index_dir": sample_index})


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


# Programs of the virtualenv running the tests (CI's .venv or a developer's), not of $PATH.
BIN = Path(sys.executable).parent


def _process_env(settings: dict[str, str] | None) -> dict[str, str]:
    """This environment without the caller's own SEARCH_* settings, plus ``settings``."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("SEARCH_")}
    return {**env, **(settings or {})}


@pytest.fixture
def cli() -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run the installed ``search-service`` script to completion in its own process."""

    def run(
        *args: str | Path, env: dict[str, str] | None = None, input: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(BIN / "search-service"), *map(str, args)],
            env=_process_env(env),
            input=input,
            capture_output=True,
            text=True,
            timeout=120,
        )

    return run


@pytest.fixture
def spawn() -> Iterator[Callable[..., subprocess.Popen]]:
    """Start a program of the virtualenv in the background (``spawn("gunicorn", ...)``).

    Whatever is still running at teardown is terminated, then killed, so a failing test never
    leaves a server or a writer behind.
    """
    started: list[subprocess.Popen] = []

    def start(
        program: str, *args: str | Path, env: dict[str, str] | None = None, **popen: Any
    ) -> subprocess.Popen:
        process = subprocess.Popen(
            [str(BIN / program), *map(str, args)], env=_process_env(env), **popen
        )
        started.append(process)
        return process

    yield start
    for process in started:
        stop(process)


def stop(process: subprocess.Popen) -> None:
    """Terminate a background process, and kill it if it does not exit in time."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def procfile_web_command() -> list[str]:
    """The Procfile's ``web:`` command line, split as a shell would."""
    line = next(
        line for line in (ROOT / "Procfile").read_text().splitlines() if line.startswith("web:")
    )
    return shlex.split(line.removeprefix("web:"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(index_dir: Path, log_path: Path, **env: str) -> tuple[str, subprocess.Popen]:
    """Start the Procfile's web process (2 workers) over ``index_dir`` on a free port and
    return its base URL once ``/healthz`` answers 200. The caller stops it (:func:`stop`)."""
    port = free_port()
    program, *args = procfile_web_command()
    settings_env = {"PORT": str(port), "WEB_CONCURRENCY": "2", "SEARCH_INDEX_DIR": str(index_dir)}
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [str(BIN / program), *args],
            cwd=ROOT,
            env=_process_env({**settings_env, **env}),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"

    def healthy() -> bool:
        if process.poll() is not None:
            pytest.fail(f"gunicorn exited:\n{log_path.read_text()}")
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2) as response:
                return response.status == 200
        except OSError:
            return False

    try:
        wait_for(healthy, 30, lambda: f"gunicorn healthy:\n{log_path.read_text()}", interval=0.1)
    except BaseException:
        stop(process)
        raise
    return base, process


@pytest.fixture
def gunicorn_server(tmp_path: Path) -> Iterator[Callable[..., tuple[str, subprocess.Popen]]]:
    """``start(index_dir, **env)``: :func:`start_gunicorn`, stopped at teardown."""
    started: list[subprocess.Popen] = []

    def start(index_dir: Path, **env: str) -> tuple[str, subprocess.Popen]:
        base, process = start_gunicorn(index_dir, tmp_path / f"gunicorn-{len(started)}.log", **env)
        started.append(process)
        return base, process

    yield start
    for process in started:
        stop(process)


@pytest.fixture
def run_search() -> Callable[..., SearchResponse]:
    """Run one reader query against a built index directory, as the API does."""

    def run(index_dir: Path, q: str, **request: Any) -> SearchResponse:
        _, ix = IndexStore(index_dir).open_current()
        with ix.searcher() as searcher:
            return search(searcher, SearchRequest(q=q, **request))

    return run


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


@pytest.fixture
def search_client(make_index: Callable[..., Path]) -> Callable[..., SearchClient]:
    """``search_client(articles, **config_overrides)``: the app over a fresh index of them,
    for a test that writes to it or needs a fresh app (cache, rate limit, routes)."""

    def build(articles: Iterable[dict[str, Any]], **overrides: Any) -> SearchClient:
        return SearchClient(make_index(list(articles), **overrides))

    return build


def shared_client(
    tmp_path_factory: pytest.TempPathFactory, articles: Iterable[dict[str, Any]]
) -> SearchClient:
    """The app over an index of ``articles``, for a module-scoped fixture shared by tests
    that only read: one build per module instead of one per test."""
    return SearchClient(build_index(tmp_path_factory.mktemp("shared"), list(articles)))


# PostgreSQL 15 from Debian, as a throwaway cluster for the database source tests ----------

from pg_server import POSTGRES_BIN, Postgres  # noqa: E402


def server_unavailable(message: str) -> None:
    """Skip a test whose server cannot run here, but fail it where servers are required (CI
    sets SEARCH_REQUIRE_SERVERS=1), so a missing server never passes as a skipped test."""
    if os.environ.get("SEARCH_REQUIRE_SERVERS") == "1":
        pytest.fail(f"{message} (SEARCH_REQUIRE_SERVERS=1)")
    pytest.skip(message)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[Postgres]:
    """One PostgreSQL cluster for the whole session (each test makes its own database)."""
    if not (POSTGRES_BIN / "initdb").exists():
        server_unavailable(f"PostgreSQL is not installed ({POSTGRES_BIN}/initdb is missing)")
    server = Postgres(Path(tempfile.mkdtemp(prefix="search-pg-")))
    try:
        server.init()
        server.start()
    except (subprocess.SubprocessError, OSError) as exc:
        server.stop()
        log = server.log.read_text() if server.log.exists() else ""
        shutil.rmtree(server.folder, ignore_errors=True)
        stderr = getattr(exc, "stderr", b"") or b""
        server_unavailable(f"PostgreSQL cannot start: {exc} {stderr.decode()[-500:]} {log[-500:]}")
    try:
        yield server
    finally:
        server.stop(signal.SIGQUIT)  # nothing in it is kept
        shutil.rmtree(server.folder, ignore_errors=True)


@pytest.fixture
def postgres(postgres_server: Postgres) -> Iterator[Postgres]:
    """The session's cluster, started again if a test stopped it."""
    if postgres_server.pid is None:
        postgres_server.start()
    yield postgres_server
    if postgres_server.pid is None:
        postgres_server.start()
