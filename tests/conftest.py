"""Shared fixtures: real indexes on disk in temporary directories, the real app and CLI.

The helpers they use (and that tests and bench scripts import) are in ``tests.support``.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from search_service import create_app
from search_service.indexing.store import IndexStore
from search_service.searching.searcher import SearchRequest, SearchResponse, search
from tests.support.corpus import SearchClient, build_index
from tests.support.gunicorn import start_gunicorn
from tests.support.mariadb import INSTALL_DB, MARIADB_BIN, MariaDB
from tests.support.postgres import POSTGRES_BIN, Postgres
from tests.support.processes import BIN, process_env, stop
from tests.support.servers import start_redis
from tests.support.waiting import server_unavailable


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


@pytest.fixture
def cli() -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run the installed ``search-service`` script to completion in its own process."""

    def run(
        *args: str | Path, env: dict[str, str] | None = None, input: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(BIN / "search-service"), *map(str, args)],
            env=process_env(env),
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
            [str(BIN / program), *map(str, args)], env=process_env(env), **popen
        )
        started.append(process)
        return process

    yield start
    for process in started:
        stop(process)


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


@pytest.fixture
def search_client(make_index: Callable[..., Path]) -> Callable[..., SearchClient]:
    """``search_client(articles, **config_overrides)``: the app over a fresh index of them,
    for a test that writes to it or needs a fresh app (cache, rate limit, routes)."""

    def build(articles: Iterable[dict[str, Any]], **overrides: Any) -> SearchClient:
        return SearchClient(make_index(list(articles), **overrides))

    return build


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


@pytest.fixture(scope="module")
def mariadb() -> Iterator[MariaDB]:
    """One MariaDB per test module that asks for it (each test makes its own database)."""
    if not (MARIADB_BIN.exists() and INSTALL_DB.exists()):
        server_unavailable(f"MariaDB is not installed ({MARIADB_BIN} or {INSTALL_DB} is missing)")
    server = MariaDB(Path(tempfile.mkdtemp(prefix="search-maria-")))
    try:
        server.init()
        server.start()
    except (subprocess.SubprocessError, OSError) as exc:
        server.stop()
        shutil.rmtree(server.folder, ignore_errors=True)
        stderr = getattr(exc, "stderr", b"") or b""
        server_unavailable(f"MariaDB cannot start: {exc} {stderr.decode()[-500:]}")
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(server.folder, ignore_errors=True)


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[str]:
    """A private redis-server's URL, stopped at teardown."""
    url, process = start_redis(tmp_path)
    yield url
    stop(process)
