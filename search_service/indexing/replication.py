"""Leader/follower replication of builds: the leader's manifest, and a follower's copy of it.

A leader describes its live build in a manifest: build id, Whoosh generation, schema version,
document count, and every file of that generation (the table of contents and the segments it
names) with its size and SHA-256. A follower fetches the files it lacks into a staging
directory, hard-links the ones its own live build already has (Whoosh never changes a segment
file once written: a commit adds segments and a new table of contents, and keeps deletions in
the table of contents), verifies every size and checksum, opens the copy and runs a probe
search, and only then switches ``current`` with the store's atomic switch. The staging
directory outlives a killed follower; the next run keeps what was verified and resumes each
partial download with an HTTP range request.

Layout added to a follower's index directory::

    builds/.incoming/            the copy in progress (files, and ``<name>.part`` downloads)
    follow.json                  the follower's last check: leader, lag, last error
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests
from whoosh import index as whoosh_index
from whoosh.index import TOC
from whoosh.query import Term

from ..errors import IndexUnavailable, InvalidRule, ReplicationError
from ..searching import rules
from ..sources.watermarks import all_states
from .files import fsync_dir
from .schema import SCHEMA_VERSION
from .store import BUILD_INFO, BUILDS, IndexStore

FORMAT = 1
STAGING = ".incoming"
STATE_FILE = "follow.json"
# A build a follower switched away from stays on disk this long, so a request still reading
# it (Whoosh opens some files lazily) finishes before its files go.
PRUNE_GRACE = 60.0
CHUNK = 1 << 16
FILE_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,200}$")
CHECK_ATTEMPTS = 2  # a file that fails its checksum is fetched once more before giving up
MANIFEST_ATTEMPTS = 5  # manifests read in one round when the leader commits during the copy

# Leader side ---------------------------------------------------------------------------------

_digests: dict[tuple[str, int, int, int], str] = {}


def manifest(store: IndexStore) -> dict[str, Any]:
    """The live build's manifest; a commit racing with it just means reading it again."""
    for _ in range(5):
        try:
            return _manifest(store)
        except FileNotFoundError:
            continue  # a commit removed the generation being described; describe the new one
    raise IndexUnavailable("the live build changed too fast to describe; try again")


def _manifest(store: IndexStore) -> dict[str, Any]:
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
        "sources": all_states(store.root) or None,
        "rules": rules.records(store.root),
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


# Follower side -------------------------------------------------------------------------------


class Leader:
    """HTTP client of a leader's replication endpoints.

    ``requests`` rather than ``urllib``: a pooled keep-alive session (one connection for the
    manifest and every file), streamed bodies and precise exception classes.
    """

    def __init__(
        self, url: str, token: str, *, timeout: float = 10.0, rate: int | None = None
    ) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout
        self.rate = rate  # bytes per second, or None for as fast as the network goes
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"

    def manifest(self) -> dict[str, Any]:
        response = self._get("/replication/manifest")
        try:
            found = response.json()
        except ValueError as exc:
            raise ReplicationError(f"the leader's manifest is not JSON: {exc}") from None
        if not isinstance(found, dict) or found.get("format") != FORMAT:
            raise ReplicationError("the leader's manifest has an unknown format")
        return found

    def fetch(self, build: str, name: str, part: Path) -> int:
        """Append the rest of ``name`` to ``part`` (a range request from its current size);
        returns the bytes received."""
        offset = part.stat().st_size if part.exists() else 0
        headers = {"Range": f"bytes={offset}-"} if offset else {}
        response = self._get(f"/replication/builds/{build}/files/{name}", headers, stream=True)
        with response:
            if response.status_code == 200 and offset:
                offset = 0  # the range was not honoured: start over
            received = 0
            started = time.monotonic()
            with open(part, "r+b" if offset else "wb") as handle:
                handle.seek(offset)
                handle.truncate()
                try:
                    for chunk in response.iter_content(CHUNK):
                        handle.write(chunk)
                        received += len(chunk)
                        if self.rate:
                            ahead = received / self.rate - (time.monotonic() - started)
                            if ahead > 0:
                                handle.flush()
                                time.sleep(ahead)
                except requests.RequestException as exc:
                    raise ReplicationError(
                        f"the transfer of {name} broke after {received} bytes: {exc}"
                    ) from exc
                handle.flush()
                os.fsync(handle.fileno())
        return received

    def _get(
        self, path: str, headers: dict[str, str] | None = None, *, stream: bool = False
    ) -> requests.Response:
        try:
            response = self.session.get(
                self.url + path, headers=headers, timeout=self.timeout, stream=stream
            )
        except requests.RequestException as exc:
            raise ReplicationError(f"the leader {self.url} is unreachable: {exc}") from exc
        if response.status_code in (200, 206):
            return response
        response.close()
        if response.status_code == 404 and path.startswith("/replication/builds/"):
            raise FileGone(f"{path.rsplit('/', 1)[-1]} is no longer on the leader")
        reasons = {
            401: "refused the replication token (SEARCH_REPLICATION_TOKEN differs)",
            404: "has no such replication resource (is SEARCH_REPLICATION_TOKEN set there? "
            "or the build moved on)",
            416: "refused the byte range",
            503: "has no live build yet",
        }
        reason = reasons.get(response.status_code, f"answered {response.status_code}")
        raise ReplicationError(f"the leader {self.url} {reason}: GET {path}")


class FileGone(ReplicationError):
    """A file of the manifest was removed on the leader by a newer commit."""


