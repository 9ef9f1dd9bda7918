"""The Procfile's web process (gunicorn) started over an index on a free port."""

from __future__ import annotations

import shlex
import subprocess
import urllib.request
from pathlib import Path

import pytest

from tests.support.processes import BIN, ROOT, free_port, process_env, stop
from tests.support.waiting import wait_for


def procfile_web_command() -> list[str]:
    """The Procfile's ``web:`` command line, split as a shell would."""
    line = next(
        line for line in (ROOT / "Procfile").read_text().splitlines() if line.startswith("web:")
    )
    return shlex.split(line.removeprefix("web:"))


def start_gunicorn(
    index_dir: Path, log_path: Path, port: int | None = None, **env: str
) -> tuple[str, subprocess.Popen]:
    """Start the Procfile's web process (2 workers) over ``index_dir`` on a free port (or
    ``port``) and return its base URL once ``/healthz`` answers 200. The caller stops it
    (:func:`stop`)."""
    port = port or free_port()
    program, *args = procfile_web_command()
    settings_env = {"PORT": str(port), "WEB_CONCURRENCY": "2", "SEARCH_INDEX_DIR": str(index_dir)}
    with log_path.open("a") as log:
        process = subprocess.Popen(
            [str(BIN / program), *args],
            cwd=ROOT,
            env=process_env({**settings_env, **env}),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"

    def healthy() -> bool:
        if process.poll() is not None:
            pytest.fail(f"gunicorn exited:\n{log_path.read_text()}")
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2) as response:
                return response.status == 200
        except OSError:
            return False

    try:
        wait_for(healthy, 30, lambda: f"gunicorn healthy:\n{log_path.read_text()}", interval=0.1)
    except BaseException:
        stop(process)
        raise
    return base, process
