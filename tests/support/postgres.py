"""A throwaway PostgreSQL 15 cluster (Debian's package) for the database source tests and
bench/sync.py: a temporary directory, 127.0.0.1 and a Unix socket only, stopped by PID."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from tests.support.processes import free_port

POSTGRES_BIN = Path(os.environ.get("SEARCH_POSTGRES_BIN", "/usr/lib/postgresql/15/bin"))
POSTGRES_PASSWORD = "cms-Pa55word-never-shown"


class Postgres:
    """A PostgreSQL cluster in a temporary directory, run as the ``postgres`` system user when
    the tests run as root (PostgreSQL refuses root), listening on 127.0.0.1 and a Unix socket
    in that directory only. Tests may stop and start it; it is stopped by its PID."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.data = folder / "data"
        self.log = folder / "postgres.log"
        self.port = free_port()
        self.pid: int | None = None
        self._databases = iter(range(1, 10_000))

    def _as_owner(self, *command: str) -> list[str]:
        if os.geteuid() == 0:
            return ["runuser", "-u", "postgres", "--", *command]
        return list(command)

    def init(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres", "postgres")
        self.folder.chmod(0o700)
        password_file = self.folder / "pw"
        password_file.write_text(POSTGRES_PASSWORD + "\n")
        if os.geteuid() == 0:
            shutil.chown(password_file, "postgres", "postgres")
        subprocess.run(
            self._as_owner(
                str(POSTGRES_BIN / "initdb"),
                "-D", str(self.data),
                "-U", "postgres",
                "--pwfile", str(password_file),
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
                "-E", "UTF8",
                "--locale=C",
                "--no-sync",
            ),
            check=True,
            capture_output=True,
            timeout=120,
        )  # fmt: skip

    def start(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.folder} "
            "-c fsync=off -c full_page_writes=off"
        )
        subprocess.run(
            self._as_owner(
                str(POSTGRES_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.log),
                "-o", options, "-w", "-t", "60", "start",
            ),
            check=True,
            capture_output=True,
            timeout=90,
        )  # fmt: skip
        self.pid = int((self.data / "postmaster.pid").read_text().split()[0])

    def stop(self, how: signal.Signals = signal.SIGINT) -> None:
        """Shut down by PID (SIGINT: fast, as an operator would; SIGQUIT: immediate), waiting
        until the postmaster is gone."""
        if self.pid is None:
            return
        try:
            os.kill(self.pid, how)
        except ProcessLookupError:
            self.pid = None
            return
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                os.kill(self.pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.05)
        else:
            os.kill(self.pid, signal.SIGKILL)
        self.pid = None

    def url(self, database: str = "postgres", password: str = POSTGRES_PASSWORD) -> str:
        return f"postgresql+psycopg://postgres:{password}@127.0.0.1:{self.port}/{database}"

    def connect(self, database: str = "postgres", **options: Any):
        import psycopg

        return psycopg.connect(
            host=str(self.folder), port=self.port, user="postgres", dbname=database, **options
        )

    def new_database(self) -> str:
        name = f"cms{next(self._databases)}"
        with self.connect(autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        return name


def start_cluster() -> Postgres:
    """A new cluster, initialised and started; the caller stops it and removes its folder."""
    server = Postgres(Path(tempfile.mkdtemp(prefix="search-pg-")))
    server.init()
    server.start()
    return server
