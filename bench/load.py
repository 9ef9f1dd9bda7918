"""Load test: concurrent clients against the real gunicorn service; throughput and latency.

Queries come from a queries file (``qid<TAB>query`` TSV, or one query per line) or are cut
from the titles of an article JSON Lines file (2-3 words each, as readers type them); the
files are read by path and never copied. Each client runs closed-loop (next request when
the previous answers) for ``--duration`` seconds.

    # against a running service
    python bench/load.py --url http://127.0.0.1:8000 --titles ../shared/data/corpora/en-bbc.jsonl

    # start gunicorn over an index first (WEB_CONCURRENCY workers), then load it
    python bench/load.py --serve --index-dir /tmp/ix --workers 2 --clients 8 --duration 30 \
        --titles ../shared/data/corpora/en-reuters21578.jsonl

Prints one JSON object: requests, errors (by status), throughput (req/s) and latency
percentiles (ms). Only ever talks to the URL given (127.0.0.1 by default).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from collections import Counter
from pathlib import Path


def load_queries(queries: Path | None, titles: list[Path], limit: int, seed: int) -> list[str]:
    found: list[str] = []
    rng = random.Random(seed)
    if queries:
        for line in queries.read_text(encoding="utf-8").splitlines():
            text = line.split("\t", 1)[-1].strip()
            if text:
                found.append(text)
    for path in titles:
        per_file = limit // len(titles)
        taken = 0
        with path.open(encoding="utf-8") as lines:
            for line in lines:
                words = (json.loads(line).get("title") or "").split()
                if len(words) >= 2:
                    start = rng.randrange(max(len(words) - 2, 1))
                    found.append(" ".join(words[start : start + rng.choice((2, 3))]))
                    taken += 1
                if taken >= per_file:
                    break
    if not found:
        found = ["budget", "central bank", "parliament", "football", "weather", "election"]
    rng.shuffle(found)
    return found[:limit]


def percentile(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def run(url: str, queries: list[str], clients: int, duration: float, per_page: int) -> dict:
    target = urllib.parse.urlsplit(url)
    latencies: list[float] = []
    statuses: Counter[str] = Counter()
    guard = threading.Lock()
    stop = time.monotonic() + duration

    def client(number: int) -> None:
        rng = random.Random(number)
        connection = http.client.HTTPConnection(target.hostname, target.port or 80, timeout=30)
        mine, codes = [], Counter()
        while time.monotonic() < stop:
            q = rng.choice(queries)
            path = "/search?" + urllib.parse.urlencode({"q": q, "per_page": per_page})
            started = time.perf_counter()
            try:
                connection.request("GET", path, headers={"X-Request-ID": f"load-{number}"})
                response = connection.getresponse()
                response.read()
                codes[str(response.status)] += 1
                if response.status == 200:
                    mine.append((time.perf_counter() - started) * 1000)
            except (OSError, http.client.HTTPException) as exc:
                codes[type(exc).__name__] += 1
                connection.close()
                connection = http.client.HTTPConnection(
                    target.hostname, target.port or 80, timeout=30
                )
        with guard:
            latencies.extend(mine)
            statuses.update(codes)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    ok = statuses.get("200", 0)
    return {
        "clients": clients,
        "seconds": round(elapsed, 1),
        "requests": sum(statuses.values()),
        "ok": ok,
        "statuses": dict(statuses),
        "throughput_rps": round(ok / elapsed, 1),
        "latency_ms": {
            "p50": round(percentile(latencies, 50), 1),
            "p90": round(percentile(latencies, 90), 1),
            "p95": round(percentile(latencies, 95), 1),
            "p99": round(percentile(latencies, 99), 1),
            "max": round(max(latencies, default=0), 1),
            "mean": round(statistics.fmean(latencies), 1) if latencies else 0,
        },
    }


def serve(index_dir: Path, workers: int, port: int) -> subprocess.Popen:
    root = Path(__file__).resolve().parent.parent
    env = {
        **os.environ,
        "SEARCH_INDEX_DIR": str(index_dir),
        "WEB_CONCURRENCY": str(workers),
        "PORT": str(port),
        "SEARCH_RATELIMIT": "1000000/second",  # measuring the service, not the limiter
        "SEARCH_LOG_LEVEL": "warning",
    }
    gunicorn = Path(sys.executable).parent / "gunicorn"
    process = subprocess.Popen(
        [str(gunicorn), "--config", str(root / "gunicorn.conf.py"), "search_service:create_app()"],
        env=env,
        cwd=root,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("gunicorn did not become healthy in 30 s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--queries", type=Path, help="queries file (qid<TAB>query, or one a line)")
    parser.add_argument(
        "--titles", type=Path, nargs="*", default=[], help="article JSON Lines to cut queries from"
    )
    parser.add_argument("--max-queries", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--duration", type=float, default=20.0)
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--per-page", type=int, default=10)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--serve", action="store_true", help="start gunicorn over --index-dir")
    parser.add_argument("--index-dir", type=Path)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    queries = load_queries(args.queries, args.titles, args.max_queries, args.seed)
    server = None
    url = args.url
    if args.serve:
        if not args.index_dir:
            parser.error("--serve needs --index-dir")
        server = serve(args.index_dir, args.workers, args.port)
        url = f"http://127.0.0.1:{args.port}"
    try:
        if args.warmup:
            run(url, queries, args.clients, args.warmup, args.per_page)
        result = run(url, queries, args.clients, args.duration, args.per_page)
        result.update(queries=len(queries), workers=args.workers if server else None)
        print(json.dumps(result, indent=2))
    finally:
        if server is not None:
            server.terminate()
            server.wait(20)


if __name__ == "__main__":
    main()
