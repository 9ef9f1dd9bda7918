"""A full build's postings columns spilled to a temporary file past the writer's memory bound.

They are read back a field at a time, in the order they were added.
"""

from __future__ import annotations

import tempfile
from array import array
from typing import Any


def _empty_like(column: array | bytearray) -> array | bytearray:
    return array(column.typecode) if isinstance(column, array) else bytearray()


class Runs:
    """Columns spilled to one temporary file, read back a field at a time, in order."""

    def __init__(self, directory: str | None) -> None:
        # Closed by the writer once its segment is written (or when collected, if cancelled).
        self.file = tempfile.TemporaryFile(dir=directory)  # noqa: SIM115
        self.spans: dict[int, list[list[tuple[int, int]]]] = {}  # by id of the owner
        self.count = 0

    def save(self, owner: Any, columns: list[Any]) -> None:
        spans = []
        for column in columns:
            start = self.file.tell()
            self.file.write(column)
            spans.append((start, self.file.tell() - start))
        self.spans.setdefault(id(owner), []).append(spans)
        owner.runs = self
        self.count += 1

    def load(self, owner: Any, current: list[Any]) -> list[Any] | None:
        """The owner's spilled columns, each followed by ``current``'s (then forgotten)."""
        runs = self.spans.pop(id(owner), None)
        if runs is None:
            return None
        columns = [_empty_like(column) for column in current]
        for spans in runs:
            for column, (start, size) in zip(columns, spans, strict=True):
                self.file.seek(start)
                data = self.file.read(size)
                if isinstance(column, array):
                    column.frombytes(data)
                else:
                    column += data
        for column, tail in zip(columns, current, strict=True):
            column += tail
        self.file.seek(0, 2)
        owner.runs = None
        return columns

    def close(self) -> None:
        self.file.close()
