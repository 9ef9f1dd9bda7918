"""Synonyms and transliterations applied at query time, from an admin-editable file.

One equivalence group per line, entries separated by commas, any script, multi-word entries
allowed; ``#`` starts a comment::

    Karabakh, Garabagh, Qarabağ, Карабах
    Nagorno-Karabakh, Dağlıq Qarabağ, Нагорный Карабах

A query word (or run of words, or quoted phrase) equal to an entry also matches every other
entry of its group, a little below a literal match (:data:`SYNONYM_BOOST`). Entries compare
after the same folding as the index (NFKC, case folding, Turkic I, ё→е), so ``BAKI`` and
``Bakı`` are one entry; a query typed without the diacritics (``Qarabag``, ``baki``) is the
entry too. The file is re-read when its modification time changes, so an edit
applies to the next query in every worker without a restart.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from functools import cache, cached_property
from importlib import resources
from pathlib import Path

from .. import analysis
from ..analysis.filters import normalize, search_key

SYNONYM_BOOST = 0.8
STARTER_FILE = "data/synonyms.txt"  # beside the analyzers, with the stop-word lists
MAX_ENTRY_WORDS = 6
LOOKUPS_KEPT = 20_000  # texts whose lookup a Synonyms remembers; then it starts again


def key(text: str) -> str:
    """How an entry or a query run is compared: normalised words joined by one space."""
    return " ".join(normalize(word, turkic=True) for word in text.split())


def plain_key(text: str) -> str:
    """:func:`key` without diacritics, as most keyboards type ``Qarabağ``: ``qarabag``."""
    return " ".join(search_key(word) for word in text.split())


@dataclass(frozen=True)
class Synonyms:
    """Parsed groups: normalised entry → the other entries of its group (as written), and the
    same without diacritics → every entry of the group."""

    alternatives: dict[str, tuple[str, ...]] = field(default_factory=dict)
    problems: tuple[str, ...] = ()
    groups: int = 0
    plain: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # Answers of lookup by text, per worker: every run of a query's words is looked up, with
    # two normalisations of each word, for each of a search's queries.
    _found: dict[str, tuple[str, ...]] = field(default_factory=dict, compare=False, repr=False)

    @cached_property
    def longest(self) -> int:
        """Words in the longest entry (asked for every clause of every search)."""
        return max((len(k.split()) for k in self.alternatives), default=0)

    def lookup(self, text: str) -> tuple[str, ...]:
        """The other entries of the group ``text`` is an entry of, written with or without
        its diacritics (``Qarabag`` is ``Qarabağ``); none when it is no entry."""
        found = self._found.get(text)
        if found is None:
            if len(self._found) >= LOOKUPS_KEPT:
                self._found.clear()
            found = self._found[text] = self._lookup(text)
        return found

    def _lookup(self, text: str) -> tuple[str, ...]:
        exact = key(text)
        found = self.alternatives.get(exact)
        if found is not None:
            return found
        return tuple(entry for entry in self.plain.get(plain_key(text), ()) if key(entry) != exact)


EMPTY = Synonyms()


def parse(text: str, source: str = "<synonyms>") -> Synonyms:
    """Parse a synonyms file; problems are collected, not raised (see :func:`check`)."""
    alternatives: dict[str, tuple[str, ...]] = {}
    plain: dict[str, tuple[str, ...]] = {}
    seen: dict[str, int] = {}
    problems = []
    groups = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        entries = [" ".join(entry.split()) for entry in line.split(",")]
        where = f"{source}:{number}"
        if any(not entry for entry in entries):
            problems.append(f"{where}: empty entry (two commas in a row, or a trailing comma)")
            entries = [entry for entry in entries if entry]
        if len(entries) < 2:
            problems.append(f"{where}: a group needs at least two entries")
            continue
        groups += 1
        for entry in entries:
            if len(entry.split()) > MAX_ENTRY_WORDS:
                problems.append(f"{where}: {entry!r} has more than {MAX_ENTRY_WORDS} words")
            folded = key(entry)
            if folded in seen and seen[folded] != number:
                problems.append(
                    f"{where}: {entry!r} is already in the group on line {seen[folded]}"
                )
                continue
            seen[folded] = number
            others = tuple(other for other in entries if key(other) != folded)
            alternatives[folded] = tuple(dict.fromkeys(alternatives.get(folded, ()) + others))
            bare = plain_key(entry)
            plain[bare] = tuple(dict.fromkeys(plain.get(bare, ()) + tuple(entries)))
    return Synonyms(alternatives, tuple(problems), groups, plain)


def check(path: Path) -> list[str]:
    """Every problem of a synonyms file, as ``file:line: message`` strings."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return [f"{path}: cannot read: {exc}"]
    return list(parse(text, str(path)).problems)


@cache
def starter_path() -> Path:
    # Cached: resolving a package resource is a twentieth of a cached search's cost.
    return Path(str(resources.files(analysis).joinpath(STARTER_FILE)))


class SynonymFile:
    """One synonyms file, re-read when its modification time or size changes."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._stamp: tuple[int, int] | None = None
        self._synonyms = EMPTY

    def current(self) -> Synonyms:
        try:
            info = os.stat(self.path)
            stamp = (info.st_mtime_ns, info.st_size)
        except OSError:
            return EMPTY  # a missing file means no synonyms; `synonyms check` reports it
        if stamp != self._stamp:
            with self._lock:
                if stamp != self._stamp:
                    try:
                        text = self.path.read_text(encoding="utf-8")
                    except (OSError, UnicodeDecodeError):
                        return self._synonyms
                    self._synonyms, self._stamp = parse(text, str(self.path)), stamp
        return self._synonyms


_files: dict[str, SynonymFile] = {}


def resolve(setting: str) -> Path | None:
    """The file a ``SEARCH_SYNONYMS_FILE`` value names: empty → the starter file, ``none`` →
    no synonyms."""
    if setting.strip().lower() == "none":
        return None
    return Path(setting) if setting.strip() else starter_path()


def for_setting(setting: str) -> Synonyms:
    """The current synonyms for a ``SEARCH_SYNONYMS_FILE`` value (one reader per process)."""
    path = resolve(setting)
    if path is None:
        return EMPTY
    reader = _files.get(str(path))
    if reader is None:
        reader = _files.setdefault(str(path), SynonymFile(path))
    return reader.current()
