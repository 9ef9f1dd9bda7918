"""A follower's verified copy of the leader's build: fetched or linked, checked, probed, switched.

Files the follower's live build already has are hard-linked (Whoosh never changes a segment
file once written); the others are downloaded into a staging directory that outlives a killed
follower, each resumed with a range request and checked against the manifest's size and
SHA-256. The copy is opened and searched once before the store's atomic switch.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index
from whoosh.query import Term

from ..errors import ReplicationError
from ..indexing.files import fsync_dir
from ..indexing.store import BUILD_INFO, BUILDS, IndexStore
from .client import Leader
from .manifest import FILE_NAME, replica_id, sha256

STAGING = ".incoming"
# A build a follower switched away from stays on disk this long, so a request still reading
# it (Whoosh opens some files lazily) finishes before its files go.
PRUNE_GRACE = 60.0
CHECK_ATTEMPTS = 2  # a file that fails its checksum is fetched once more before giving up


@dataclasses.dataclass
class FollowResult:
    """What one round of following did."""

    changed: bool
    build: str
    generation: int
    documents: int
    fetched_files: int = 0
    fetched_bytes: int = 0
    resumed_bytes: int = 0
    linked_files: int = 0
    refused_files: int = 0
    seconds: float = 0.0


Report = Callable[[str], None]


def copy_build(
    store: IndexStore, leader: Leader, remote: dict[str, Any], report: Report
) -> FollowResult:
    """Make ``remote`` (a leader's manifest) this follower's live build, verified; raises
    :class:`ReplicationError` (the live build untouched) when that cannot be done now."""
    staging = store.root / BUILDS / STAGING
    staging.mkdir(parents=True, exist_ok=True)
    wanted = {entry["name"]: entry for entry in remote["files"]}
    if not wanted or any(not FILE_NAME.match(name) for name in wanted):
        raise ReplicationError("the leader's manifest names no files, or an unsafe file name")
    for path in staging.iterdir():  # left by an earlier copy of another generation
        if path.name.removesuffix(".part") not in wanted:
            path.unlink()
    result = FollowResult(True, replica_id(remote), remote["generation"], remote["documents"])
    local = store.current()
    have = _verified_files(local.info) if local is not None else {}
    for name, entry in wanted.items():
        dest = staging / name
        expected = (entry["size"], entry["sha256"])
        if dest.exists():
            if _matches(dest, expected):
                continue  # verified by an earlier, interrupted run
            dest.unlink()
        if local is not None and have.get(name) == expected and (local.path / name).is_file():
            os.link(local.path / name, dest)
            result.linked_files += 1
            continue
        _download(leader, remote["build"], entry, staging, result, report)
    _probe(staging, remote)
    info = {
        **remote.get("info", {}),
        "build_id": result.build,
        "replica": {
            "leader": leader.url,
            "build": remote["build"],
            "generation": remote["generation"],
            "committed": remote["committed"],
            "files": remote["files"],
            "sources": remote.get("sources"),
        },
    }
    (staging / BUILD_INFO).write_text(json.dumps(info, ensure_ascii=False, indent=2))
    for path in staging.iterdir():
        with open(path, "rb") as handle:
            os.fsync(handle.fileno())
    fsync_dir(staging)
    final = store.root / BUILDS / result.build
    if final.exists():  # a copy of this generation switched away from earlier
        shutil.rmtree(final)
    os.replace(staging, final)
    fsync_dir(final.parent)
    old = store.switch(final)
    if old is not None:
        os.utime(old.path)  # the moment it stopped being live: the prune grace counts from here
    store.prune(grace=PRUNE_GRACE)
    return result


def _download(
    leader: Leader,
    build: str,
    entry: dict[str, Any],
    staging: Path,
    result: FollowResult,
    report: Report,
) -> None:
    name, size, digest = entry["name"], entry["size"], entry["sha256"]
    part = staging / f"{name}.part"
    found = ""
    for _ in range(CHECK_ATTEMPTS):
        have = part.stat().st_size if part.exists() else 0
        if have > size:
            part.unlink()
            have = 0
        if have:
            result.resumed_bytes += have
        if have < size or not part.exists():
            result.fetched_bytes += leader.fetch(build, name, part)
        if _matches(part, (size, digest)):
            os.replace(part, staging / name)
            result.fetched_files += 1
            return
        found = f"{part.stat().st_size} bytes with SHA-256 {sha256(part)}"
        part.unlink()
        result.refused_files += 1
        report(f"refused {name}: expected {size} bytes with SHA-256 {digest}, got {found}")
    raise ReplicationError(
        f"{name} of build {build} failed its check {CHECK_ATTEMPTS} times (expected {size} "
        f"bytes with SHA-256 {digest}, last got {found}); the live build is unchanged"
    )


def _matches(path: Path, expected: tuple[int, str]) -> bool:
    return path.stat().st_size == expected[0] and sha256(path) == expected[1]


def _verified_files(info: dict[str, Any]) -> dict[str, tuple[int, str]]:
    """Files of a build this follower copied and verified, by name."""
    files = info.get("replica", {}).get("files", [])
    return {entry["name"]: (entry["size"], entry["sha256"]) for entry in files}


def _probe(folder: Path, remote: dict[str, Any]) -> None:
    """Open the copy as the web workers will and find one of its documents by id."""
    try:
        ix = whoosh_index.open_dir(str(folder))
        if ix.latest_generation() != remote["generation"]:
            raise ReplicationError(f"the copy opened at generation {ix.latest_generation()}")
        with ix.searcher() as searcher:
            if searcher.doc_count() != remote["documents"]:
                raise ReplicationError(
                    f"the copy has {searcher.doc_count()} documents, the leader's build "
                    f"{remote['documents']}"
                )
            docnum = next(iter(searcher.reader().all_doc_ids()), None)
            if docnum is not None:
                article_id = searcher.stored_fields(docnum)["id"]
                if len(searcher.search(Term("id", article_id), limit=1)) != 1:
                    raise ReplicationError(f"the probe search for {article_id!r} found nothing")
    except ReplicationError as exc:
        raise ReplicationError(f"the copied build failed its probe: {exc}") from None
    except Exception as exc:  # any failure to open or read the copy
        raise ReplicationError(f"the copied build cannot be opened: {exc!r}") from exc
