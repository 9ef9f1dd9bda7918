"""The index directory's own files written so that a crash leaves the old or the new, whole.

A crash or a power cut leaves either the old or the new version, never a torn one: fsync,
atomic replace, and the time stamps they hold.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path


def fsync_dir(path: Path) -> None:
    """Make a rename or a new file in ``path`` survive a power cut."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_tree(path: Path) -> None:
    """Flush every file of a folder (not its sub-folders), then the folder itself."""
    for file in path.iterdir():
        if file.is_file():
            with open(file, "rb") as handle:
                os.fsync(handle.fileno())
    fsync_dir(path)


def write_atomic(path: Path, text: str) -> None:
    """Replace ``path`` with ``text``: readers see the old content or the new, whole."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(temporary, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
    fsync_dir(path.parent)


def timestamp() -> str:
    """The time now as the index's files record it: UTC, ISO 8601, to the second."""
    return datetime.now(UTC).isoformat(timespec="seconds")
