"""The real service for benchmarks: the Procfile's gunicorn on a free 127.0.0.1 port, and the
HTTP clients that drive it.

Shared by ``bench/speed.py`` (its ``--http`` mode) and ``bench/load.py`` so both measure the
same process the README starts, the same way.
"""

from __future__ import annotations

import contextlib
import http.client
import math
import os
import random
import re
import shlex
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


@dataclass
class Served:
    """A running service: where to reach it and the gunicorn master's pid."""

    port: int
    pid: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@contextlib.contextmanager
def serve(
    index_dir: Path, workers: int, extra_env: dict[str, str] | None = None
) -> Iterator[Served]:
    """The Procfile's web process over ``index_dir`` until the block ends.

    The rate limit is lifted (these runs measure the service, not the limiter) and logging is
    quiet; ``extra_env`` adds or overrides settings such as ``SEARCH_CACHE_SIZE``.
    """
    procfile = (REPO / "Procfile").read_text()
    command = next(line[5:] for line in procfile.splitlines() if line.startswith("web: "))
    port = free_port()
    env = {
        **os.environ,
        "SEARCH_INDEX_DIR": str(index_dir),
        "PORT": str(port),
        "WEB_CONCURRENCY": str(workers),
        "SEARCH_LOG_LEVEL": "warning",
        "SEARCH_RATELIMIT": "1000000/second",
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        **(extra_env or {}),
    }
    server = subprocess.Popen(
        [*shlex.split(command), "--access-logfile", "/dev/null"],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        _wait_healthy(port)
        yield Served(port, server.pid)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_healthy(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit("gunicorn did not become healthy")


def worker_rss(master: int) -> list[dict[str, float]]:
    """Resident MB per worker: total, anonymous (the worker's own) and file-backed (pages of
    the index files Whoosh maps, shared with the page cache and the other workers)."""
    sizes = []
    for child in Path(f"/proc/{master}/task/{master}/children").read_text().split():
        status = Path(f"/proc/{child}/status").read_text()
        sizes.append(
            {
                key: round(int(re.search(rf"{name}:\s+(\d+)", status)[1]) / 1024, 1)
                for key, name in (("rss", "VmRSS"), ("anon", "RssAnon"), ("file", "RssFile"))
            }
        )
    return sizes


def workers_cpu_seconds(master: int) -> float:
    """User and system CPU seconds the master's worker processes have used so far."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for child in Path(f"/proc/{master}/task/{master}/children").read_text().split():
        fields = Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return total / ticks


# Clients ----------------------------------------------------------------------------------


@dataclass
class Tally:
    """What a run of requests measured; ``latencies`` in ms, of successful requests only."""

    latencies: list[float] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)
    cache_hits: int = 0
    seconds: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def record(self, status: str, elapsed_ms: float, cache_hit: bool) -> None:
        with self._lock:
            self.statuses[status] += 1
            self.cache_hits += cache_hit
            if status == "200":
                self.latencies.append(elapsed_ms)

    def summary(self) -> dict:
        requests = sum(self.statuses.values())
        ok = self.statuses.get("200", 0)
        return {
            "requests": requests,
            "errors": requests - ok,
            "statuses": dict(self.statuses),
            "seconds": round(self.seconds, 1),
            "rps": round(ok / self.seconds, 1) if self.seconds else 0.0,
            "cache_hits": round(self.cache_hits / requests, 3) if requests else 0.0,
            **percentiles(self.latencies),
        }


def percentiles(samples: Sequence[float]) -> dict[str, float]:
    """Nearest-rank p50/p95/p99, max and mean, in the samples' unit."""
    ordered = sorted(samples)

    def at(p: float) -> float:
        if not ordered:
            return 0.0
        rank = max(1, math.ceil(len(ordered) * p / 100))
        return round(ordered[rank - 1], 2)

    mean = round(statistics.fmean(ordered), 2) if ordered else 0.0
    return {"p50": at(50), "p95": at(95), "p99": at(99), "max": at(100), "mean": mean}


def zipf_stream(queries: Sequence[str], count: int, seed: int, s: float = 1.0) -> list[str]:
    """``count`` queries drawn with Zipf weights (the k-th most popular weighs 1/k^s), the
    skew of real search logs: a few queries are asked again and again."""
    weights = [1 / (rank**s) for rank in range(1, len(queries) + 1)]
    return random.Random(seed).choices(list(queries), weights, k=count)


def get_search(port: int, q: str, tally: Tally, since: float | None = None) -> None:
    """One ``/search`` request on a fresh connection (gunicorn's sync workers close each one),
    recorded in ``tally``; latency counts from ``since`` when given (the moment an open-loop
    request was due), else from the send."""
    path = "/search?" + urllib.parse.urlencode({"q": q})
    started = time.perf_counter() if since is None else since
    cache_hit = False
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        status = str(response.status)
        cache_hit = response.getheader("X-Cache") == "hit"
        connection.close()
    except (OSError, http.client.HTTPException) as exc:
        status = type(exc).__name__
    tally.record(status, (time.perf_counter() - started) * 1000, cache_hit)


def closed_loop(port: int, stream: Sequence[str], clients: int) -> dict:
    """``clients`` threads take the next query of ``stream`` as soon as their previous one
    answers, until the stream is used up."""
    tally = Tally()
    tally.seconds = _share(len(stream), lambda n: get_search(port, stream[n], tally), clients)
    return tally.summary()


def open_loop(port: int, stream: Sequence[str], rate: float, seconds: float) -> dict:
    """Requests sent at a fixed ``rate`` per second for ``seconds``, whether or not earlier ones
    have answered, as independent readers arrive. Latency counts from the moment a request was
    due, so a service that falls behind shows it in the percentiles (no coordinated omission).
    """
    tally = Tally()
    start = time.perf_counter()

    def send(n: int) -> None:
        when = start + n / rate
        delay = when - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        get_search(port, stream[n % len(stream)], tally, since=when)

    # Enough senders that a slow answer never delays the next send in the schedule.
    senders = min(256, max(4, int(rate * 2)))
    _share(max(1, int(rate * seconds)), send, senders)
    tally.seconds = time.perf_counter() - start
    return {**tally.summary(), "offered_rps": rate}


def _share(count: int, work: Callable[[int], None], threads: int) -> float:
    """``work(0)`` … ``work(count - 1)`` on ``threads`` threads, each taking the next number
    when it is free; the seconds it all took."""
    numbers = iter(range(count))
    lock = threading.Lock()

    def worker() -> None:
        while True:
            with lock:
                n = next(numbers, None)
            if n is None:
                return
            work(n)

    started = time.perf_counter()
    running = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in running:
        thread.start()
    for thread in running:
        thread.join()
    return time.perf_counter() - started
