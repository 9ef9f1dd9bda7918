"""Sync speed: a CMS table in a real PostgreSQL 15, synced in full, against `reindex` of the
same articles from JSON Lines; then how long an edited row takes to be found under
``sync --every``.

Not a test: it prints figures. The corpus is built as bench/speed.py builds it (the JSON Lines
files mixed, replicated with new ids up to ``--articles``), loaded into a table shaped like a
CMS's (``tags`` a text array, ``published``/``updated`` timestamptz, HTML bodies as written);
a throwaway cluster runs as the ``postgres`` user (as in the tests) and is stopped by PID.

1. ``search-service reindex corpus.jsonl`` into an empty index: articles/s;
2. ``search-service sync`` (the table, all rows) into another empty index: articles/s;
3. incremental ``search-service sync`` passes, with nothing changed and with ``--edited``
   rows edited: CPU seconds per pass, the command's start included (the median of
   ``--passes``);
4. ``search-service sync --every SECONDS`` running on that index, one row's title edited
   ``--edits`` times: seconds from the edit's commit until a search finds the new title.

Example::

    nice .venv/bin/python -m bench.sync ../shared/data/corpora/*.jsonl --articles 20000
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.speed import make_corpus
from search_service.articles import parse_article
from search_service.indexing.store import IndexStore
from tests.support.postgres import start_cluster

BIN = Path(sys.executable).parent

TABLE = """
CREATE TABLE articles (
    id text PRIMARY KEY,
    title text, lead text, body text, lang text, url text, category text,
    tags text[], author text,
    published timestamptz,
    updated timestamptz NOT NULL,
    is_deleted boolean NOT NULL DEFAULT false
)
"""


def load_table(server, database: str, corpus: Path) -> int:
    """Copy the corpus into the table; each row gets its own ``updated``, in corpus order."""
    start = datetime(2025, 1, 1, tzinfo=UTC)
    with server.connect(database, autocommit=True) as conn:
        conn.execute(TABLE)
        with conn.cursor().copy(
            "COPY articles (id, title, lead, body, lang, url, category, tags, author, published,"
            " updated) FROM STDIN"
        ) as copy, corpus.open(encoding="utf-8") as lines:  # fmt: skip
            count = 0
            for count, line in enumerate(lines, start=1):
                record = json.loads(line)
                article, _ = parse_article(record)
                published = article.published.replace(tzinfo=UTC) if article.published else None
                copy.write_row(
                    (
                        record["id"], record.get("title"), record.get("lead"), record.get("body"),
                        record.get("lang"), record.get("url"), record.get("category"),
                        list(article.tags), record.get("author"), published,
                        start + timedelta(milliseconds=count),
                    )
                )  # fmt: skip
        conn.execute("ANALYZE articles")
    return count


def timed(*command: str | Path, env: dict[str, str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(
        [str(BIN / "search-service"), *map(str, command)], env=env, capture_output=True, text=True
    )
    seconds = time.perf_counter() - started
    print("   ", done.stdout.strip().replace("\n", "\n    "))
    if done.returncode != 0:
        print(done.stderr[-2000:], file=sys.stderr)
        raise SystemExit(f"{command[0]} failed with exit status {done.returncode}")
    return seconds


def cpu_seconds(*command: str | Path, env: dict[str, str]) -> float:
    """CPU time (user and system) a command used: steadier than its wall time on a shared,
    busy machine."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    timed(*command, env=env)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime


def found(index_dir: Path, article_id: str, title: str) -> bool:
    _, ix = IndexStore(index_dir).open_current()
    with ix.searcher() as searcher:
        number = searcher.document_number(id=article_id)
        return number is not None and searcher.stored_fields(number)["title"] == title


