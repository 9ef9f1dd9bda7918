"""Shared fixtures: real indexes on disk in temporary directories, the real app and CLI."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
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


def start_gunicorn(
    index_dir: Path, log_path: Path, port: int | None = None, **env: str
) -> tuple[str, subprocess.Popen]:
    """Start the Procfile's web process (2 workers) over ``index_dir`` on a free port (or
    ``port``) and return its base URL once ``/healthz`` answers 200. The caller stops it
    (:func:`stop`)."""
    port = port or free_port()
    program, *args = procfile_web_command()
    settings_env = {"PORT": str(port), "WEB_CONCURRENCY": "2", "SEARCH_INDEX_DIR": str(index_dir)}
    with log_path.open("a") as log:
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


# nginx and Redis from Debian, for the replication drill ------------------------------------


def wait_for_port(port: int, process: subprocess.Popen, what: str, log: Path) -> None:
    deadline = time.monotonic() + 15
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            stop(process)
            detail = log.read_text()[-2000:] if log.exists() else ""
            server_unavailable(f"{what} did not start on 127.0.0.1:{port}:\n{detail}")
        time.sleep(0.05)


def start_redis(folder: Path) -> tuple[str, subprocess.Popen]:
    """redis-server on a free loopback port, nothing saved to disk; its URL and process."""
    program = shutil.which("redis-server")
    if program is None:
        server_unavailable("redis-server is not installed (apt-get install redis-server)")
    port = free_port()
    log = folder / "redis.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [
                program,
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
                "--dir",
                str(folder),
            ],
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    wait_for_port(port, process, "redis-server", log)
    return f"redis://127.0.0.1:{port}/0", process


def nginx_config(followers: list[str], leader: str, port: int, folder: Path) -> str:
    """deploy/nginx.conf with this test's addresses, port, user and file paths."""
    text = (ROOT / "deploy" / "nginx.conf").read_text()

    def servers(addresses: list[str]) -> str:
        return "".join(f"\n        server {a} max_fails=2 fail_timeout=10s;" for a in addresses)

    def upstream(name: str, addresses: list[str], text: str) -> str:
        pattern = re.compile(rf"(upstream {name} \{{)(.*?)(\n\s*keepalive)", re.DOTALL)
        assert pattern.search(text), f"deploy/nginx.conf has no upstream {name}"
        return pattern.sub(lambda m: m[1] + servers(addresses) + m[3], text)

    text = upstream("search_followers", followers, text)
    text = upstream("search_leader", [leader], text)
    replacements = {
        "user www-data;": "user root;" if os.getuid() == 0 else "",
        "pid /run/nginx.pid;": f"pid {folder}/nginx.pid;",
        "error_log /var/log/nginx/error.log warn;": f"error_log {folder}/error.log warn;",
        "access_log /var/log/nginx/search-access.log;": f"access_log {folder}/access.log;"
        + "".join(
            f" {kind}_temp_path {folder}/{kind};"
            for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        ),
        "listen 80;": f"listen 127.0.0.1:{port};",
    }
    for old, new in replacements.items():
        assert old in text, f"deploy/nginx.conf no longer has {old!r}"
        text = text.replace(old, new)
    return text


