"""Debian's redis-server and nginx (with deploy/nginx.conf) on free loopback ports."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import time
from pathlib import Path

from tests.support.processes import ROOT, free_port, stop
from tests.support.waiting import server_unavailable


def wait_for_port(port: int, process: subprocess.Popen, what: str, log: Path) -> None:
    deadline = time.monotonic() + 15
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            stop(process)
            detail = log.read_text()[-2000:] if log.exists() else ""
            server_unavailable(f"{what} did not start on 127.0.0.1:{port}:\n{detail}")
        time.sleep(0.05)


def start_redis(folder: Path) -> tuple[str, subprocess.Popen]:
    """redis-server on a free loopback port, nothing saved to disk; its URL and process."""
    program = shutil.which("redis-server")
    if program is None:
        server_unavailable("redis-server is not installed (apt-get install redis-server)")
    port = free_port()
    log = folder / "redis.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [
                program,
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
                "--dir",
                str(folder),
            ],
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    wait_for_port(port, process, "redis-server", log)
    return f"redis://127.0.0.1:{port}/0", process


def nginx_config(followers: list[str], leader: str, port: int, folder: Path) -> str:
    """deploy/nginx.conf with this test's addresses, port, user and file paths."""
    text = (ROOT / "deploy" / "nginx.conf").read_text()

    def servers(addresses: list[str]) -> str:
        return "".join(f"\n        server {a} max_fails=2 fail_timeout=10s;" for a in addresses)

    def upstream(name: str, addresses: list[str], text: str) -> str:
        pattern = re.compile(rf"(upstream {name} \{{)(.*?)(\n\s*keepalive)", re.DOTALL)
        assert pattern.search(text), f"deploy/nginx.conf has no upstream {name}"
        return pattern.sub(lambda m: m[1] + servers(addresses) + m[3], text)

    text = upstream("search_followers", followers, text)
    text = upstream("search_leader", [leader], text)
    replacements = {
        "user www-data;": "user root;" if os.getuid() == 0 else "",
        "pid /run/nginx.pid;": f"pid {folder}/nginx.pid;",
        "error_log /var/log/nginx/error.log warn;": f"error_log {folder}/error.log warn;",
        "access_log /var/log/nginx/search-access.log;": f"access_log {folder}/access.log;"
        + "".join(
            f" {kind}_temp_path {folder}/{kind};"
            for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        ),
        "listen 80;": f"listen 127.0.0.1:{port};",
    }
    for old, new in replacements.items():
        assert old in text, f"deploy/nginx.conf has no {old!r}"
        text = text.replace(old, new)
    return text


def start_nginx(followers: list[str], leader: str, folder: Path) -> tuple[str, subprocess.Popen]:
    """Debian's nginx with deploy/nginx.conf in front of the given host:port addresses."""
    program = shutil.which("nginx") or (
        "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None
    )
    if program is None:
        server_unavailable("nginx is not installed (apt-get install nginx)")
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    conf = folder / "nginx.conf"
    conf.write_text(nginx_config(followers, leader, port, folder))
    log = folder / "error.log"
    with (folder / "nginx.out").open("w") as output:
        process = subprocess.Popen(
            [program, "-p", str(folder), "-c", str(conf), "-g", "daemon off;"],
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    wait_for_port(port, process, "nginx", log)
    return f"http://127.0.0.1:{port}", process
