"""What a follower last saw of its leader (``follow.json``), and its replication health."""

from __future__ import annotations

import dataclasses
import json
import time
from pathlib import Path
from typing import Any

from ..indexing.files import write_atomic
from .copying import FollowResult

STATE_FILE = "follow.json"


def write_state(
    root: Path,
    leader: str,
    remote: dict[str, Any] | None,
    *,
    in_sync_at: float | None = None,
    error: str | None = None,
    copied: FollowResult | None = None,
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
    write_atomic(root / STATE_FILE, json.dumps(state))


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
