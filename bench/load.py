"""Load test: the real gunicorn service under concurrent readers; throughput and latency.

Queries come from a queries file (``qid<TAB>query`` TSV, or one query per line) or are cut
from the titles of article JSON Lines files (2-3 words each, as readers type them); the files
are read by path and never copied. Three ways to load the service:

* ``--clients 1,4,16``: closed loop, each client sending its next request when the previous
  one answers, ``--requests`` requests per client count;
* ``--rates 10,20,40``: open loop, requests arriving at a fixed rate per second for
  ``--duration`` seconds whether or not earlier ones have answered;
* ``--capacity``: open loop at rising rates, to find the highest rate the service sustains
  with p95 at most ``--p95-ms`` (no errors, at least 95 % of the offered rate answered).

Open-loop latency counts from the moment a request was due, so a service that falls behind
shows it in the percentiles. ``--zipf 1`` repeats popular queries as search logs do (the
result cache's case); ``--no-cache`` makes every request search. ::

    # start gunicorn (the Procfile's web process) over an index, then find its capacity
    python bench/load.py --serve /tmp/ix --workers 2 --capacity \
        --titles ../shared/data/corpora/en-bbc.jsonl

    # a service already running on 127.0.0.1:8000
    python bench/load.py --port 8000 --clients 1,4 --queries my-queries.tsv

Prints one JSON object (each capacity step also as a line on stderr). Only ever talks to
127.0.0.1.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import service


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


def capacity(port: int, stream: list[str], args: argparse.Namespace) -> dict:
    """Rates rising by half until one misses the goal, then the gap between the best passing
    and the first failing rate halved ``--refine`` times."""

    def step(rate: float) -> bool:
        result = service.open_loop(port, stream, rate, args.duration)
        ok = result["errors"] == 0 and result["p95"] <= args.p95_ms and result["rps"] >= 0.95 * rate
        steps.append({**result, "meets_goal": ok})
        print(json.dumps(steps[-1]), file=sys.stderr)
        return ok

    steps: list[dict] = []
    passed = failed = None
    rate = args.start_rate
    while failed is None and rate <= args.max_rate:
        if step(rate):
            passed, rate = rate, round(rate * 1.5, 1)
        else:
            failed = rate
    for _ in range(args.refine if passed is not None and failed is not None else 0):
        rate = round((passed + failed) / 2, 1)
        passed, failed = (rate, failed) if step(rate) else (passed, rate)
    return {"goal_p95_ms": args.p95_ms, "sustained_rps": passed, "steps": steps}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--port", type=int, help="a service already running on 127.0.0.1")
    where.add_argument("--serve", type=Path, metavar="INDEX_DIR", help="start gunicorn over it")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers with --serve")
    parser.add_argument("--no-cache", action="store_true", help="with --serve: no result cache")
    parser.add_argument("--queries", type=Path, help="queries file (qid<TAB>query, or one a line)")
    parser.add_argument(
        "--titles", type=Path, nargs="*", default=[], help="article JSON Lines to cut queries from"
    )
    parser.add_argument("--max-queries", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument(
        "--zipf",
        type=float,
        metavar="S",
        help="draw the stream with Zipf weights (s=1 is typical of search logs) so popular "
        "queries repeat, as they do on a site; default: each query in turn",
    )
    parser.add_argument("--warmup", type=int, default=200, help="requests before measuring")
    parser.add_argument("--clients", type=_numbers(int), default=[], help="e.g. 1,4,16")
    parser.add_argument("--requests", type=int, default=1000, help="per closed-loop run")
    parser.add_argument("--rates", type=_numbers(float), default=[], help="e.g. 10,20,40")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds per open-loop run")
    parser.add_argument("--capacity", action="store_true")
    parser.add_argument("--p95-ms", type=float, default=100.0)
    parser.add_argument("--start-rate", type=float, default=5.0)
    parser.add_argument("--max-rate", type=float, default=5000.0)
    parser.add_argument("--refine", type=int, default=3)
    args = parser.parse_args()
    if not (args.clients or args.rates or args.capacity):
        parser.error("say what to run: --clients, --rates and/or --capacity")
    stream = load_queries(args.queries, args.titles, args.max_queries, args.seed)
    if args.zipf:
        stream = service.zipf_stream(stream, 20 * len(stream), args.seed, args.zipf)
    report: dict = {"queries": len(stream)}
    with contextlib.ExitStack() as stack:
        if args.serve:
            extra = {"SEARCH_CACHE_SIZE": "0"} if args.no_cache else {}
            served = stack.enter_context(service.serve(args.serve, args.workers, extra))
            port = served.port
            report.update(workers=args.workers, result_cache=not args.no_cache)
        else:
            port = args.port
        if args.warmup:
            service.closed_loop(port, stream[: args.warmup], 2)
        for clients in args.clients:
            repeated = (stream * (args.requests // len(stream) + 1))[: args.requests]
            report[f"clients_{clients}"] = service.closed_loop(port, repeated, clients)
        for rate in args.rates:
            report[f"rate_{rate:g}"] = service.open_loop(port, stream, rate, args.duration)
        if args.capacity:
            report["capacity"] = capacity(port, stream, args)
        if args.serve:
            report["worker_rss_mb"] = service.worker_rss(served.pid)
    print(json.dumps(report, indent=2))


def _numbers(kind):
    return lambda text: [kind(part) for part in text.split(",") if part]


if __name__ == "__main__":
    main()
