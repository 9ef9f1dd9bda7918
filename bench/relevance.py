"""Relevance benchmark: our search against SQLite FTS5 and Tantivy on public test collections.

Not a test: it reads evaluation data that may not be copied into the repository, by path.
Each set is a folder with ``corpus.jsonl`` (articles), ``queries.tsv`` (qid TAB query) and
``qrels.txt`` (TREC: qid 0 docid grade). For each set the corpus is indexed with the real
indexer into a temporary directory and every query runs through ``searcher.search`` (the code
behind ``/search``), top 100, without ``lang`` as a reader would send it. The reference engines
index the same title/lead/body fields:

* SQLite FTS5, ``unicode61 remove_diacritics 2`` (with ``porter`` for English), bm25 with the
  same field weights as ours, query words joined with OR;
* Tantivy, its Snowball stemmer for the set's language (Turkish for Azerbaijani), lenient
  query parser over the three fields with the same boosts (OR).

Example::

    .venv/bin/pip install -e '.[bench]'
    .venv/bin/python -m bench.relevance --sets cranfield,xquad-r-tr --max-queries 200

Metrics (bench/metrics.py) follow trec_eval: nDCG@10, MRR@10, Recall@100.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sqlite3
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TextIO

from whoosh.analysis import Filter

from bench.metrics import evaluate, ndcg_at
from search_service import config as settings
from search_service.indexing import writer
from search_service.indexing.schema import FIELD_BOOSTS
from search_service.indexing.store import IndexStore
from search_service.searching import scoring
from search_service.searching.searcher import SearchRequest, search, settings_options
from search_service.sources import read_sources

REPO = Path(__file__).resolve().parent.parent
DEFAULT_DATA = REPO.parent / "shared" / "data"
DEFAULT_SETS = (
    "cranfield",
    "cisi",
    "xquad-r-en",
    "xquad-r-ru",
    "xquad-r-tr",
    "known-item-en-bbc-short",
    "known-item-az-banker-dev-short",
    "known-item-az-banker-dev-short-ascii",
    "known-item-ru-telegram-short",
)
PARTS = ("title", "lead", "body")
# Tantivy's Snowball stemmer per language; Azerbaijani has none, Turkish is its nearest.
TANTIVY_STEMMER = {"en": "english", "ru": "russian", "tr": "turkish", "az": "turkish"}
TOP = 100
Ranker = Callable[[str], list[str]]


def read_set(folder: Path, max_queries: int | None):
    """Articles (raw dicts), queries (qid → text) and qrels (qid → doc → grade)."""
    qrels: dict[str, dict[str, int]] = defaultdict(dict)
    for line in (folder / "qrels.txt").read_text(encoding="utf-8").splitlines():
        if line.strip():
            qid, _, doc, grade = line.split()[:4]
            qrels[qid][doc] = int(grade)
    queries = {}
    for line in (folder / "queries.tsv").read_text(encoding="utf-8").splitlines():
        if "\t" in line:
            qid, text = line.split("\t", 1)
            if any(grade > 0 for grade in qrels.get(qid, {}).values()):
                queries[qid] = text.strip()
    if max_queries:
        queries = dict(list(queries.items())[:max_queries])
    qrels = {qid: qrels[qid] for qid in queries}
    return folder / "corpus.jsonl", queries, qrels


def iter_articles(corpus: Path) -> Iterator[dict]:
    with corpus.open(encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                yield json.loads(line)


def set_language(corpus: Path) -> str:
    for article in iter_articles(corpus):
        return article.get("lang") or "en"
    return "en"


# Ours -----------------------------------------------------------------------------------


class Ours:
    name = "ours"

    def __init__(self, corpus: Path, lang: str, workdir: Path) -> None:
        index_dir = workdir / "ours"
        config = settings.load({}, index_dir=index_dir)
        store = IndexStore(index_dir)
        summary = writer.rebuild(store, read_sources([corpus]), config)
        if summary.rejected:
            print(f"  ours: {summary.rejected} records rejected", file=sys.stderr)
        _, ix = store.open_current()
        self.searcher = ix.searcher()
        # The default settings, as /search uses them (synonyms, recency, term cap), without
        # snippets (ranking does not depend on them) and without the time limit, which a busy
        # benchmark machine would otherwise turn into cut-short answers.
        self.options = {**settings_options(config), "snippet_chars": 0, "time_limit": None}

    def __call__(self, query: str) -> list[str]:
        request = SearchRequest(q=query, per_page=TOP)
        response = search(self.searcher, request, **self.options)
        # A row stands for an article and its exact copies (same title and body), which the
        # judgements tell apart by id: each copy is listed right after its row, where an
        # engine that does not fold copies ranks it (the same text scores the same).
        ranked = [id_ for hit in response.results for id_ in (hit.id, *hit.duplicates)]
        return ranked[:TOP]


# SQLite FTS5 -----------------------------------------------------------------------------

_WORD = re.compile(r"\w+")


class Fts5:
    name = "fts5"

    def __init__(self, corpus: Path, lang: str, workdir: Path) -> None:
        tokenizer = "unicode61 remove_diacritics 2"
        if lang == "en":
            tokenizer = "porter " + tokenizer
        self.db = sqlite3.connect(":memory:")
        self.db.execute(
            f"CREATE VIRTUAL TABLE docs USING fts5(id UNINDEXED, {', '.join(PARTS)}, "
            f"tokenize = '{tokenizer}')"
        )
        self.db.executemany(
            "INSERT INTO docs VALUES (?, ?, ?, ?)",
            (
                (a["id"], a.get("title", ""), a.get("lead", ""), a.get("body", ""))
                for a in iter_articles(corpus)
            ),
        )
        weights = ", ".join(str(FIELD_BOOSTS[part]) for part in PARTS)
        self.sql = (
            f"SELECT id FROM docs WHERE docs MATCH ? ORDER BY bm25(docs, 0, {weights}) LIMIT {TOP}"
        )

    def __call__(self, query: str) -> list[str]:
        words = _WORD.findall(query)
        if not words:
            return []
        match = " OR ".join('"' + w.replace('"', "") + '"' for w in words)
        return [row[0] for row in self.db.execute(self.sql, (match,))]


# Tantivy ----------------------------------------------------------------------------------


class Tantivy:
    name = "tantivy"

    def __init__(self, corpus: Path, lang: str, workdir: Path) -> None:
        import tantivy

        analyzer = (
            tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
            .filter(tantivy.Filter.remove_long(40))
            .filter(tantivy.Filter.lowercase())
            .filter(tantivy.Filter.stemmer(TANTIVY_STEMMER.get(lang, "english")))
            .build()
        )
        builder = tantivy.SchemaBuilder()
        builder.add_text_field("id", stored=True, tokenizer_name="raw")
        for part in PARTS:
            builder.add_text_field(part, tokenizer_name="lang")
        schema = builder.build()
        self.index = tantivy.Index(schema, path=str(workdir))
        self.index.register_tokenizer("lang", analyzer)
        writer = self.index.writer(heap_size=100_000_000, num_threads=1)
        for article in iter_articles(corpus):
            writer.add_document(
                tantivy.Document(
                    id=article["id"], **{part: article.get(part, "") for part in PARTS}
                )
            )
        writer.commit()
        writer.wait_merging_threads()
        self.index.reload()
        self.searcher = self.index.searcher()

    def __call__(self, query: str) -> list[str]:
        words = _WORD.findall(query)
        if not words:
            return []
        parsed, _errors = self.index.parse_query_lenient(
            " ".join(words), list(PARTS), field_boosts=dict(FIELD_BOOSTS)
        )
        hits = self.searcher.search(parsed, TOP).hits
        return [self.searcher.doc(address)["id"][0] for _score, address in hits]


class NoStem(Filter):
    """A stand-in for the Azerbaijani stemmer that leaves words alone."""

    def __init__(self, harmony: bool = True) -> None:
        self.harmony = harmony

    def __call__(self, tokens):
        return tokens


def use_az_stemmer(choice: str) -> None:
    """Swap the Azerbaijani stemmer of this process, to compare alternatives on the same data."""
    from search_service import analysis

    if choice == "none":
        analysis.OWN_STEMMERS["az"] = NoStem
    elif choice == "turkish":
        del analysis.OWN_STEMMERS["az"]
        analysis.SNOWBALL["az"] = "turkish"


def switch_off(pieces: set[str]) -> None:
    """Disable pieces of our analysis in this process (an ablation, for the note)."""
    from search_service.indexing import schema
    from search_service.searching import query

    unknown = pieces - {"stopwords", "fold"}
    if unknown:
        raise SystemExit(f"--without: unknown piece(s) {', '.join(sorted(unknown))}")
    if "stopwords" in pieces:
        query.stop_words = lambda language: frozenset()
    if "fold" in pieces:
        schema.folded_analyzer_for = lambda language: None


ENGINES = {"ours": Ours, "fts5": Fts5, "tantivy": Tantivy}


def run_set(
    folder: Path, engines: list[str], max_queries: int | None
) -> tuple[dict[str, dict], dict[str, str]]:
    """Each engine's scores on one set (with per-query nDCG@10), and the queries run."""
    corpus, queries, qrels = read_set(folder, max_queries)
    lang = set_language(corpus)
    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="relevance-") as tmp:
        for name in engines:
            workdir = Path(tmp) / name
            workdir.mkdir()
            started = time.monotonic()
            try:
                ranker: Ranker = ENGINES[name](corpus, lang, workdir)
            except ImportError as exc:
                print(f"  {name}: skipped ({exc}); pip install -e '.[bench]'", file=sys.stderr)
                continue
            indexed = time.monotonic()
            runs = {qid: ranker(text) for qid, text in queries.items()}
            scores = evaluate(runs, qrels)
            scores["per_query"] = {qid: ndcg_at(runs[qid], qrels[qid]) for qid in queries}
            scores["index_s"] = indexed - started
            scores["query_ms"] = (time.monotonic() - indexed) * 1000 / max(len(queries), 1)
            results[name] = scores
    return results, queries


