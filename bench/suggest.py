"""Benchmark ``GET /suggest`` at news-site scale: p50/p95 per keystroke.

Builds (or reuses) an index of N articles read from JSON Lines corpora *by path* and replicated
with new ids until N is reached (nothing is copied into the repository), then replays typing:
for sampled titles, every prefix of their first words, as a reader types them, through the
real Flask app (view, validation, JSON) in this process. The first request of each language,
which maps its words and phrases into memory (or, over a build written without them, counts
them), is reported separately, with the memory that took.

Example:

    .venv/bin/python bench/suggest.py --corpora ../shared/data/corpora --articles 100000 \\
        --index-dir /tmp/suggest-bench-index

Timings on a shared machine are noisy; run it twice and compare, and read the CPU-time
percentiles (the process's own time per request, which waiting for a core does not inflate).
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import shutil
import statistics
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from search_service import config as settings
from search_service import create_app
from search_service.indexing import writer
from search_service.indexing.store import IndexStore
from search_service.indexing.vocabulary import counting
from search_service.sources import read_sources


def replicated(corpora: Path, total: int) -> Iterator[dict]:
    files = sorted(corpora.glob("*.jsonl"))
    if not files:
        sys.exit(f"no *.jsonl files in {corpora}")
    made, copy = 0, 0
    while made < total:
        for file in files:
            with file.open(encoding="utf-8") as lines:
                for line in lines:
                    record = json.loads(line)
                    if copy:
                        record["id"] = f"{record['id']}~{copy}"
                    yield record
                    made += 1
                    if made >= total:
                        return
        copy += 1


def build(corpora: Path, total: int, index_dir: Path) -> None:
    source = index_dir.with_name(index_dir.name + "-articles.jsonl")
    with source.open("w", encoding="utf-8") as out:
        for record in replicated(corpora, total):
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    started = time.monotonic()
    config = settings.load({}, index_dir=index_dir)
    with timing_counts() as spent:
        summary = writer.rebuild(IndexStore(index_dir), read_sources([source]), config)
    source.unlink()
    print(
        f"indexed {summary.indexed} articles (rejected {summary.rejected}) "
        f"in {time.monotonic() - started:.0f} s, of which counting words and phrases "
        f"{sum(e['wall'] for e in spent):.1f} s ({sum(e['cpu'] for e in spent):.1f} s CPU)",
        flush=True,
    )


@contextmanager
def timing_counts() -> Iterator[list[dict[str, float]]]:
    """Wall-clock and CPU seconds of each ``counting.write_missing`` the writer runs (the
    counting a build or an update adds), its forked processes' CPU included."""
    spent: list[dict[str, float]] = []
    original = counting.write_missing

    def timed(ix: Any) -> int:
        started, cpu = time.perf_counter(), _cpu()
        try:
            return original(ix)
        finally:
            spent.append({"wall": time.perf_counter() - started, "cpu": _cpu() - cpu})

    counting.write_missing = timed
    try:
        yield spent
    finally:
        counting.write_missing = original


def _cpu() -> float:
    usage = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
    return sum(u.ru_utime + u.ru_stime for u in usage)


def time_adds(index_dir: Path, count: int) -> None:
    """CPU of ``count`` single-article adds, one after another, and of the counting each
    adds, on a copy of the build (which is left as it was)."""
    copy = index_dir.with_name(index_dir.name + "-adds")
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(index_dir, copy, symlinks=True)
    config = settings.load({}, index_dir=copy)
    source = copy.with_name(copy.name + ".jsonl")
    adds = []
    with timing_counts() as spent:
        for n in range(count):
            article = {"id": f"bench-add-{n}", "lang": "en", "title": f"Harbour crane {n}"}
            source.write_text(json.dumps(article) + "\n")
            cpu = _cpu()
            writer.add(IndexStore(copy), read_sources([source]), config)
            adds.append((_cpu() - cpu) * 1000)
    counting = sorted(entry["cpu"] * 1000 for entry in spent)
    print(
        f"{count} single-article adds: CPU {percentiles(adds)}; of which counting their "
        f"segments' words and phrases: p50 {statistics.median(counting):.1f} ms, "
        f"max {counting[-1]:.1f} ms"
    )
    source.unlink()
    shutil.rmtree(copy, ignore_errors=True)


def keystrokes(index_dir: Path, count: int, seed: int) -> list[tuple[str, str]]:
    """(lang, text typed so far) for ``count`` keystrokes over sampled titles."""
    _, ix = IndexStore(index_dir).open_current()
    rng = random.Random(seed)
    typed: list[tuple[str, str]] = []
    with ix.searcher() as searcher:
        total = searcher.doc_count_all()
        while len(typed) < count:
            fields = searcher.stored_fields(rng.randrange(total))
            words = (fields.get("title") or "").split()[:3]
            text = " ".join(words)
            for end in range(1, len(text) + 1):
                typed.append((fields.get("lang", ""), text[:end]))
    return typed[:count]


def resident_mb() -> float:
    """This process's resident memory (Linux), in MB."""
    status = Path("/proc/self/status").read_text()
    return int(status.split("VmRSS:")[1].split()[0]) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpora", type=Path, required=True, help="folder of *.jsonl corpora")
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--index-dir", type=Path, default=Path("/tmp/suggest-bench-index"))
    parser.add_argument(
        "--rebuild", action="store_true", help="rebuild even if the index exists (else reuse it)"
    )
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--adds", type=int, default=0, help="also time this many single-article adds (on a copy)"
    )
    args = parser.parse_args()

    store = IndexStore(args.index_dir)
    current = store.current()
    if args.rebuild or current is None:
        build(args.corpora, args.articles, args.index_dir)

    # One simulated reader types thousands of keystrokes a minute: no rate limit here.
    client = create_app({"index_dir": args.index_dir, "ratelimit": "1000000/second"}).test_client()
    client.get("/healthz")  # opens the index, so that the memory below is the vocabularies'
    before = resident_mb()
    for lang in ("en", "ru", "az"):
        started, started_cpu = time.perf_counter(), time.process_time()
        client.get("/suggest", query_string={"q": "a", "lang": lang})
        print(
            f"first request ({lang}, reads its words and phrases): "
            f"{(time.perf_counter() - started) * 1000:.1f} ms, "
            f"CPU {(time.process_time() - started_cpu) * 1000:.1f} ms"
        )
    client.get("/suggest", query_string={"q": "a"})
    print(f"resident memory grew by {resident_mb() - before:.0f} MB reading the vocabularies")

    wall, cpu, with_lang = [], [], 0
    for n, (lang, text) in enumerate(keystrokes(args.index_dir, args.requests, args.seed)):
        query = {"q": text, **({"lang": lang} if n % 2 else {})}
        with_lang += bool(n % 2)
        started, started_cpu = time.perf_counter(), time.process_time()
        response = client.get("/suggest", query_string=query)
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
        assert response.status_code == 200, response.get_data(as_text=True)
    print(
        f"/suggest over {store.current().info.get('documents')} articles, {len(wall)} "
        f"keystrokes ({with_lang} with lang): wall-clock {percentiles(wall)}; "
        f"CPU time (steadier on a busy machine) {percentiles(cpu)}"
    )
    if args.adds:
        time_adds(args.index_dir, args.adds)


def percentiles(timings: list[float]) -> str:
    ordered = sorted(timings)
    p95 = ordered[int(len(ordered) * 0.95) - 1]
    return f"p50 {statistics.median(ordered):.2f} ms, p95 {p95:.2f} ms, max {ordered[-1]:.2f} ms"


if __name__ == "__main__":
    main()
