"""What the commands show on a terminal: progress while reading, and readers' text (queries,
titles, snippets) made safe and readable there."""

from __future__ import annotations

import html
import re
import sys
import time
import unicodedata

import click


class SyncProgress:
    """Records read per source: a line rewritten in place on a terminal, a line every few
    seconds otherwise."""

    INTERVAL = 5.0

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()
        self.next_report = time.monotonic() + self.INTERVAL
        self.shown = False

    def show(self, name: str, done: int, total: int | None) -> None:
        of = f" of {total}" if total else ""
        if self.tty:
            click.echo(f"\r\033[K{name}: {done}{of} read", nl=False, err=True)
            self.shown = True
        elif time.monotonic() >= self.next_report:
            self.next_report = time.monotonic() + self.INTERVAL
            click.echo(f"{name}: {done}{of} read", err=True)

    def clear(self) -> None:
        if self.shown:
            click.echo("\r\033[K", nl=False, err=True)
            self.shown = False


class Progress:
    """A progress bar on a terminal; a plain line every few seconds otherwise (logs, CI)."""

    INTERVAL = 5.0

    def __init__(self, total_bytes: int) -> None:
        self.done = 0
        self.total = total_bytes
        self.bar = None
        if sys.stderr.isatty() and total_bytes:
            self.bar = click.progressbar(length=total_bytes, label="Indexing", file=sys.stderr)
            self.bar.__enter__()
        self.next_report = time.monotonic() + self.INTERVAL

    def advance(self, nbytes: int) -> None:
        self.done += nbytes
        if self.bar is not None:
            self.bar.update(nbytes)
        elif time.monotonic() >= self.next_report:
            self.next_report = time.monotonic() + self.INTERVAL
            share = f" ({100 * self.done / self.total:.0f}%)" if self.total else ""
            click.echo(f"indexing: {self.done / 1e6:.1f} MB read{share}", err=True)

    def clear(self) -> None:
        if self.bar is not None:
            click.echo("\r\033[K", nl=False, err=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


# Queries are readers' text: in a terminal, a control character or escape sequence must show,
# not act, and a pasted paragraph must not push the table apart.
QUERY_WIDTH = 60


def printable(text: str, width: int = QUERY_WIDTH) -> str:
    """``text`` with control and format characters escaped (``\x1b``, ``\n``, ``\u202e``)
    and cut to ``width`` characters with an ellipsis."""
    shown = "".join(
        repr(char)[1:-1] if unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp") else char
        for char in text
    )
    return shown if len(shown) <= width else shown[: width - 1] + "…"


_MARK = re.compile(r"</?mark>")
_LINE_BREAK = re.compile(r"\s*\n\s*")


def terminal(marked: str) -> str:
    """Show <mark> as bold on a colour terminal, plain elsewhere, on one line (a snippet
    spanning paragraphs would otherwise break the listing's layout)."""
    parts = _MARK.split(_LINE_BREAK.sub(" ", marked))
    return "".join(click.style(html.unescape(p), bold=bool(i % 2)) for i, p in enumerate(parts))
