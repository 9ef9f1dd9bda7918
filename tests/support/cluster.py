"""One leader, N followers, Redis and nginx on this machine (the replication drill of
``tests/test_cluster.py`` and ``bench/cluster.py``), and readers searching through it."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from tests.support.gunicorn import start_gunicorn
from tests.support.processes import BIN, children, free_port, process_env, stop
from tests.support.servers import start_nginx, start_redis


class Cluster:
    """One leader and N followers, each the Procfile's gunicorn on 127.0.0.1, a
    ``search-service follow --every`` loop per follower, Redis for the rate limits and
    nginx (deploy/nginx.conf) in front: the drill of ``tests/test_cluster.py`` and
    ``bench/cluster.py``."""

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
            env=process_env(None),
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
        for pid in [process.pid, *children(process.pid)]:
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
            env=process_env({"SEARCH_REPLICATION_TOKEN": self.TOKEN}),
            capture_output=True,
            text=True,
            timeout=3600,
        )

    def start_follow_loop(self, number: int, *extra: str) -> subprocess.Popen:
        with (self.folder / f"follow-{number}.log").open("a") as log:
            process = subprocess.Popen(
                self.follow_command(number, "--every", str(self.every), *extra),
                env=process_env({"SEARCH_REPLICATION_TOKEN": self.TOKEN}),
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
