"""Where each source's sync got to, kept in the index directory beside the builds.

``sources/<name>.json`` holds a summary of the reader's position (the watermark), the time of
the last success and the last error (what /healthz and /metrics read);
``sources/<name>.position.json`` the reader's whole position (for a site, every page's
validators); ``sources/<name>.ids`` lists the ids the source has put in the
index, so a full pass knows which articles are its to remove. Both are replaced atomically
(write, fsync, rename), so a kill at any moment leaves the old or the new file, never half.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..indexing.files import write_atomic

FOLDER = "sources"
POSITION = ".position.json"  # the reader's full position, apart from the small summary


def folder(index_dir: Path) -> Path:
    return Path(index_dir) / FOLDER


def load_state(index_dir: Path, name: str) -> dict[str, Any]:
    """A source's state, its full position included."""
    state = _read(folder(index_dir) / f"{name}.json")
    if state:
        state["position"] = _read(folder(index_dir) / f"{name}{POSITION}") or None
    return state


def save_state(index_dir: Path, name: str, state: dict[str, Any]) -> None:
    """Save the position first, then the summary that names its build: a kill between the
    two leaves a summary older than the position, which only means a re-read."""
    summary = {key: value for key, value in state.items() if key != "position"}
    _replace(
        folder(index_dir) / f"{name}{POSITION}",
        json.dumps(state.get("position") or {}, ensure_ascii=False),
    )
    _replace(folder(index_dir) / f"{name}.json", json.dumps(summary, ensure_ascii=False, indent=1))


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
        if not path.name.endswith(POSITION):
            states[path.stem] = _read(path)
    return states


def _read(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return {}


def _replace(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, text)
