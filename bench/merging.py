"""Search after a stream of single-article adds, under each merge policy.

Not a test. Builds a fresh index of ``--articles`` articles (bench/speed.py's mixed corpus),
then, on a copy per policy (``SEARCH_MERGE`` = background, inline, off), adds ``--adds`` further
articles one ``writer.add`` at a time, as a CMS sending one update at a time would. Prints the
add latency (wall and CPU ms: p50/p95/max), the CPU the background merge processes took, the
segments left, then search latency (bench/speed.py's queries and code path, CPU ms per query,
rounds alternating between the indexes) on the fresh build and on each updated copy.

Example::

    nice .venv/bin/python -m bench.merging /work/shared/data/corpora/*.jsonl \\
        --workdir /tmp/merge-bench --articles 20000 --adds 10000
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench import service  # noqa: E402
from bench.speed import Ours, build_in_child, make_corpus, make_queries, time_queries  # noqa: E402
from search_service import config as service_config  # noqa: E402
from search_service.indexing import merging, writer  # noqa: E402
from search_service.indexing.store import IndexStore  # noqa: E402
from search_service.sources.jsonl import read_sources  # noqa: E402

POLICIES = ("background", "inline", "off")  # background:N sets SEARCH_MERGE_FACTOR=N


def split_corpus(corpus: Path, articles: int, workdir: Path) -> tuple[Path, Path]:
    """The first ``articles`` lines (the build) and the rest (the adds)."""
    base, adds = workdir / "base.jsonl", workdir / "adds.jsonl"
    with open(corpus, encoding="utf-8") as lines, open(base, "w") as b, open(adds, "w") as a:
        for number, line in enumerate(lines):
            (b if number < articles else a).write(line)
    return base, adds


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def reap_children() -> None:
    """Wait for every child process left (finished merges), so their CPU is counted."""
    while True:
        try:
            os.waitpid(-1, 0)
        except ChildProcessError:
            return


def stream_adds(fresh: Path, root: Path, policy: str, adds: Path, count: int) -> dict[str, Any]:
    """``count`` single-article adds on a copy of ``fresh`` under one policy (``background:4``:
    SEARCH_MERGE=background with SEARCH_MERGE_FACTOR=4)."""
    shutil.rmtree(root, ignore_errors=True)
    shutil.copytree(fresh, root, symlinks=True)
    mode, _, factor = policy.partition(":")
    config = service_config.load(index_dir=root, merge=mode, merge_factor=int(factor or 0) or None)
    store = IndexStore(root, lock_timeout=600)
    articles = list(read_sources([adds]))[:count]
    reap_children()
    children_before = children_cpu()
    wall, cpu = [], []
    started = time.perf_counter()
    for article in articles:
        t, c = time.perf_counter(), time.thread_time()
        writer.add(store, [article], config)
        wall.append((time.perf_counter() - t) * 1000)
        cpu.append((time.thread_time() - c) * 1000)
    adds_seconds = time.perf_counter() - started
    while merging.merging(store):  # the last background merge, if one is still running
        time.sleep(0.2)
    settled = time.perf_counter() - started
    reap_children()
    segments = IndexStore(root).open_current()[1]._segments()
    return {
        "policy": policy,
        "adds": len(articles),
        "add_wall_ms": service.percentiles(wall),
        "add_cpu_ms": service.percentiles(cpu),
        "adds_seconds": round(adds_seconds, 1),
        "settled_seconds": round(settled, 1),
        "merge_process_cpu_s": round(children_cpu() - children_before, 1),
        "segments": len(segments),
        "segment_docs": sorted((s.doc_count_all() for s in segments), reverse=True),
        "documents": sum(s.doc_count() for s in segments),
    }


def _name(policy: str) -> str:
    return policy.replace(":", "-f")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sources", nargs="+", type=Path, help="article JSONL files to mix")
    parser.add_argument("--workdir", type=Path, required=True)
    parser.add_argument("--articles", type=int, default=20_000)
    parser.add_argument("--adds", type=int, default=10_000)
    parser.add_argument("--policies", default=",".join(POLICIES))
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--reuse", action="store_true", help="reuse the fresh build in --workdir")
    parser.add_argument("--json", type=Path, help="also write every figure here")
    args = parser.parse_args(argv)
    policies = [p for p in args.policies.split(",") if p]
    workdir = args.workdir
    workdir.mkdir(parents=True, exist_ok=True)

    corpus = workdir / "corpus.jsonl"
    fresh = workdir / "fresh"
    report: dict[str, Any] = {"command": " ".join(sys.argv), "streams": []}
    # The corpus's first lines do not depend on its length: a reused build matches any --adds.
    make_corpus(args.sources, args.articles + args.adds, args.seed, corpus)
    base, adds = split_corpus(corpus, args.articles, workdir)
    if not (args.reuse and fresh.exists()):
        shutil.rmtree(fresh, ignore_errors=True)
        report["build"] = build_in_child("ours", base, fresh)
        print("build:", json.dumps(report["build"]), flush=True)

    for policy in policies:
        stream = stream_adds(fresh, workdir / _name(policy), policy, adds, args.adds)
        report["streams"].append(stream)
        print(json.dumps({k: v for k, v in stream.items() if k != "segment_docs"}), flush=True)

    queries = make_queries(base, args.queries, args.seed)
    runners = {name: Ours(workdir / name) for name in ["fresh", *map(_name, policies)]}
    for runner in runners.values():  # untimed warm-up: lazy opens, OS cache
        time_queries(runner, queries)
    cpu: dict[str, list[float]] = {name: [] for name in runners}
    wall: dict[str, list[float]] = {name: [] for name in runners}
    order = list(runners)
    for number in range(args.rounds):
        for name in order[number % len(order) :] + order[: number % len(order)]:
            wall[name] += time_queries(runners[name], queries, cpu[name])
    report["search_cpu_ms"] = {name: service.percentiles(s) for name, s in cpu.items()}
    report["search_wall_ms"] = {name: service.percentiles(s) for name, s in wall.items()}
    print_report(report)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))


def print_report(report: dict[str, Any]) -> None:
    print(f"\n{report['command']}")
    print("\nadds under each policy (ms per add)")
    print("  policy        adds   wall p50   p95      max   CPU p50   p95      max  merge CPU s")
    for s in report["streams"]:
        w, c = s["add_wall_ms"], s["add_cpu_ms"]
        print(
            f"  {s['policy']:<12} {s['adds']:>5} {w['p50']:>9} {w['p95']:>6} {w['max']:>8} "
            f"{c['p50']:>9} {c['p95']:>6} {c['max']:>8} {s['merge_process_cpu_s']:>12}"
        )
    print("  segments left (documents each, largest first):")
    for s in report["streams"]:
        print(f"  {s['policy']:<12} {s['segments']:>4}: {s['segment_docs'][:30]}")
    fresh = report["search_cpu_ms"]["fresh"]["p95"]
    print("\nsearch CPU ms per query         p50      p95      p99     mean   p95 / fresh")
    for name, p in report["search_cpu_ms"].items():
        ratio = p["p95"] / max(fresh, 1e-9)
        print(
            f"  {name:<26} {p['p50']:>7} {p['p95']:>8} {p['p99']:>8} {p['mean']:>8} {ratio:>12.2f}"
        )


if __name__ == "__main__":
    main()
