"""Programs of the virtualenv run as processes: their environment, their ports, stopping them."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
# Programs of the virtualenv running the tests (CI's .venv or a developer's), not of $PATH.
BIN = Path(sys.executable).parent


def process_env(settings: dict[str, str] | None = None) -> dict[str, str]:
    """This environment without the caller's own SEARCH_* settings, plus ``settings``."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("SEARCH_")}
    return {**env, **(settings or {})}


def stop(process: subprocess.Popen) -> None:
    """Terminate a background process, and kill it if it does not exit in time."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def children(pid: int) -> list[int]:
    """The PIDs of a process's children (a gunicorn master's workers), from /proc."""
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def free_port() -> int:
    """A loopback port free now (the caller binds it soon, before another process may)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
