"""One round of following: read the leader's manifest, take its editors' rules when they differ,
and copy its build when it is newer."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from ..errors import InvalidRule, ReplicationError
from ..indexing.schema import SCHEMA_VERSION
from ..indexing.store import IndexStore
from ..searching import rules
from .client import FileGone, Leader
from .copying import FollowResult, Report, copy_build
from .health import write_state
from .manifest import replica_id

MANIFEST_ATTEMPTS = 5  # manifests read in one round when the leader commits during the copy


def follow_once(
    store: IndexStore, leader: Leader, report: Report = lambda message: None
) -> FollowResult:
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
            return FollowResult(False, local.id, remote["generation"], remote["documents"])
        try:
            with store.writing("follow"):
                result = copy_build(store, leader, remote, report)
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
