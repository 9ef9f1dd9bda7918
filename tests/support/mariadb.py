"""A throwaway MariaDB (Debian's ``mariadb-server``) for the database source tests: a temporary
data directory, 127.0.0.1 and a Unix socket only, a password-protected user, stopped by PID."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

from tests.support.processes import free_port

MARIADB_BIN = Path(os.environ.get("SEARCH_MARIADB_BIN", "/usr/sbin/mariadbd"))
INSTALL_DB = MARIADB_BIN.parent.parent / "bin" / "mariadb-install-db"
MARIADB_USER = "search"
MARIADB_PASSWORD = "cms-Pa55word-never-shown"
# Baku's offset, not UTC: a reader that took the session's NOW() for UTC would be four hours
# ahead of every *_gmt column, which the tests would notice.
SERVER_TIME_ZONE = "+04:00"


class MariaDB:
    """A MariaDB server in a temporary directory. Tests connect as a user with a password over
    TCP (as a CMS's sync would), the harness as root over the socket."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.data = folder / "data"
        self.socket = folder / "mariadb.sock"
        self.log = folder / "mariadb.log"
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        self._databases = iter(range(1, 10_000))

    def init(self) -> None:
        subprocess.run(
            [
                str(INSTALL_DB), "--no-defaults", f"--datadir={self.data}",
                "--auth-root-authentication-method=normal", "--skip-test-db",
                *(["--user=root"] if os.geteuid() == 0 else []),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )  # fmt: skip

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                str(MARIADB_BIN), "--no-defaults", f"--datadir={self.data}",
                f"--socket={self.socket}", f"--port={self.port}", "--bind-address=127.0.0.1",
                f"--log-error={self.log}", f"--pid-file={self.folder / 'mariadb.pid'}",
                f"--default-time-zone={SERVER_TIME_ZONE}",
                "--innodb-flush-log-at-trx-commit=0", "--skip-log-bin",
                *(["--user=root"] if os.geteuid() == 0 else []),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while True:
            try:
                with self.connect() as conn, conn.cursor() as cursor:
                    cursor.execute(
                        f"CREATE USER IF NOT EXISTS '{MARIADB_USER}'@'127.0.0.1' "
                        f"IDENTIFIED BY '{MARIADB_PASSWORD}'"
                    )
                    cursor.execute(f"GRANT ALL ON *.* TO '{MARIADB_USER}'@'127.0.0.1'")
                return
            except Exception:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise subprocess.SubprocessError(
                        "mariadbd did not start: "
                        + (self.log.read_text()[-800:] if self.log.exists() else "no log")
                    ) from None
                time.sleep(0.1)

    def stop(self) -> None:
        """Shut down by PID (SIGTERM, as an operator would), waiting until it is gone."""
        if self.process is None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None

    def url(self, database: str, password: str = MARIADB_PASSWORD) -> str:
        """As a newsroom writes it: no options (PyMySQL talks utf8mb4 by default)."""
        return f"mysql+pymysql://{MARIADB_USER}:{password}@127.0.0.1:{self.port}/{database}"

    def connect(self, database: str | None = None, **options: Any):
        """root over the socket, autocommit, as the tests set a database up."""
        import pymysql

        return pymysql.connect(
            unix_socket=str(self.socket),
            user="root",
            database=database,
            autocommit=True,
            charset="utf8mb4",
            **options,
        )

    def new_database(self) -> str:
        name = f"cms{next(self._databases)}"
        with self.connect() as conn, conn.cursor() as cursor:
            cursor.execute(f"CREATE DATABASE {name} CHARACTER SET utf8mb4")
        return name
