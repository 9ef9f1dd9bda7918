"""Where a full build's CPU time goes: analysing the articles, then writing the segment.

Builds ``--articles`` articles of a JSON Lines file with the real ``writer.rebuild`` and
prints CPU seconds (not wall-clock: the steady figure on a shared machine) for the writer
fed its documents (parsing, analysis) and for its commit (sorting and writing postings),
with the sub-processes of a parallel build, and a digest of each postings (.pst) and terms
(.trm) file, so two checkouts can be shown to write the same bytes (a one-process build is
deterministic)::

    .venv/bin/python bench/build.py ../shared/data/corpora/en-bbc.jsonl --articles 3000
    PYTHONPATH=/path/to/other/checkout .venv/bin/python bench/build.py ... --articles 3000
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

from whoosh.writing import SegmentWriter

from search_service import config as service_config
from search_service.indexing import writer
from search_service.indexing.store import IndexStore
from search_service.sources.jsonl import read_sources


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("source", type=Path, help="a JSON Lines file of articles")
    parser.add_argument("--articles", type=int, default=3000)
    parser.add_argument("--procs", type=int, default=1, help="writer processes (BUILD_PROCS)")
    parser.add_argument("--workdir", type=Path, help="build here (default: a temp dir)")
    args = parser.parse_args(argv)

    target = args.workdir or Path(tempfile.mkdtemp(prefix="build-bench-"))
    shutil.rmtree(target, ignore_errors=True)
    writer.BUILD_PROCS = args.procs
    phases: dict[str, float] = {}
    commit = SegmentWriter.commit

    def timed_commit(self, *args, **kwargs):
        phases["feed"] = time.process_time() - started
        before = time.process_time()
        commit(self, *args, **kwargs)
        phases["commit"] = time.process_time() - before

    SegmentWriter.commit = timed_commit  # the parallel writer's commit is its own: not split
    settings = service_config.load(index_dir=target)
    records = itertools.islice(read_sources([args.source]), args.articles)
    started, wall = time.process_time(), time.perf_counter()
    summary = writer.rebuild(IndexStore(target), records, settings)
    phases["total"] = time.process_time() - started
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    phases["sub-processes"] = children.ru_utime + children.ru_stime
    files = {
        path.name: hashlib.sha1(path.read_bytes()).hexdigest()[:16]
        for path in sorted(target.rglob("*"))
        if path.suffix in (".pst", ".trm")
    }
    report = {
        "articles": summary.indexed,
        "procs": args.procs,
        "cpu_seconds": {name: round(value, 2) for name, value in phases.items()},
        "wall_seconds": round(time.perf_counter() - wall, 2),
        "digests": sorted(f"{Path(name).suffix} {digest}" for name, digest in files.items()),
    }
    print(json.dumps(report, indent=2))
    if not args.workdir:
        shutil.rmtree(target, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
