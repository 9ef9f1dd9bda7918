"""Where each source's sync got to, kept in the index directory beside the builds.

``sources/<name>.json`` holds the reader's position (the watermark), the time of the last
success and the last error; ``sources/<name>.ids`` lists the ids the source has put in the
index, so a full pass knows which articles are its to remove. Both are replaced atomically
(write, fsync, rename), so a kill at any moment leaves the old or the new file, never half.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from ..indexing.store import fsync_dir

FOLDER = "sources"


def folder(index_dir: Path) -> Path:
    return Path(index_dir) / FOLDER


def load_state(index_dir: Path, name: str) -> dict[str, Any]:
    try:
        return json.loads((folder(index_dir) / f"{name}.json").read_text("utf-8"))
    except FileNotFoundError:
        return {}


def save_state(index_dir: Path, name: str, state: dict[str, Any]) -> None:
    _replace(folder(index_dir) / f"{name}.json", json.dumps(state, ensure_ascii=False, indent=1))


def load_ids(index_dir: Path, name: str) -> set[str]:
    try:
        text = (folder(index_dir) / f"{name}.ids").read_text("utf-8")
    except FileNotFoundError:
        return set()
    return {line for line in text.split("\n") if line}


def save_ids(index_dir: Path, name: str, ids: set[str]) -> None:
    _replace(folder(index_dir) / f"{name}.ids", "".join(f"{i}\n" for i in sorted(ids)))


def all_states(index_dir: Path) -> dict[str, dict[str, Any]]:
    """Every source's state, for /healthz and /metrics."""
    found = folder(index_dir)
    if not found.is_dir():
        return {}
    states = {}
    for path in sorted(found.glob("*.json")):
        try:
            states[path.stem] = json.loads(path.read_text("utf-8"))
        except (OSError, ValueError):
            continue
    return states


def _replace(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    with open(temporary, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
    fsync_dir(path.parent)
