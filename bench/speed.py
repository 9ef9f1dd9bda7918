"""Speed benchmark: our search service side by side with SQLite FTS5 and Tantivy.

Not a test. It builds one corpus (article JSONL files mixed, then replicated with new ids up to
``--articles``), indexes it with every engine (each in a fresh child process, so peak memory
is that build's own), samples a query set from the titles with a fixed seed, then times the
same queries against every engine, alternating engines over ``--rounds`` rounds. ``--http``
adds a run against the real gunicorn service from the Procfile.

Example (see bench/README.md)::

    .venv/bin/pip install -e '.[bench]'
    .venv/bin/python bench/speed.py ../shared/data/corpora/*.jsonl --articles 20000
"""

from __future__ import annotations

import argparse
import json
import random
import re
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench import service  # noqa: E402
from search_service import config as service_config  # noqa: E402
from search_service.articles import parse_article  # noqa: E402
from search_service.errors import ArticleError  # noqa: E402
from search_service.indexing import writer  # noqa: E402
from search_service.indexing.store import IndexHandle, IndexStore  # noqa: E402
from search_service.searching import scoring  # noqa: E402
from search_service.searching.searcher import SearchRequest, search, settings_options  # noqa: E402
from search_service.sources.jsonl import read_sources  # noqa: E402

LANGUAGES = ("en", "ru", "az")
ENGINES = ("ours", "fts5", "tantivy")
WORD = re.compile(r"\w{3,}")


# Corpus -----------------------------------------------------------------------------------


def make_corpus(paths: list[Path], articles: int, seed: int, out: Path) -> dict[str, Any]:
    """Mix the records of ``paths`` and replicate them with new ids up to ``articles``."""
    records = []
    for path in paths:
        with path.open(encoding="utf-8") as handle:
            records.extend(json.loads(line) for line in handle if line.strip())
    records = [r for r in records if _valid(r)]  # the few our validation rejects, all engines
    random.Random(seed).shuffle(records)
    langs: Counter[str] = Counter()
    with out.open("w", encoding="utf-8") as handle:
        for n in range(articles):
            record = dict(records[n % len(records)])
            copy = n // len(records)
            if copy:
                record["id"] = f"{record['id']}~{copy}"
            langs[record.get("lang", "?")] += 1
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    unique = min(articles, len(records))
    return {
        "articles": articles,
        "unique_articles": unique,
        "real_share": round(unique / articles, 4),
        "languages": dict(langs),
        "bytes": out.stat().st_size,
    }


def _valid(record: dict[str, Any]) -> bool:
    try:
        parse_article(record)
    except ArticleError:
        return False
    return True