def start_nginx(followers: list[str], leader: str, folder: Path) -> tuple[str, subprocess.Popen]:
    """Debian's nginx with deploy/nginx.conf in front of the given host:port addresses."""
    program = shutil.which("nginx") or (
        "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None
    )
    if program is None:
        server_unavailable("nginx is not installed (apt-get install nginx)")
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    conf = folder / "nginx.conf"
    conf.write_text(nginx_config(followers, leader, port, folder))
    log = folder / "error.log"
    with (folder / "nginx.out").open("w") as output:
        process = subprocess.Popen(
            [program, "-p", str(folder), "-c", str(conf), "-g", "daemon off;"],
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    wait_for_port(port, process, "nginx", log)
    return f"http://127.0.0.1:{port}", process


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[str]:
    """A private redis-server's URL, stopped at teardown."""
    url, process = start_redis(tmp_path)
    yield url
    stop(process)


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


class Cluster:
    """One leader and N followers, each the Procfile's gunicorn on 127.0.0.1, a
    ``search-service follow --every`` loop per follower, Redis for the rate limits and
    nginx (deploy/nginx.conf) in front: the drill of issue 14 and ``bench/cluster.py``."""

    TOKEN = "cluster-replication-token"
    ADMIN = "cluster-admin-token"

    def __init__(
        self,
        folder: Path,
        source: Path,
        *,
        followers: int = 2,
        every: float = 1.0,
        workers: int = 2,
        env: dict[str, str] | None = None,
    ) -> None:
        self.folder, self.source, self.every = folder, source, every
        self.count, self.workers, self.env = followers, workers, env or {}
        self.redis_url = ""
        self.processes: dict[str, subprocess.Popen] = {}
        self.leader_port = free_port()
        self.leader = f"http://127.0.0.1:{self.leader_port}"
        self.ports = [free_port() for _ in range(followers)]
        self.followers = [f"http://127.0.0.1:{port}" for port in self.ports]
        self.nginx = ""

    # Starting and stopping ---------------------------------------------------------------

    def start(self) -> Cluster:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.redis_url, self.processes["redis"] = start_redis(self.folder)
        build = subprocess.run(
            [
                str(BIN / "search-service"),
                "reindex",
                str(self.source),
                "--index-dir",
                str(self.index_dir("leader")),
            ],
            env=_process_env(None),
            capture_output=True,
            text=True,
            timeout=3600,
        )
        assert build.returncode == 0, build.stderr
        self.start_leader()
        for number in range(self.count):
            first = self.follow_once(number)
            assert first.returncode == 0, first.stderr
            self.start_web(number)
            self.start_follow_loop(number)
        self.start_nginx(range(self.count))
        return self

    def start_nginx(self, numbers: Iterable[int]) -> None:
        """(Re)start nginx in front of the followers ``numbers``."""
        self._stop("nginx")
        addresses = [f"127.0.0.1:{self.ports[number]}" for number in numbers]
        self.nginx, self.processes["nginx"] = start_nginx(
            addresses, f"127.0.0.1:{self.leader_port}", self.folder / "nginx"
        )

    def close(self) -> None:
        for name in reversed(list(self.processes)):
            self._stop(name)

    def index_dir(self, role: str | int) -> Path:
        return self.folder / (role if isinstance(role, str) else f"follower-{role}")

    def _env(self, **extra: str) -> dict[str, str]:
        return {
            "WEB_CONCURRENCY": str(self.workers),
            "SEARCH_TRUSTED_PROXIES": "1",
            "SEARCH_RATELIMIT_STORAGE_URL": self.redis_url,
            "SEARCH_RATELIMIT": "1000000/minute",
            **self.env,
            **extra,
        }

    def start_leader(self) -> None:
        _, self.processes["leader"] = start_gunicorn(
            self.index_dir("leader"),
            self.folder / "leader.log",
            port=self.leader_port,
            **self._env(
                SEARCH_REPLICATION_TOKEN=self.TOKEN,
                SEARCH_ADMIN_TOKEN=self.ADMIN,
                SEARCH_REINDEX_SOURCE=str(self.source),
            ),
        )

    def stop_leader(self) -> None:
        self._stop("leader")

    def start_web(self, number: int) -> None:
        _, self.processes[f"web-{number}"] = start_gunicorn(
            self.index_dir(number),
            self.folder / f"follower-{number}.log",
            port=self.ports[number],
            **self._env(SEARCH_LEADER_URL=self.leader, SEARCH_ADMIN_TOKEN=self.ADMIN),
        )

    def kill_web(self, number: int) -> None:
        """kill -9 of a follower's gunicorn: the master and its workers at once."""
        process = self.processes.pop(f"web-{number}")
        for pid in [process.pid, *_children(process.pid)]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        process.wait()

    def follow_command(self, number: int, *extra: str) -> list[str]:
        return [
            str(BIN / "search-service"),
            "follow",
            self.leader,
            "--index-dir",
            str(self.index_dir(number)),
            *extra,
        ]

    def follow_once(self, number: int, *extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            self.follow_command(number, *extra),
            env=_process_env({"SEARCH_REPLICATION_TOKEN": self.TOKEN}),
            capture_output=True,
            text=True,
            timeout=3600,
        )

    def start_follow_loop(self, number: int, *extra: str) -> subprocess.Popen:
        with (self.folder / f"follow-{number}.log").open("a") as log:
            process = subprocess.Popen(
                self.follow_command(number, "--every", str(self.every), *extra),
                env=_process_env({"SEARCH_REPLICATION_TOKEN": self.TOKEN}),
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.processes[f"follow-{number}"] = process
        return process

    def kill_follow_loop(self, number: int) -> None:
        process = self.processes.pop(f"follow-{number}")
        process.kill()
        process.wait()

    def _stop(self, name: str) -> None:
        process = self.processes.pop(name, None)
        if process is not None:
            stop(process)

    # Talking to it -----------------------------------------------------------------------

    def get(self, url: str, **headers: str) -> tuple[int, Any]:
        request = urllib.request.Request(url, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"null")

    def admin(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        """An admin call through nginx, which sends it to the leader."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.nginx + path,
            data=data,
            method=method,
            headers={"Authorization": f"Bearer {self.ADMIN}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=120) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"null")

    def leader_manifest(self) -> dict[str, Any]:
        status, body = self.get(
            self.leader + "/replication/manifest", Authorization=f"Bearer {self.TOKEN}"
        )
        assert status == 200, body
        return body

    def wait_converged(self, timeout: float = 60.0) -> str:
        """Wait until every follower serves a copy of the leader's live build; its id."""
        deadline = time.monotonic() + timeout
        while True:
            manifest = self.leader_manifest()
            want = f"{manifest['build']}.g{int(manifest['generation']):06d}"
            builds = [self.get(base + "/healthz")[1].get("build") for base in self.followers]
            if all(build == want for build in builds):
                return want
            assert time.monotonic() < deadline, f"followers at {builds}, leader at {want}"
            time.sleep(0.1)


class Readers:
    """``clients`` threads searching through ``base`` (keep-alive, like browsers behind a
    balancer) until the ``with`` block ends; every answer is checked to be a whole JSON
    search response of one build, and anything else is recorded as a failure."""

    def __init__(self, base: str, queries: list[str], clients: int = 16) -> None:
        self.address = urllib.parse.urlsplit(base)
        self.queries, self.clients = queries, clients
        self.latencies: list[float] = []
        self.builds: dict[str, int] = {}
        self.failures: list[str] = []
        self._stop = threading.Event()
        self._guard = threading.Lock()
        self._threads: list[threading.Thread] = []

    def __enter__(self) -> Readers:
        self.started = time.monotonic()
        for number in range(self.clients):
            thread = threading.Thread(target=self._run, args=(number,), daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=60)
        self.seconds = time.monotonic() - self.started

    @property
    def count(self) -> int:
        return len(self.latencies) + len(self.failures)

    def _run(self, number: int) -> None:
        connection = http.client.HTTPConnection(
            self.address.hostname, self.address.port, timeout=30
        )
        turn = number
        while not self._stop.is_set():
            q = self.queries[turn % len(self.queries)]
            turn += self.clients
            path = "/search?" + urllib.parse.urlencode({"q": q})
            started = time.perf_counter()
            try:
                connection.request("GET", path)
                response = connection.getresponse()
                body = response.read()
                seconds = time.perf_counter() - started
                problem = self._check(response.status, body)
            except (OSError, http.client.HTTPException) as exc:
                connection.close()
                seconds, problem = 0.0, f"{path}: {exc!r}"
            with self._guard:
                if problem:
                    self.failures.append(problem)
                else:
                    self.latencies.append(seconds)
                    build = json.loads(body)["build"]
                    self.builds[build] = self.builds.get(build, 0) + 1
        connection.close()

    @staticmethod
    def _check(status: int, body: bytes) -> str:
        if status != 200:
            return f"status {status}: {body[:200]!r}"
        try:
            found = json.loads(body)
        except ValueError:
            return f"not whole JSON: {body[:200]!r}"
        if not isinstance(found.get("build"), str) or not isinstance(found.get("results"), list):
            return f"not a search response: {body[:200]!r}"
        if len(found["results"]) > found["total"]:
            return f"more results than its total: {body[:200]!r}"
        return ""