@dataclasses.dataclass
class SyncResult:
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


def replica_id(remote: dict[str, Any]) -> str:
    """A follower's name for a copy of the leader's build at one generation (sorts by time)."""
    return f"{remote['build']}.g{int(remote['generation']):06d}"


def sync(store: IndexStore, leader: Leader, report: Report = lambda message: None) -> SyncResult:
    """Make the follower's live build a verified copy of the leader's; raises
    :class:`ReplicationError` (the live build untouched) when that cannot be done now."""
    started = time.monotonic()
    for attempt in range(1, MANIFEST_ATTEMPTS + 1):
        asked_at = time.time()
        remote = leader.manifest()
        _copy_rules(store.root, remote, report)
        if remote.get("schema_version") != SCHEMA_VERSION:
            raise ReplicationError(
                f"the leader's build has schema version {remote.get('schema_version')}, this "
                f"follower needs {SCHEMA_VERSION}: run the same version of the service on both"
            )
        local = store.current()
        if local is not None and local.id == replica_id(remote):
            write_state(store.root, leader.url, remote, in_sync_at=asked_at)
            return SyncResult(False, local.id, remote["generation"], remote["documents"])
        try:
            with store.writing("follow"):
                result = _copy(store, leader, remote, report)
            break
        except FileGone as exc:
            # The leader committed again and cleaned up the generation being copied; what
            # was verified stays in the staging directory for the newer one.
            if attempt == MANIFEST_ATTEMPTS:
                raise ReplicationError(
                    f"the leader's build changed {attempt} times during the copy ({exc}); "
                    "the live build is unchanged, the next round continues"
                ) from exc
            report(f"the leader moved on during the copy ({exc}); reading its manifest again")
    result.seconds = time.monotonic() - started
    write_state(store.root, leader.url, remote, in_sync_at=asked_at, copied=result)
    return result


def _copy_rules(root: Path, remote: dict[str, Any], report: Report) -> None:
    """The editors' rules belong to the service, not to a build: a follower takes its
    leader's whenever they differ, whether or not the build changed."""
    if "rules" not in remote:  # a leader of a version without rules
        return
    try:
        if rules.replace(root, remote["rules"]):
            report(f"copied the leader's {len(remote['rules'])} editor's rule(s)")
    except (InvalidRule, TypeError, AttributeError) as exc:
        raise ReplicationError(f"the leader's editors' rules cannot be used: {exc}") from exc


def _copy(store: IndexStore, leader: Leader, remote: dict[str, Any], report: Report) -> SyncResult:
    staging = store.root / BUILDS / STAGING
    staging.mkdir(parents=True, exist_ok=True)
    wanted = {entry["name"]: entry for entry in remote["files"]}
    if not wanted or any(not FILE_NAME.match(name) for name in wanted):
        raise ReplicationError("the leader's manifest names no files, or an unsafe file name")
    for path in staging.iterdir():  # left by an earlier copy of another generation
        if path.name.removesuffix(".part") not in wanted:
            path.unlink()
    result = SyncResult(True, replica_id(remote), remote["generation"], remote["documents"])
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
    result: SyncResult,
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


# What the follower last saw, for /healthz ----------------------------------------------------


def write_state(
    root: Path,
    leader: str,
    remote: dict[str, Any] | None,
    *,
    in_sync_at: float | None = None,
    error: str | None = None,
    copied: SyncResult | None = None,
) -> None:
    """Record a round: when this follower last had the leader's newest build, or the error."""
    state = read_state(root) or {}
    state.update(leader=leader, checked_at=time.time(), error=error)
    if remote is not None:
        state.update(
            leader_build=remote["build"],
            leader_generation=remote["generation"],
            leader_committed=remote["committed"],
        )
    if in_sync_at is not None:
        state["in_sync_at"] = in_sync_at
    if copied is not None:
        state["last_copy"] = dataclasses.asdict(copied)
    root.mkdir(parents=True, exist_ok=True)
    temporary = root / f".{STATE_FILE}.{os.getpid()}.tmp"
    temporary.write_text(json.dumps(state))
    os.replace(temporary, root / STATE_FILE)


def read_state(root: Path) -> dict[str, Any] | None:
    try:
        found = json.loads((root / STATE_FILE).read_text())
    except (OSError, ValueError):
        return None
    return found if isinstance(found, dict) else None


def leader_of(root: Path, leader_url: str) -> str:
    """The leader this instance follows (``SEARCH_LEADER_URL``, else the one ``follow`` last
    copied from), or "" when it is not a follower."""
    return leader_url or (read_state(root) or {}).get("leader") or ""


def health(root: Path, leader_url: str, now: float | None = None) -> dict[str, Any] | None:
    """A follower's replication health (None on a leader or a standalone instance):
    seconds behind is the time since it last held the leader's newest build."""
    state = read_state(root)
    if state is None and not leader_url:
        return None
    state = state or {}
    now = time.time() if now is None else now
    in_sync_at = state.get("in_sync_at")
    return {
        "leader": state.get("leader") or leader_url,
        "leader_reachable": bool(state.get("checked_at")) and not state.get("error"),
        "leader_build": state.get("leader_build"),
        "leader_generation": state.get("leader_generation"),
        "seconds_behind": None if in_sync_at is None else round(max(now - in_sync_at, 0.0), 1),
        "checked_seconds_ago": (
            None if not state.get("checked_at") else round(max(now - state["checked_at"], 0), 1)
        ),
        "error": state.get("error"),
    }
