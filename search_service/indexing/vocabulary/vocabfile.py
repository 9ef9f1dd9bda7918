"""The ``.vocab`` file: one segment's tables per language group, mapped into memory to read.

Per language group, a segment's file holds its words and its phrases
(:class:`~.tables.GroupCounts`), each table a buffer of UTF-8 strings with their offsets and a
count array, which a worker maps into memory (``mmap``: pages shared between workers, nothing
parsed, a few milliseconds).
"""

from __future__ import annotations

import json
import mmap
import os
from pathlib import Path
from typing import Any

import numpy as np
from whoosh.reading import IndexReader

from .tables import GroupCounts, Strings, Table

EXTENSION = ".vocab"
_MAGIC = b"search-service vocabulary 1\n"


def load(leaf: IndexReader) -> dict[str, GroupCounts] | None:
    """The stored counts of one segment (mapped, not read), or None if it has none."""
    path = path_of(leaf.storage(), leaf.segment())
    if path is None:
        return None
    try:
        with path.open("rb") as handle:
            buffer = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        return _parse(buffer)
    except (OSError, ValueError, KeyError, TypeError):  # missing, empty, torn or foreign
        return None


def _parse(buffer: mmap.mmap) -> dict[str, GroupCounts]:
    if buffer[: len(_MAGIC)] != _MAGIC or buffer[-len(_MAGIC) :] != _MAGIC:
        raise ValueError("not a vocabulary file, or not all of one")
    start = len(_MAGIC) + 8
    size = int.from_bytes(buffer[len(_MAGIC) : start], "little")
    header = json.loads(buffer[start : start + size])

    def array(spec: list) -> np.ndarray:
        dtype, offset, count = spec
        return np.frombuffer(buffer, dtype=dtype, count=count, offset=offset)

    def table(spec: dict) -> Table:
        keys, words = spec["keys"], spec["words"]
        return Table(
            Strings(buffer, array(keys["offsets"]), keys["base"]),
            Strings(buffer, array(words["offsets"]), words["base"]),
            array(spec["counts"]),
        )

    return {
        group: GroupCounts(
            table(spec["words"]),
            table(spec["phrases"]),
            spec["step"],
            array(spec["sample"]),
            spec["least"],
        )
        for group, spec in header["groups"].items()
    }


def path_of(storage: Any, segment: Any) -> Path | None:
    """Where a segment's counts are kept: beside its other files, named like them, so that
    Whoosh deletes it with the segment and replication copies it with the segment."""
    folder = getattr(storage, "folder", None)
    if folder is None:  # a compound or in-memory segment: counted in memory when read
        return None
    return Path(folder) / segment.make_filename(EXTENSION)


def write(path: Path, groups: dict[str, GroupCounts]) -> None:
    """The magic line, the header's length, a JSON header, each array 8-byte aligned, and the
    magic line again.
    Written under a temporary name (Whoosh ignores names starting with a dot) and renamed,
    so a reader finds the whole file or none. Not synced to disk: a new build's files are,
    with the build (``IndexStore.activate``), and a file an update lost to a crash is only
    counted again where it is missing or unreadable (:func:`load`)."""
    arrays: list[np.ndarray] = []
    header: dict[str, Any] = {"groups": {}}

    def place(array: np.ndarray) -> list:
        arrays.append(np.ascontiguousarray(array))
        return [array.dtype.str, len(arrays) - 1, len(array)]

    def strings(item: Strings) -> dict:
        return {"offsets": place(item.offsets), "base": place(np.frombuffer(item.buffer, "u1"))}

    def table(item: Table) -> dict:
        return {
            "keys": strings(item.keys),
            "words": strings(item.words),
            "counts": place(item.counts),
        }

    for group, counts in groups.items():
        header["groups"][group] = {
            "words": table(counts.words),
            "phrases": table(counts.phrases),
            "step": counts.step,
            "sample": place(counts.sample),
            "least": counts.least,
        }
    # Offsets depend on the header's length, which depends on the offsets: lay the arrays out
    # after a header padded to a fixed size.
    body_start = len(_MAGIC) + 8
    draft = json.dumps(header).encode()
    size = _aligned(len(draft) + 16 * len(arrays) + 64)
    position, where = body_start + size, []
    for array in arrays:
        where.append(position)
        position = _aligned(position + array.nbytes)

    def resolve(spec: Any) -> Any:
        if isinstance(spec, dict):
            return {
                key: (where[value[1]] if key == "base" else resolve(value))
                for key, value in spec.items()
            }
        if isinstance(spec, list) and len(spec) == 3 and isinstance(spec[0], str):
            return [spec[0], where[spec[1]], spec[2]]
        return spec

    encoded = json.dumps(resolve(header)).encode()
    assert len(encoded) <= size
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with temporary.open("wb") as out:
        out.write(_MAGIC + size.to_bytes(8, "little") + encoded.ljust(size))
        for array, at in zip(arrays, where, strict=True):
            out.write(b"\0" * (at - out.tell()))
            out.write(array.tobytes())
        out.write(_MAGIC)  # last, so that a file cut short is known
    os.replace(temporary, path)


def _aligned(position: int) -> int:
    return (position + 7) // 8 * 8
