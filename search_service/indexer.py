"""Full rebuilds and incremental add/delete: articles in, Whoosh documents out.

A rebuild writes a new build beside the live one and switches only after it passes its
checks; ``add`` and ``delete`` commit to the live build in place, which Whoosh makes atomic.
Either way a rejected record is reported and skipped (or, under ``strict``, stops the write
before anything is committed), and never costs the live index a document.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from whoosh.fields import Schema
from whoosh.writing import IndexWriter

from .analysis import GENERIC, detect_language
from .articles import Article, local_date
from .config import Config
from .errors import ArticleError, BuildFailed
from .schema import FOLD_PREFIX, build_schema, group_for
from .store import IndexStore

WRITER_MEMORY_MB = 256


@dataclass
class Summary:
    """What a write did, for the CLI's final report (and its exit status)."""

    indexed: int = 0
    rejected: int = 0
    languages: Counter[str] = field(default_factory=Counter)
    generic: Counter[str] = field(default_factory=Counter)
    detected: Counter[str] = field(default_factory=Counter)
    deleted: int = 0
    missing: list[str] = field(default_factory=list)
    build_id: str = ""
    seconds: float = 0.0
    committed: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "indexed": self.indexed,
            "rejected": self.rejected,
            "languages": dict(self.languages),
            "generic_analyzer": dict(self.generic),
            "language_detected": dict(self.detected),
            "deleted": self.deleted,
            "missing": self.missing,
            "build_id": self.build_id,
            "committed": self.committed,
            "seconds": round(self.seconds, 3),
        }


Records = Iterable[Article | ArticleError]
OnReject = Callable[[ArticleError], None]


def rebuild(
    store: IndexStore,
    records: Records,
    config: Config,
    *,
    strict: bool = False,
    on_reject: OnReject = lambda error: None,
) -> Summary:
    """Build a complete new index from ``records`` and make it live if it checks out."""
    started = time.monotonic()
    summary = Summary()
    with store.writing("reindex"):
        build_id, partial, ix = store.create_partial(build_schema(config.languages))
        try:
            writer = ix.writer(limitmb=WRITER_MEMORY_MB)
            _write(writer, ix.schema, records, config, summary, strict, on_reject, replace=False)
            if strict and summary.rejected:
                writer.cancel()
                raise BuildFailed(
                    f"{summary.rejected} record(s) rejected under --strict; "
                    "nothing was written and the live index is unchanged"
                )
            writer.commit(optimize=True)
            build = store.activate(
                build_id,
                partial,
                summary.indexed,
                {
                    "languages": list(config.languages),
                    "indexed": summary.indexed,
                    "rejected": summary.rejected,
                },
            )
        except BaseException:
            store.discard(partial)
            raise
    summary.build_id, summary.committed = build.id, True
    summary.seconds = time.monotonic() - started
    return summary


def add(
    store: IndexStore,
    records: Records,
    config: Config,
    *,
    strict: bool = False,
    on_reject: OnReject = lambda error: None,
) -> Summary:
    """Insert or replace articles by id in the live build (or make the first build)."""
    if store.current() is None:
        return rebuild(store, records, config, strict=strict, on_reject=on_reject)
    started = time.monotonic()
    summary = Summary()
    with store.writing("add"):
        build, ix = store.open_current()
        writer = ix.writer(limitmb=WRITER_MEMORY_MB)
        try:
            _write(writer, ix.schema, records, config, summary, strict, on_reject, replace=True)
        except BaseException:
            writer.cancel()
            raise
        if strict and summary.rejected:
            writer.cancel()
            raise BuildFailed(
                f"{summary.rejected} record(s) rejected under --strict; nothing was written"
            )
        writer.commit()
    summary.build_id, summary.committed = build.id, True
    summary.seconds = time.monotonic() - started
    return summary


def delete(store: IndexStore, ids: Iterable[str]) -> Summary:
    """Delete articles by id from the live build; unknown ids are listed, not fatal."""
    started = time.monotonic()
    summary = Summary()
    with store.writing("delete"):
        build, ix = store.open_current()
        writer = ix.writer()
        try:
            with ix.searcher() as searcher:
                for article_id in dict.fromkeys(ids):
                    if searcher.document_number(id=article_id) is None:
                        summary.missing.append(article_id)
                    else:
                        writer.delete_by_term("id", article_id)
                        summary.deleted += 1
        except BaseException:
            writer.cancel()
            raise
        writer.commit()
    summary.build_id, summary.committed = build.id, True
    summary.seconds = time.monotonic() - started
    return summary


def document(article: Article, schema: Schema, default_language: str) -> tuple[dict, str, bool]:
    """The Whoosh fields for one article, its language and whether that was detected."""
    lang, detected = article.lang, False
    if not lang:
        text = " ".join((article.title, article.lead, article.body[:2000]))
        lang, detected = detect_language(text) or default_language, True
    group = group_for(schema, lang)
    fields: dict[str, Any] = {
        "id": article.id,
        "lang": lang,
        "lang_detected": detected,
        "title": article.title,
        "lead": article.lead,
        "body": article.body,
        "url": article.url,
        "author": article.author,
        "tags": list(article.tags),
        "published": article.published_text,
        "updated": article.updated_text,
    }
    if article.category:
        fields["category"] = article.category
    if article.tags:
        fields["tag"] = ",".join(tag.replace(",", " ") for tag in article.tags)
    if article.published is not None:
        fields["published_at"] = article.published
        day = local_date(article)
        assert day is not None
        fields["published_day"] = day.year * 10000 + day.month * 100 + day.day
    for part in ("title", "lead", "body"):
        text = getattr(article, part)
        if text:
            fields[f"{part}_{group}"] = text
    if f"{FOLD_PREFIX}{group}" in schema:
        fields[f"{FOLD_PREFIX}{group}"] = "\n".join((article.title, article.lead, article.body))
    return fields, lang, detected


def _write(
    writer: IndexWriter,
    schema: Schema,
    records: Records,
    config: Config,
    summary: Summary,
    strict: bool,
    on_reject: OnReject,
    *,
    replace: bool,
) -> None:
    put = writer.update_document if replace else writer.add_document
    for record in records:
        if isinstance(record, ArticleError):
            summary.rejected += 1
            on_reject(record)
            continue
        if strict and summary.rejected:
            continue  # keep reading to report every problem, but write nothing more
        fields, lang, detected = document(record, schema, config.default_language)
        put(**fields)
        summary.indexed += 1
        summary.languages[lang] += 1
        if group_for(schema, lang) == GENERIC:
            summary.generic[lang] += 1
        if detected:
            summary.detected[lang] += 1