def make_queries(corpus: Path, count: int, seed: int) -> list[dict[str, str]]:
    """Search-box queries from titles: mostly 1–2 words, some 3, some phrases, some misspelt,
    a third per language."""
    titles: dict[str, list[list[str]]] = {lang: [] for lang in LANGUAGES}
    with corpus.open(encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            if "~" in record["id"]:
                break  # replicas repeat the same titles
            words = WORD.findall(record.get("title", ""))
            if record.get("lang") in titles and len(words) >= 3:
                titles[record["lang"]].append(words)
    rng = random.Random(seed)
    kinds = ["1 word"] * 35 + ["2 words"] * 30 + ["3 words"] * 10
    kinds += ["phrase"] * 15 + ["misspelt"] * 10
    queries = []
    for n in range(count):
        lang = LANGUAGES[n % len(LANGUAGES)]
        words, kind = rng.choice(titles[lang]), rng.choice(kinds)
        start = rng.randrange(len(words) - 1)
        if kind == "1 word":
            text = rng.choice(words)
        elif kind == "2 words":
            text = " ".join(rng.sample(words, 2))
        elif kind == "3 words":
            text = " ".join(rng.sample(words, 3))
        elif kind == "phrase":
            text = f'"{words[start]} {words[start + 1]}"'
        else:
            word = rng.choice([w for w in words if len(w) >= 5] or words)
            i = rng.randrange(1, len(word) - 1)
            text = word[:i] + word[i + 1] + word[i] + word[i + 2 :]  # swap two letters
        queries.append(
            {"q": text.lower() if rng.random() < 0.7 else text, "lang": lang, "kind": kind}
        )
    return queries


# Index builds (each in its own child process) -------------------------------------------


def build_in_child(engine: str, corpus: Path, target: Path) -> dict[str, Any]:
    command = [sys.executable, __file__, "_build", engine, str(corpus), str(target)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode:
        raise SystemExit(f"building {engine} failed:\n{done.stderr[-3000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["size_mb"] = round(_tree_bytes(target) / 2**20, 1)
    return result


def _build(engine: str, corpus: Path, target: Path) -> None:
    """Child process: build one engine's index and print seconds and peak memory as JSON."""
    started = time.perf_counter()
    {"ours": _build_ours, "fts5": _build_fts5, "tantivy": _build_tantivy}[engine](corpus, target)
    seconds = time.perf_counter() - started
    # VmHWM rather than RUSAGE_SELF: Linux carries the forking parent's peak across exec.
    status = Path("/proc/self/status").read_text()
    own = int(re.search(r"VmHWM:\s+(\d+)", status)[1])
    usage = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
    children = usage[1].ru_maxrss
    # CPU time of the build and its sub-processes: the steadier figure on a shared machine.
    cpu = sum(u.ru_utime + u.ru_stime for u in usage)
    print(
        json.dumps(
            {
                "seconds": seconds,
                "cpu_seconds": round(cpu, 2),
                "peak_rss_mb": round((own + children) / 1024, 1),
            }
        )
    )


def _build_ours(corpus: Path, target: Path) -> None:
    settings = service_config.load(index_dir=target)
    summary = writer.rebuild(IndexStore(target), read_sources([corpus]), settings)
    assert summary.rejected == 0, summary.as_dict()


def _build_fts5(corpus: Path, target: Path) -> None:
    target.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(target / "fts.db")
    db.execute("PRAGMA journal_mode=OFF")
    db.execute("PRAGMA synchronous=OFF")
    db.execute(
        "CREATE VIRTUAL TABLE articles USING fts5(id UNINDEXED, lang UNINDEXED, title, lead, "
        "body, tokenize='unicode61 remove_diacritics 2')"
    )
    with corpus.open(encoding="utf-8") as handle:
        rows = (json.loads(line) for line in handle)
        db.executemany(
            "INSERT INTO articles VALUES (?, ?, ?, ?, ?)",
            (
                (
                    r["id"],
                    r.get("lang", ""),
                    r.get("title", ""),
                    r.get("lead", ""),
                    r.get("body", ""),
                )
                for r in rows
            ),
        )
    db.execute("INSERT INTO articles(articles) VALUES('optimize')")
    db.commit()
    db.close()


def _tantivy_schema(tantivy: Any) -> Any:
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("id", stored=True, tokenizer_name="raw")
    builder.add_text_field("lang", stored=True, tokenizer_name="raw")
    for lang in LANGUAGES:
        for part in ("title", "lead", "body"):
            builder.add_text_field(f"{part}_{lang}", stored=True, tokenizer_name=f"text_{lang}")
    return builder.build()


def _tantivy_index(tantivy: Any, path: Path, create: bool = False) -> Any:
    schema = _tantivy_schema(tantivy)
    index = tantivy.Index(schema, path=str(path), reuse=not create)
    stemmers = {"en": "english", "ru": "russian"}  # no Azerbaijani stemmer in Tantivy
    for lang in LANGUAGES:
        analyzer = tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple()).filter(
            tantivy.Filter.lowercase()
        )
        if lang in stemmers:
            analyzer = analyzer.filter(tantivy.Filter.stemmer(stemmers[lang]))
        index.register_tokenizer(f"text_{lang}", analyzer.build())
    return index


def _build_tantivy(corpus: Path, target: Path) -> None:
    import tantivy

    target.mkdir(parents=True, exist_ok=True)
    index = _tantivy_index(tantivy, target, create=True)
    writer = index.writer(heap_size=512 * 2**20, num_threads=2)
    with corpus.open(encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            lang = record.get("lang") if record.get("lang") in LANGUAGES else "en"
            fields = {"id": record["id"], "lang": lang}
            for part in ("title", "lead", "body"):
                if record.get(part):
                    fields[f"{part}_{lang}"] = record[part]
            writer.add_document(tantivy.Document(**fields))
    writer.commit()
    writer.wait_merging_threads()


# Query runners ----------------------------------------------------------------------------


class Ours:
    """The code path of ``/search``: one long-lived IndexHandle, ``search``, top 10 (with the
    facet counts and spelling check every search makes)."""

    name = "ours"

    def __init__(self, root: Path) -> None:
        self.settings = service_config.load(index_dir=root)
        self.handle = IndexHandle(IndexStore(root), scoring.weighting)

    def __call__(self, q: str) -> int:
        build, searcher = self.handle.searcher()
        options = {**settings_options(self.settings), "time_limit": None}
        response = search(searcher, SearchRequest(q=q), build=build.id, **options)
        return response.total


class Fts5:
    """SQLite FTS5: bm25() with the same field weights as ours, snippet() from the body."""

    name = "fts5"

    def __init__(self, root: Path) -> None:
        self.db = sqlite3.connect(root / "fts.db", check_same_thread=False)

    def __call__(self, q: str) -> int:
        match = fts5_query(q)
        if not match:
            return 0
        rows = self.db.execute(
            "SELECT id, title, snippet(articles, 4, '<mark>', '</mark>', '…', 24) FROM articles "
            "WHERE articles MATCH ? ORDER BY bm25(articles, 0, 0, 3.0, 1.5, 1.0) LIMIT 10",
            (match,),
        ).fetchall()
        return len(rows)


def clauses(q: str) -> list[str]:
    """Words and quoted phrases of a query, quotes removed."""
    found = (p.strip() for pair in re.findall(r'"([^"]*)"|(\S+)', q) for p in pair)
    return [p.replace('"', "") for p in found if re.search(r"\w", p)]


def fts5_query(q: str) -> str:
    """Every word (or quoted phrase) must match, as in ours; quoted so nothing is syntax."""
    return " ".join(f'"{p}"' for p in clauses(q))


class Tantivy:
    """Tantivy with per-language fields and stemmers like ours; snippet from the body."""

    name = "tantivy"

    def __init__(self, root: Path) -> None:
        import tantivy

        self.index = _tantivy_index(tantivy, root)
        self.index.reload()
        self.searcher = self.index.searcher()
        self.schema = self.index.schema
        self.fields = [f"{p}_{lang}" for lang in LANGUAGES for p in ("title", "lead", "body")]
        self.boosts = {
            f: {"title": 3.0, "lead": 1.5}.get(f.split("_")[0], 1.0) for f in self.fields
        }
        self.tantivy = tantivy

    def __call__(self, q: str) -> int:
        text = " ".join(f'+"{p}"' for p in clauses(q))  # every clause required, as in ours
        if not text:
            return 0
        try:
            query = self.index.parse_query(text, self.fields, field_boosts=self.boosts)
        except ValueError:
            return 0
        result = self.searcher.search(query, 10, count=True)
        generators: dict[str, Any] = {}
        for _score, address in result.hits:
            doc = self.searcher.doc(address)
            lang = doc["lang"][0]
            if lang not in generators:
                generators[lang] = self.tantivy.SnippetGenerator.create(
                    self.searcher, query, self.schema, f"body_{lang}"
                )
            generators[lang].snippet_from_doc(doc).to_html()
        return result.count


def time_queries(runner: Any, queries: list[dict[str, str]], cpu: list[float] | None = None):
    """Wall-clock milliseconds per query; also CPU milliseconds into ``cpu`` when given (on
    a shared, busy machine the CPU time is the steadier figure)."""
    timings = []
    for query in queries:
        started, cpu_started = time.perf_counter(), time.thread_time()
        runner(query["q"])
        timings.append((time.perf_counter() - started) * 1000)
        if cpu is not None:
            cpu.append((time.thread_time() - cpu_started) * 1000)
    return timings


def profile_ours(runner: Ours, queries: list[dict[str, str]], out: Path) -> str:
    """The top of a profile of our query loop (pyinstrument when installed, else cProfile)."""
    try:
        from pyinstrument import Profiler
    except ImportError:
        import cProfile
        import io
        import pstats

        profile = cProfile.Profile()
        profile.enable()
        time_queries(runner, queries)
        profile.disable()
        stream = io.StringIO()
        pstats.Stats(profile, stream=stream).sort_stats("cumulative").print_stats(40)
        text = stream.getvalue()
    else:
        profiler = Profiler(interval=0.0005)
        profiler.start()
        time_queries(runner, queries)
        profiler.stop()
        text = profiler.output_text(unicode=True, color=False, show_all=False)
    out.write_text(text)
    return text


# HTTP mode --------------------------------------------------------------------------------


def run_http(index_dir: Path, queries: list[dict[str, str]], args: argparse.Namespace) -> dict:
    """The query set in turn with the result cache off (every request searches), then the
    Zipf stream with the cache on (its default size), each at every client count."""
    uniform = [q["q"] for q in queries]
    uniform = (uniform * (args.http_requests // len(uniform) + 1))[: args.http_requests]
    skewed = service.zipf_stream([q["q"] for q in queries], args.http_requests, args.seed)
    results: dict[str, Any] = {
        "workers": args.workers,
        "zipf_repeat_share": round(1 - len(set(skewed)) / len(skewed), 3),
    }
    for name, stream, cache in (("uniform", uniform, "0"), ("zipf", skewed, None)):
        extra_env = {"SEARCH_CACHE_SIZE": cache} if cache is not None else {}
        with service.serve(index_dir, args.workers, extra_env) as served:
            for clients in args.clients:
                results[f"{name}_c{clients}"] = service.closed_loop(served.port, stream, clients)
            results[f"worker_rss_mb_{name}"] = service.worker_rss(served.pid)
    results["cached_hit"] = cached_hit_cost(index_dir, uniform[0], args.cached_hits)
    return results


def cached_hit_cost(index_dir: Path, q: str, count: int) -> dict[str, float]:
    """CPU ms per cached ``/search`` answer, the per-request cost of Flask, rate limit, logging
    and metrics: through the WSGI app in a child process (no socket; the settings of
    ``service.serve``), and in a gunicorn worker over HTTP (its CPU time while one client
    asks the same query ``count`` times, each on a fresh connection)."""
    child = subprocess.run(
        [sys.executable, __file__, "_hit", str(index_dir), q, str(count)],
        capture_output=True,
        text=True,
        check=True,
    )
    figures = json.loads(child.stdout.splitlines()[-1])
    stream = [q] * count
    with service.serve(index_dir, 1) as served:
        service.closed_loop(served.port, stream[:50], 1)  # opens the index, fills the cache
        before = service.workers_cpu_seconds(served.pid)
        run = service.closed_loop(served.port, stream, 1)
        spent = service.workers_cpu_seconds(served.pid) - before
    figures["http_cpu_ms"] = round(spent / count * 1000, 3)
    figures["http_p50_ms"] = run["p50"]
    figures["http_cache_hits"] = run["cache_hits"]
    return figures


def _hit_in_process(index_dir: Path, q: str, count: int) -> None:
    """The WSGI half of :func:`cached_hit_cost` (metrics in multiprocess mode, as under
    gunicorn)."""
    import os
    import urllib.parse

    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="search-metrics-")
    os.environ.update(SEARCH_LOG_LEVEL="warning", SEARCH_RATELIMIT="1000000/second")
    from werkzeug.test import EnvironBuilder

    from search_service import create_app

    app = create_app({"index_dir": index_dir})
    environ = EnvironBuilder(
        path="/search", query_string=urllib.parse.urlencode({"q": q}), headers={"Accept": "*/*"}
    ).get_environ()
    statuses: list[str] = []

    def one() -> None:
        body = app(dict(environ), lambda status, headers, exc_info=None: statuses.append(status))
        b"".join(body)
        body.close()

    for _ in range(200):
        one()
    started = time.process_time()
    for _ in range(count):
        one()
    spent = time.process_time() - started
    assert set(statuses) == {"200 OK"}, set(statuses)
    shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)
    print(json.dumps({"wsgi_cpu_ms": round(spent / count * 1000, 3)}))


def _tree_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


# Incremental add --------------------------------------------------------------------------


def time_add(built: Path) -> float:
    """Seconds from starting an ``add`` of one new article until a search finds it (on a
    copy of the build, so a reused work directory keeps the index it timed)."""
    root = built.with_name("ours-add")
    shutil.rmtree(root, ignore_errors=True)
    shutil.copytree(built, root, symlinks=True)
    settings = service_config.load(index_dir=root)
    handle = IndexHandle(IndexStore(root))
    handle.searcher()
    article = {"id": "bench-fresh-1", "lang": "en", "title": "Zyxwvut quokka bulletin"}
    source = root.parent / "fresh.jsonl"
    source.write_text(json.dumps(article) + "\n")
    started = time.perf_counter()
    writer.add(IndexStore(root), read_sources([source]), settings)
    while True:
        _build, searcher = handle.searcher()
        if search(searcher, SearchRequest(q="zyxwvut quokka")).total:
            break
        if time.perf_counter() - started > 30:
            return float("inf")
    seconds = time.perf_counter() - started
    shutil.rmtree(root, ignore_errors=True)
    return seconds


# First /suggest keystroke -------------------------------------------------------------------


def time_first_suggest(built: Path) -> dict[str, float]:
    """Milliseconds (wall clock and CPU) of the first ``/suggest`` keystroke per language in
    a fresh process over a just-written build: what a worker pays after a new build (its
    words and phrases), measured in a child so that nothing read by this process counts."""
    command = [sys.executable, __file__, "_first_suggest", str(built)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode:
        raise SystemExit(f"the first /suggest failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _first_suggest(built: Path) -> None:
    """Child process: open the build as a worker does, then time one keystroke per language."""
    from search_service import create_app

    client = create_app({"index_dir": built, "ratelimit": "1000000/second"}).test_client()
    client.get("/healthz")  # opens the index: what is timed below is the keystroke alone
    figures: dict[str, float] = {}
    for lang in LANGUAGES:
        started, cpu_started = time.perf_counter(), time.process_time()
        response = client.get("/suggest", query_string={"q": "a", "lang": lang})
        assert response.status_code == 200, response.get_data(as_text=True)
        figures[f"{lang}_ms"] = round((time.perf_counter() - started) * 1000, 1)
        figures[f"{lang}_cpu_ms"] = round((time.process_time() - cpu_started) * 1000, 1)
    print(json.dumps(figures))


# Main -------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sources", nargs="+", type=Path, help="article JSONL files to mix")
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--engines", default=",".join(ENGINES))
    parser.add_argument("--workdir", type=Path, help="keep builds here (default: a temp dir)")
    parser.add_argument("--reuse", action="store_true", help="reuse builds found in --workdir")
    parser.add_argument("--profile", type=Path, help="write a profile of our queries here")
    parser.add_argument("--http", action="store_true", help="also drive gunicorn over HTTP")
    parser.add_argument("--http-requests", type=int, default=2000)
    parser.add_argument(
        "--cached-hits", type=int, default=3000, help="requests timing a cached answer (HTTP mode)"
    )
    parser.add_argument(
        "--clients", type=lambda v: [int(c) for c in v.split(",")], default=[1, 4, 16]
    )
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (HTTP mode)")
    parser.add_argument("--json", type=Path, help="also write every figure here")
    args = parser.parse_args(argv)
    engines = [e for e in args.engines.split(",") if e]

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="search-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    report: dict[str, Any] = {"command": " ".join(sys.argv)}
    corpus = workdir / "corpus.jsonl"
    if not (args.reuse and corpus.exists()):
        report["corpus"] = make_corpus(args.sources, args.articles, args.seed, corpus)
        print("corpus:", json.dumps(report["corpus"], ensure_ascii=False), flush=True)

    report["build"] = {}
    for engine in engines:
        target = workdir / engine
        if args.reuse and target.exists():
            continue
        shutil.rmtree(target, ignore_errors=True)
        built = build_in_child(engine, corpus, target)
        built["articles_per_s"] = round(args.articles / built["seconds"], 1)
        built["articles_per_cpu_s"] = round(args.articles / max(built["cpu_seconds"], 1e-9), 1)
        report["build"][engine] = built
        print(f"build {engine}: {json.dumps(built)}", flush=True)

    queries = make_queries(corpus, args.queries, args.seed)
    report["query_kinds"] = dict(Counter(q["kind"] for q in queries))
    runners: dict[str, Any] = {}
    for engine in engines:
        runners[engine] = {"ours": Ours, "fts5": Fts5, "tantivy": Tantivy}[engine](workdir / engine)

    # Untimed warm-up over every query (lazy opens, OS cache), noting how many find anything.
    report["queries_with_hits"] = {
        name: sum(bool(runner(q["q"])) for q in queries) for name, runner in runners.items()
    }
    timings: dict[str, list[float]] = {name: [] for name in runners}
    cpu: dict[str, list[float]] = {name: [] for name in runners}
    order = list(runners)
    for round_number in range(args.rounds):
        for name in order[round_number % len(order) :] + order[: round_number % len(order)]:
            timings[name] += time_queries(runners[name], queries, cpu[name])
    report["latency_ms"] = {name: service.percentiles(samples) for name, samples in timings.items()}
    report["cpu_ms"] = {name: service.percentiles(samples) for name, samples in cpu.items()}
    by_kind: dict[str, dict[str, float]] = {}
    for name, samples in timings.items():
        for kind in report["query_kinds"]:
            picked = [t for i, t in enumerate(samples) if queries[i % len(queries)]["kind"] == kind]
            by_kind.setdefault(kind, {})[name] = service.percentiles(picked)["p50"]
    report["p50_by_kind_ms"] = by_kind

    if args.profile and "ours" in runners:
        text = profile_ours(runners["ours"], queries, args.profile)
        print("\n".join(text.splitlines()[:60]))
    if "ours" in engines:
        report["first_suggest"] = time_first_suggest(workdir / "ours")
        report["add_visible_s"] = round(time_add(workdir / "ours"), 3)
    if args.http and "ours" in engines:
        report["http"] = run_http(workdir / "ours", queries, args)

    print_report(report)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2, ensure_ascii=False))
    if not args.workdir:
        shutil.rmtree(workdir, ignore_errors=True)


def print_report(report: dict[str, Any]) -> None:
    print()
    if "corpus" in report:
        c = report["corpus"]
        print(
            f"corpus: {c['articles']} articles, {c['unique_articles']} unique "
            f"(real share {c['real_share']:.0%}), languages {c['languages']}"
        )
    print("\nindexing          articles/s   seconds   CPU s   art/CPU s   peak RSS MB   size MB")
    for name, b in report["build"].items():
        print(
            f"  {name:<14} {b['articles_per_s']:>11} {b['seconds']:>9.1f} "
            f"{b.get('cpu_seconds', 0):>7.1f} {b.get('articles_per_cpu_s', 0):>11} "
            f"{b['peak_rss_mb']:>13} {b['size_mb']:>9}"
        )
    lat = report["latency_ms"]
    kinds = report["query_kinds"]
    print(f"\nquery latency ms ({sum(kinds.values())} queries {kinds})")
    print(f"  queries with at least one hit: {report['queries_with_hits']}")
    print("  engine            p50      p95      p99     mean")
    for name, p in lat.items():
        print(f"  {name:<14} {p['p50']:>7} {p['p95']:>8} {p['p99']:>8} {p['mean']:>8}")
    print("  CPU time per query (ms):")
    for name, p in report["cpu_ms"].items():
        print(f"  {name:<14} {p['p50']:>7} {p['p95']:>8} {p['p99']:>8} {p['mean']:>8}")
    for table in ("latency_ms", "cpu_ms"):
        figures = report[table]
        for name in figures:
            if "ours" in figures and not name.startswith("ours"):
                ratios = {
                    k: round(figures["ours"][k] / max(figures[name][k], 1e-6), 1)
                    for k in ("p50", "p95", "p99")
                }
                print(f"  ours / {name} ({table}): {ratios}")
    print("\np50 by query kind (ms):")
    for kind, row in report["p50_by_kind_ms"].items():
        print(f"  {kind:<10} " + "  ".join(f"{n}={v}" for n, v in row.items()))
    if "first_suggest" in report:
        first = report["first_suggest"]
        print(
            "\nfirst /suggest keystroke after a new build, fresh process (ms, wall / CPU): "
            + ", ".join(
                f"{lang} {first[f'{lang}_ms']} / {first[f'{lang}_cpu_ms']}" for lang in LANGUAGES
            )
        )
    if "add_visible_s" in report:
        print(f"\nadd one article → visible in search: {report['add_visible_s']} s")
    if "http" in report:
        h = report["http"]
        print(
            f"\nHTTP (gunicorn, {h['workers']} workers; uniform: cache off; "
            f"zipf: cache on, repeat share {h['zipf_repeat_share']})"
        )
        print("  stream          rps      p50      p95      p99   errors   cache hits")
        for key, r in h.items():
            if isinstance(r, dict) and "rps" in r:
                print(
                    f"  {key:<12} {r['rps']:>7} {r['p50']:>8} {r['p95']:>8} {r['p99']:>8} "
                    f"{r['errors']:>8} {r.get('cache_hits', 0):>12.1%}"
                )
        print(f"  worker RSS MB: {h['worker_rss_mb_uniform']}, {h['worker_rss_mb_zipf']}")
        if "cached_hit" in h:
            c = h["cached_hit"]
            print(
                f"  a cached answer, CPU ms per request: {c['wsgi_cpu_ms']} through the WSGI app, "
                f"{c['http_cpu_ms']} in the gunicorn worker over HTTP (one client: p50 "
                f"{c['http_p50_ms']} ms, cache hits {c['http_cache_hits']:.1%})"
            )


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "_build":
        _build(sys.argv[2], Path(sys.argv[3]), Path(sys.argv[4]))
    elif len(sys.argv) > 1 and sys.argv[1] == "_hit":
        _hit_in_process(Path(sys.argv[2]), sys.argv[3], int(sys.argv[4]))
    elif len(sys.argv) > 1 and sys.argv[1] == "_first_suggest":
        _first_suggest(Path(sys.argv[2]))
    else:
        main()
