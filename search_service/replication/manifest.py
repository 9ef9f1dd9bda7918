"""The leader's manifest of its live build: every file of the live generation, with its checksum.

Read by followers (:mod:`.follow`) to know what to copy; the files it names are served as they
are (:func:`file_path`).
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index
from whoosh.index import TOC

from ..errors import IndexUnavailable
from ..indexing.store import BUILDS, IndexStore
from ..searching import rules

FORMAT = 1
FILE_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,200}$")

_digests: dict[tuple[str, int, int, int], str] = {}


def manifest(store: IndexStore, sources: dict[str, Any] | None = None) -> dict[str, Any]:
    """The live build's manifest; a commit racing with it just means reading it again.
    ``sources`` (the sources' sync states, if any) travel with it, for the followers' health."""
    for _ in range(5):
        try:
            return _manifest(store, sources)
        except FileNotFoundError:
            continue  # a commit removed the generation being described; describe the new one
    raise IndexUnavailable("the live build changed too fast to describe; try again")


def _manifest(store: IndexStore, sources: dict[str, Any] | None) -> dict[str, Any]:
    build = store.current()
    if build is None:
        raise IndexUnavailable(f"no index has been built in {store.root} yet")
    ix = whoosh_index.open_dir(str(build.path))
    toc = TOC.read(ix.storage, ix.indexname)
    toc_name = f"_{ix.indexname}_{toc.generation}.toc"
    segments = sorted(name for seg in toc.segments for name in seg.list_files(ix.storage))
    names = [toc_name, *segments]
    files = [_describe(build.path / name) for name in names]
    committed = (build.path / toc_name).stat().st_mtime
    return {
        "format": FORMAT,
        "build": build.id,
        "generation": toc.generation,
        "schema_version": build.info.get("schema_version"),
        "documents": sum(segment.doc_count() for segment in toc.segments),
        "committed": committed,
        "info": build.info,
        "files": files,
        "bytes": sum(entry["size"] for entry in files),
        "sources": sources,
        "rules": rules.records(store.root),  # the service's, not the build's: see follow.py
    }


def _describe(path: Path) -> dict[str, Any]:
    """Name, size and SHA-256 of one file; hashed once per process (files never change)."""
    stat = path.stat()
    key = (str(path), stat.st_ino, stat.st_size, stat.st_mtime_ns)
    digest = _digests.get(key)
    if digest is None:
        if len(_digests) > 100_000:
            _digests.clear()
        digest = _digests[key] = sha256(path)
    return {"name": path.name, "size": stat.st_size, "sha256": digest}


def file_path(store: IndexStore, build_id: str, name: str) -> Path | None:
    """The file a follower asked for, if it is one of a complete build's files."""
    if not FILE_NAME.match(build_id) or not FILE_NAME.match(name) or name.endswith(".lock"):
        return None
    path = store.root / BUILDS / build_id / name
    return path if path.is_file() else None


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def replica_id(remote: dict[str, Any]) -> str:
    """A follower's name for a copy of the leader's build at one generation (sorts by time)."""
    return f"{remote['build']}.g{int(remote['generation']):06d}"