def incremental(
    server, sources: Path, index_dir: Path, env: dict[str, str], passes: int, edited: int
) -> None:
    """What an incremental pass costs: one with nothing changed, one with ``edited`` rows."""
    print(f"\n3. {passes} incremental passes, each with nothing changed, then {edited} rows edited")
    empty, changed = [], []
    for number in range(passes):
        empty.append(cpu_seconds("sync", "--config", sources, "--index-dir", index_dir, env=env))
        with server.connect("cms", autocommit=True) as conn:
            conn.execute(
                "UPDATE articles SET title = title || %s, updated = now() WHERE id IN "
                "(SELECT id FROM articles ORDER BY id LIMIT %s)",
                (f" ({number})", edited),
            )
        changed.append(cpu_seconds("sync", "--config", sources, "--index-dir", index_dir, env=env))
    for what, seconds in (("nothing changed", empty), (f"{edited} rows edited", changed)):
        print(
            f"incremental pass, {what}: median {sorted(seconds)[passes // 2]:.2f} CPU s "
            f"({', '.join(f'{s:.2f}' for s in seconds)})"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("corpora", nargs="+", type=Path)
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=2000, help="rows per index commit")
    parser.add_argument("--every", type=float, default=5.0)
    parser.add_argument("--edits", type=int, default=3)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--passes", type=int, default=5, help="incremental passes timed")
    parser.add_argument("--edited", type=int, default=100, help="rows edited per pass")
    options = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="bench-sync-"))
    corpus = work / "corpus.jsonl"
    info = make_corpus(options.corpora, options.articles, options.seed, corpus)
    print(f"corpus: {info}")
    server = start_cluster()
    worker = None
    try:
        with server.connect(autocommit=True) as conn:
            conn.execute("CREATE DATABASE cms")
        rows = load_table(server, "cms", corpus)
        sources = work / "sources.toml"
        sources.write_text(
            '[[sources]]\nname = "cms"\nkind = "database"\nurl_env = "CMS_URL"\n'
            f'table = "articles"\ndeleted = "is_deleted"\nbatch = {options.batch}\n'
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith("SEARCH_")}
        env["CMS_URL"] = server.url("cms")

        print(f"\n1. reindex of {rows} articles from JSON Lines")
        reindex = timed("reindex", corpus, "--index-dir", work / "reindexed", env=env)
        print(f"\n2. sync of the {rows}-row table (batch {options.batch})")
        synced = work / "synced"
        sync = timed("sync", "--config", sources, "--index-dir", synced, env=env)
        print(
            f"\nreindex: {reindex:.1f} s, {rows / reindex:.0f} articles/s"
            f"\nsync:    {sync:.1f} s, {rows / sync:.0f} articles/s "
            f"({100 * (reindex / sync):.0f} % of reindex's rate)"
        )

        incremental(server, sources, synced, env, options.passes, options.edited)

        print(f"\n4. one row edited under `sync --every {options.every:g}`")
        worker = subprocess.Popen(
            [str(BIN / "search-service"), "sync", "--config", str(sources), "--every",
             str(options.every), "--index-dir", str(synced)],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        time.sleep(options.every)  # let its first (empty) pass run
        with server.connect("cms", autocommit=True) as conn:
            ids = [r[0] for r in conn.execute("SELECT id FROM articles ORDER BY id LIMIT 50")]
        latencies = []
        for edit in range(options.edits):
            article_id, title = ids[edit * 7], f"Edited headline number {edit} zqx{edit}"
            with server.connect("cms", autocommit=True) as conn:
                conn.execute(
                    "UPDATE articles SET title = %s, updated = now() WHERE id = %s",
                    (title, article_id),
                )
            committed = time.perf_counter()
            while not found(synced, article_id, title):
                if time.perf_counter() - committed > 120:
                    raise SystemExit("the edit was not found within 120 s")
                time.sleep(0.05)
            latencies.append(time.perf_counter() - committed)
            print(f"    edit {edit + 1}: found after {latencies[-1]:.2f} s")
            time.sleep(options.every * 0.37)  # edits land at different points of the cycle
        print(
            f"\nedit to searchable: max {max(latencies):.2f} s, "
            f"mean {sum(latencies) / len(latencies):.2f} s over {len(latencies)} edits "
            f"(--every {options.every:g})"
        )
    finally:
        if worker is not None:
            worker.send_signal(signal.SIGTERM)
            worker.wait(timeout=30)
        server.stop()
        subprocess.run(["rm", "-rf", str(server.folder), str(work)], check=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
