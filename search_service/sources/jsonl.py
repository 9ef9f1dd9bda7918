"""JSON Lines input: one article per line, every problem reported with file and line."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack
from importlib import resources
from pathlib import Path
from typing import BinaryIO

from ..articles import Article, parse_article
from ..errors import ArticleError

SAMPLE_CORPUS = resources.files("search_service") / "sample" / "articles.jsonl"
STDIN = "-"


def read_sources(
    sources: Iterable[str | Path],
    *,
    on_unknown_field: Callable[[str], None] = lambda name: None,
    on_bytes: Callable[[int], None] = lambda n: None,
) -> Iterator[Article | ArticleError]:
    """Yield each record of each source in order: an Article, or the error that rejects it.

    One run is one namespace of ids: a second record with an id seen earlier in any source is
    rejected, so a reindex never silently keeps an arbitrary one of two versions.
    ``on_unknown_field`` is called once per unknown field name; ``on_bytes`` after each line
    with its size, for progress reporting.
    """
    seen: dict[str, str] = {}
    warned: set[str] = set()
    for source in sources:
        name = "<stdin>" if str(source) == STDIN else str(source)
        with ExitStack() as stack:
            stream = _open(source, stack, name)
            yield from read_stream(stream, name, seen, warned, on_unknown_field, on_bytes)


def read_stream(
    stream: BinaryIO,
    name: str,
    seen: dict[str, str] | None = None,
    warned: set[str] | None = None,
    on_unknown_field: Callable[[str], None] = lambda name: None,
    on_bytes: Callable[[int], None] = lambda n: None,
) -> Iterator[Article | ArticleError]:
    """One stream of JSON Lines (a file, or an admin API request body), validated as the CLI
    validates a file; ``seen`` carries ids across streams of one run."""
    seen = {} if seen is None else seen
    warned = set() if warned is None else warned
    for item in _read_lines(stream, name, on_bytes):
        if isinstance(item, ArticleError):
            yield item
            continue
        article, unknown, line = item
        for field_name in sorted(unknown - warned):
            warned.add(field_name)
            on_unknown_field(field_name)
        if article.id in seen:
            yield ArticleError(
                f"duplicate id; first seen at {seen[article.id]}",
                source=name,
                line=line,
                article_id=article.id,
            )
            continue
        seen[article.id] = f"{name}:{line}"
        yield article


def _open(source: str | Path, stack: ExitStack, name: str) -> BinaryIO:
    if str(source) == STDIN:
        return sys.stdin.buffer
    try:
        return stack.enter_context(Path(source).open("rb"))
    except OSError as exc:
        raise ArticleError(f"cannot read file: {exc.strerror}", source=name) from exc


def _read_lines(
    stream: BinaryIO, name: str, on_bytes: Callable[[int], None]
) -> Iterator[tuple[Article, set[str], int] | ArticleError]:
    for number, raw in enumerate(stream, start=1):
        on_bytes(len(raw))
        try:
            text = raw.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError as exc:
            yield ArticleError(
                f"not valid UTF-8 ({exc.reason} at byte {exc.start})", source=name, line=number
            )
            continue
        if not text.strip():
            continue
        try:
            # Without its line break, so an error's column counts from the start of this line.
            record = json.loads(text.rstrip("\r\n"))
        except json.JSONDecodeError as exc:
            yield ArticleError(
                f"invalid JSON: {exc.msg} at column {exc.colno}", source=name, line=number
            )
            continue
        try:
            article, unknown = parse_article(record)
        except ArticleError as exc:
            yield ArticleError(exc.reason, source=name, line=number, article_id=exc.article_id)
            continue
        yield article, unknown, number
