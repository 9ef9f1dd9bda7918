"""The replication drill at size: a leader and two followers behind nginx, with Redis.

Builds the leader's index from article JSON Lines files (read by path, never copied into the
repository; only records that validate are used), starts the cluster of tests/test_cluster.py
(each role a real gunicorn on 127.0.0.1, a ``follow --every 1`` loop per follower, Redis for
the limits, nginx from deploy/nginx.conf), and reports:

* bytes a follower transferred for a one-article update and for a full reindex;
* seconds from the leader's commit to searchable on both followers (median and worst);
* ``--clients`` readers through nginx while the leader applies
  ``--updates`` admin updates and then a full reindex (failed requests, builds seen);
* requests/s and p95 through nginx with one and with two followers (on one machine this
  measures the cost of the extra hop and processes, not scale: every process shares the
  same cores);
* peak memory (VmHWM) of a follower's processes: gunicorn master and workers, follow loop.

::

    nice python bench/cluster.py --articles 20000 \\
        /work/shared/data/corpora/en-reuters21578.jsonl /work/shared/data/corpora/ru-ria.jsonl

Prints one JSON object. Only ever talks to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from search_service.errors import ArticleError  # noqa: E402
from search_service.indexing.journal import article_to_json  # noqa: E402
from search_service.replication.health import read_state  # noqa: E402
from search_service.sources import read_sources  # noqa: E402
from tests.support.cluster import Cluster, Readers  # noqa: E402
from tests.support.processes import children  # noqa: E402


def corpus(paths: list[Path], limit: int, out: Path) -> tuple[int, list[str]]:
    """Up to ``limit`` valid articles taken in turn from each file; their count and queries
    cut from their titles (two words, as readers type them)."""
    streams = [iter(read_sources([str(path)])) for path in paths]
    written, queries = 0, []
    with out.open("w", encoding="utf-8") as handle:
        while streams and written < limit:
            for stream in list(streams):
                record = next(stream, None)
                if record is None:
                    streams.remove(stream)
                elif not isinstance(record, ArticleError) and written < limit:
                    handle.write(json.dumps(article_to_json(record), ensure_ascii=False) + "\n")
                    written += 1
                    words = record.title.split()
                    if len(words) >= 2 and len(queries) < 2000:
                        queries.append(" ".join(words[:2]))
    return written, queries


def probe_article(n: int, word: str) -> dict[str, str]:
    return {
        "id": f"bench-{word}-{n}",
        "lang": "en",
        "title": f"Bench {word} article {n}",
        "body": f"A {word} story written by the benchmark, number {n}. " * 20,
    }


def last_copy(cluster: Cluster, number: int, build: str = "") -> dict:
    """What follower ``number`` transferred for its last switch (to ``build``, once it has
    recorded it: the switch comes a moment before the record)."""
    deadline = time.monotonic() + 30
    while True:
        copied = (read_state(cluster.index_dir(number)) or {}).get("last_copy", {})
        if not build or copied.get("build") == build or time.monotonic() > deadline:
            return copied
        time.sleep(0.05)


def wait_job(cluster: Cluster, job: dict) -> dict:
    while job["status"] in ("queued", "running"):
        time.sleep(0.5)
        job = cluster.admin("GET", f"/admin/jobs/{job['id']}")[1]
    assert job["status"] == "succeeded", job
    return job


def searchable_latency(cluster: Cluster, rounds: int) -> dict:
    took = []
    for n in range(rounds):
        word = f"zq{n}latency"
        started = time.monotonic()
        status, body = cluster.admin(
            "PUT", f"/admin/articles/bench-{word}-{n}", probe_article(n, word)
        )
        assert status in (200, 202), body
        while True:
            totals = [
                cluster.get(f"{base}/search?q={word}")[1]["total"] for base in cluster.followers
            ]
            if all(total == 1 for total in totals):
                break
            time.sleep(0.02)
        took.append(time.monotonic() - started)
    return {
        "rounds": rounds,
        "median_s": round(statistics.median(took), 2),
        "worst_s": round(max(took), 2),
        "within_3s": sum(t <= 3 for t in took),
    }


def throughput(base: str, queries: list[str], clients: int, seconds: float) -> dict:
    with Readers(base, queries, clients) as readers:
        time.sleep(seconds)
    latencies = sorted(readers.latencies)
    return {
        "clients": clients,
        "requests": readers.count,
        "failed": len(readers.failures),
        "requests_per_s": round(readers.count / readers.seconds, 1),
        "p50_ms": round(latencies[len(latencies) // 2] * 1000, 1),
        "p95_ms": round(latencies[int(len(latencies) * 0.95)] * 1000, 1),
    }


def peak_memory(cluster: Cluster, number: int) -> dict:
    """VmHWM (peak resident set) of each process of follower ``number``, in MiB."""
    web = cluster.processes[f"web-{number}"].pid
    pids = {"gunicorn master": web}
    pids.update({f"worker {pid}": pid for pid in children(web)})
    pids["follow loop"] = cluster.processes[f"follow-{number}"].pid
    peaks = {}
    for name, pid in pids.items():
        status = Path(f"/proc/{pid}/status").read_text()
        line = next(line for line in status.splitlines() if line.startswith("VmHWM:"))
        peaks[name] = round(int(line.split()[1]) / 1024, 1)
    return {"mib": peaks, "total_mib": round(sum(peaks.values()), 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="+", type=Path, help="article JSON Lines files")
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--updates", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=20, help="update-to-searchable rounds")
    parser.add_argument("--seconds", type=float, default=20.0, help="per throughput run")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per role")
    args = parser.parse_args()

    report: dict = {}
    with tempfile.TemporaryDirectory(prefix="search-cluster-") as tmp:
        folder = Path(tmp)
        source = folder / "articles.jsonl"
        count, queries = corpus(args.files, args.articles, source)
        report["articles"] = count
        report["corpus_bytes"] = source.stat().st_size
        started = time.monotonic()
        cluster = Cluster(folder / "cluster", source, workers=args.workers)
        try:
            cluster.start()
            report["start_s"] = round(time.monotonic() - started, 1)
            report["build_bytes"] = cluster.leader_manifest()["bytes"]
            report["initial_copy"] = last_copy(cluster, 0)

            status, body = cluster.admin(
                "PUT", "/admin/articles/bench-one-0", probe_article(0, "one")
            )
            assert status in (200, 202), body
            build = cluster.wait_converged()
            report["one_article_update"] = {
                f"follower_{n}": last_copy(cluster, n, build) for n in range(cluster.count)
            }
            report["commit_to_searchable"] = searchable_latency(cluster, args.rounds)

            with Readers(cluster.nginx, queries, args.clients) as readers:
                for n in range(args.updates):
                    article = probe_article(n, "drill")
                    status, body = cluster.admin("PUT", f"/admin/articles/{article['id']}", article)
                    assert status in (200, 202), body
                updated = time.monotonic()
                status, job = cluster.admin("POST", "/admin/reindex")
                assert status == 202, job
                wait_job(cluster, job)
                reindexed = time.monotonic()
                build = cluster.wait_converged(timeout=1800)
                converged = time.monotonic()
            report["drill_updates_then_reindex"] = {
                "updates": args.updates,
                "clients": args.clients,
                "requests": readers.count,
                "failed": len(readers.failures),
                "failures": readers.failures[:5],
                "builds_seen": len(readers.builds),
                "updates_s": round(updated - readers.started, 1),
                "reindex_s": round(reindexed - updated, 1),
                "followers_converged_after_reindex_s": round(converged - reindexed, 1),
            }
            report["full_reindex_copy"] = {
                f"follower_{n}": last_copy(cluster, n, build) for n in range(cluster.count)
            }
            report["through_nginx_two_followers"] = throughput(
                cluster.nginx, queries, args.clients, args.seconds
            )
            report["follower_peak_memory"] = peak_memory(cluster, 0)
            cluster.start_nginx([0])
            report["through_nginx_one_follower"] = throughput(
                cluster.nginx, queries, args.clients, args.seconds
            )
            report["direct_to_one_follower"] = throughput(
                cluster.followers[0], queries, args.clients, args.seconds
            )
        finally:
            cluster.close()
    report["note"] = (
        "one 2-core machine runs nginx, Redis, the leader and both followers: the one- and "
        "two-follower figures measure the cost of the hop and of more processes sharing the "
        "same cores, not scale"
    )
    print(json.dumps(report, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