def write_per_query(
    out: TextIO, name: str, results: dict[str, dict], queries: dict[str, str]
) -> None:
    """One TSV row per query: set, qid, each engine's nDCG@10, the query text — to see which
    queries an engine loses and why."""
    engines = list(results)
    for qid, text in queries.items():
        scores = "\t".join(f"{results[e]['per_query'][qid]:.4f}" for e in engines)
        out.write(f"{name}\t{qid}\t{scores}\t{text}\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=Path(os.environ.get("SEARCH_BENCH_DATA", DEFAULT_DATA)),
        help="folder holding relevance/<set>/ (default: $SEARCH_BENCH_DATA or ../shared/data)",
    )
    parser.add_argument("--sets", default=",".join(DEFAULT_SETS), help="comma-separated sets")
    parser.add_argument("--engines", default="ours,fts5,tantivy")
    parser.add_argument("--max-queries", type=int, default=None, help="first N judged queries")
    parser.add_argument(
        "--az-stemmer",
        choices=("ours", "turkish", "none"),
        default="ours",
        help="experiment: the Azerbaijani stemmer our indexer uses (default: the shipped one)",
    )
    parser.add_argument(
        "--without",
        default="",
        help="experiment: comma-separated pieces of our analysis to switch off "
        "(stopwords, fold), to measure what each one brings",
    )
    parser.add_argument(
        "--bm25-b",
        type=float,
        default=scoring.B,
        help=f"experiment: BM25F length normalisation for our searches (default {scoring.B})",
    )
    parser.add_argument(
        "--language-b",
        help="experiment: B for some languages' text, as lang=value pairs replacing the "
        f"shipped ones ({','.join(f'{k}={v}' for k, v in scoring.LANGUAGE_B.items())})",
    )
    parser.add_argument(
        "--per-query",
        type=Path,
        help="write each query's nDCG@10 per engine to this TSV (set, qid, engines…, query)",
    )
    args = parser.parse_args(argv)
    scoring.B = args.bm25_b
    if args.language_b is not None:
        pairs = (pair.split("=") for pair in args.language_b.split(",") if pair.strip())
        scoring.LANGUAGE_B = {lang.strip(): float(value) for lang, value in pairs}
    use_az_stemmer(args.az_stemmer)
    switch_off({name.strip() for name in args.without.split(",") if name.strip()})
    engines = [name.strip() for name in args.engines.split(",") if name.strip()]
    header = f"{'set':38} {'engine':8} {'nDCG@10':>8} {'MRR@10':>8} {'R@100':>8} {'n':>5}"
    print(header, flush=True)
    ratios = []
    dump = args.per_query.open("w", encoding="utf-8") if args.per_query else None
    if dump:
        dump.write("\t".join(["set", "qid", *engines, "query"]) + "\n")
    for name in (s.strip() for s in args.sets.split(",") if s.strip()):
        folder = args.data_dir / "relevance" / name
        if not folder.is_dir():
            print(f"{name}: no such set under {folder.parent}", file=sys.stderr)
            return 2
        print(f"... {name}", file=sys.stderr, flush=True)
        results, queries = run_set(folder, engines, args.max_queries)
        if dump:
            write_per_query(dump, name, results, queries)
        for engine, s in results.items():
            print(
                f"{name:38} {engine:8} {s['ndcg@10']:8.3f} {s['mrr@10']:8.3f} "
                f"{s['recall@100']:8.3f} {s['queries']:5d}  "
                f"(index {s['index_s']:.1f}s, {s['query_ms']:.1f} ms/query)",
                flush=True,
            )
        references = [s["ndcg@10"] for e, s in results.items() if e != "ours"]
        if "ours" in results and references and max(references) > 0:
            ratios.append((name, results["ours"]["ndcg@10"], max(references)))
    if dump:
        dump.close()
    if ratios:
        print("\nnDCG@10 ours / best reference")
        for name, ours, best in ratios:
            print(f"{name:38} {ours:.3f} / {best:.3f} = {ours / best:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
