"""The durable journal of accepted live updates (admin API puts and deletes).

An update is appended here and fsynced *before* the API answers 2xx, so an acknowledged
update survives a crash of the worker, of the writer or of the machine. Whoever next holds the
store's writer lock applies the pending entries in order:

* an incremental write (:func:`apply_pending`, also run first by ``add``/``delete``) applies
  them to the live build;
* a full rebuild replays them onto its new build before that build goes live, so an update
  accepted while a reindex was running is in the build that replaces the old one.

Entries are idempotent (put = replace by id, delete = delete by id), so replaying an entry
twice after a crash between the Whoosh commit and the ``applied`` marker is harmless. Applied
entries are trimmed. Layout under the index directory::

    journal.jsonl      one entry per line: {"seq", "op": "put"|"delete", "id", "record"?}
    journal.state      {"applied": seq}: the last entry that is in the live build
    journal.lock       flock held for the few milliseconds of an append or a trim
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from ..articles import Article
from .files import fsync_dir, write_atomic

JOURNAL = "journal.jsonl"
STATE = "journal.state"
LOCK = "journal.lock"


@dataclass(frozen=True)
class Entry:
    """One accepted update: ``put`` carries the article's JSON object, ``delete`` only its id."""

    seq: int
    op: str
    id: str
    record: dict[str, Any] | None = None


class Journal:
    """The journal file of one index directory."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.path = self.root / JOURNAL

    def append(self, updates: list[tuple[str, str, dict[str, Any] | None]]) -> list[int]:
        """Durably append ``(op, id, record)`` updates; returns their sequence numbers.

        Returns only after the bytes are fsynced: the caller may then acknowledge them.
        """
        if not updates:
            return []
        with self._locked():
            entries = self._read()
            last = max([self.applied(), *(e.seq for e in entries)])
            lines = []
            seqs = []
            for number, (op, article_id, record) in enumerate(updates, start=last + 1):
                entry: dict[str, Any] = {"seq": number, "op": op, "id": article_id}
                if record is not None:
                    entry["record"] = record
                lines.append(json.dumps(entry, ensure_ascii=False) + "\n")
                seqs.append(number)
            self._drop_torn_tail()
            with open(self.path, "a", encoding="utf-8") as handle:
                handle.write("".join(lines))
                handle.flush()
                os.fsync(handle.fileno())
            fsync_dir(self.root)
            return seqs

    def pending(self) -> list[Entry]:
        """Accepted entries not yet in the live build, oldest first."""
        applied = self.applied()
        return [entry for entry in self._read() if entry.seq > applied]

    def has_pending(self) -> bool:
        try:
            if self.path.stat().st_size == 0:
                return False
        except FileNotFoundError:
            return False
        return bool(self.pending())

    def applied(self) -> int:
        try:
            return int(json.loads((self.root / STATE).read_text())["applied"])
        except (OSError, ValueError, KeyError, TypeError):
            return 0

    def mark_applied(self, seq: int) -> None:
        """Record that every entry up to ``seq`` is in the live build, then trim them.

        Call only while holding the store's writer lock, after the Whoosh commit.
        """
        if seq <= self.applied():
            return
        write_atomic(self.root / STATE, json.dumps({"applied": seq}))
        with self._locked():
            keep = [entry for entry in self._read() if entry.seq > seq]
            write_atomic(
                self.path, "".join(json.dumps(_as_json(e), ensure_ascii=False) + "\n" for e in keep)
            )

    def _read(self) -> list[Entry]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        entries = []
        for line in text.splitlines():
            try:
                raw = json.loads(line)
                entries.append(Entry(int(raw["seq"]), raw["op"], raw["id"], raw.get("record")))
            except (ValueError, KeyError, TypeError):
                continue  # a line torn by a crash mid-append was never acknowledged
        return entries

    def _drop_torn_tail(self) -> None:
        """Cut a partial last line (a crash mid-append) so the next entry starts cleanly."""
        try:
            with open(self.path, "rb+") as handle:
                data = handle.read()
                if data and not data.endswith(b"\n"):
                    handle.truncate(data.rfind(b"\n") + 1)
        except FileNotFoundError:
            pass

    @contextmanager
    def _locked(self) -> Iterator[None]:
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / LOCK, "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


def article_to_json(article: Article) -> dict[str, Any]:
    """The validated article as stored in the journal (no second validation on replay)."""
    raw = asdict(article)
    for name in ("published", "updated"):
        raw[name] = raw[name].isoformat() if raw[name] is not None else None
    raw["tags"] = list(article.tags)
    return raw


def article_from_json(raw: dict[str, Any]) -> Article:
    values = dict(raw)
    for name in ("published", "updated"):
        values[name] = datetime.fromisoformat(values[name]) if values.get(name) else None
    values["tags"] = tuple(values.get("tags") or ())
    return Article(**values)


def _as_json(entry: Entry) -> dict[str, Any]:
    raw: dict[str, Any] = {"seq": entry.seq, "op": entry.op, "id": entry.id}
    if entry.record is not None:
        raw["record"] = entry.record
    return raw
