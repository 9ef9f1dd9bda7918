"""Leader/follower replication: the leader's endpoints, and followers that copy, verify,
resume and only then switch. The drill through nginx is in test_cluster.py."""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import re
import signal
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from search_service import config as settings
from search_service import create_app
from search_service.indexing import writer
from search_service.indexing.store import IndexStore
from search_service.replication import health
from search_service.replication import manifest as manifests
from search_service.replication.copying import STAGING
from search_service.sources.watermarks import save_state
from tests.support.corpus import write_jsonl
from tests.support.processes import BIN, process_env

TOKEN = "replication-token-1234"
ADMIN = "admin-token-5678"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def article(n: int, word: str = "harbour") -> dict[str, str]:
    return {
        "id": f"r-{n}",
        "lang": "en",
        "title": f"The {word} report number {n}",
        "body": f"A {word} story, the {n}th of its kind, about ships and cranes and tides. " * 20,
    }


@pytest.fixture
def leader_index(make_index) -> Path:
    return make_index([article(n) for n in range(40)])


@pytest.fixture
def leader_app(leader_index):
    return create_app({"index_dir": leader_index, "replication_token": TOKEN})


# The leader's endpoints ------------------------------------------------------------------


def test_replication_endpoints_answer_404_when_no_token_is_set(leader_index):
    client = create_app({"index_dir": leader_index}).test_client()
    build = IndexStore(leader_index).current()
    for path in ("/replication/manifest", f"/replication/builds/{build.id}/files/build.json"):
        response = client.get(path, headers=AUTH)
        assert response.status_code == 404
        assert response.get_json()["error"] == "not_found"


def test_a_wrong_or_missing_replication_token_gets_401_and_nothing(leader_app, leader_index):
    client = leader_app.test_client()
    name = next(p.name for p in IndexStore(leader_index).current().path.glob("*.toc"))
    build = IndexStore(leader_index).current().id
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {TOKEN}"}):
        for path in ("/replication/manifest", f"/replication/builds/{build}/files/{name}"):
            response = client.get(path, headers=headers)
            assert response.status_code == 401
            assert response.get_json()["error"] == "unauthorized"
            assert "files" not in response.get_data(as_text=True)


def test_the_manifest_lists_each_file_of_the_live_generation_with_size_and_sha256(
    leader_app, leader_index
):
    save_state(leader_index, "cms", {"kind": "database", "watermark": {"updated": "x"}})
    response = leader_app.test_client().get("/replication/manifest", headers=AUTH)
    assert response.status_code == 200
    found = response.get_json()
    build = IndexStore(leader_index).current()
    assert found["build"] == build.id and found["documents"] == 40
    assert found["generation"] == 1 and found["schema_version"] == build.info["schema_version"]
    assert found["sources"] == {"cms": {"kind": "database", "watermark": {"updated": "x"}}}
    whoosh_files = {p.name for p in build.path.iterdir() if p.name.startswith(("MAIN_", "_MAIN"))}
    whoosh_files.discard("MAIN_WRITELOCK")
    assert {entry["name"] for entry in found["files"]} == whoosh_files
    for entry in found["files"]:
        data = (build.path / entry["name"]).read_bytes()
        assert entry["size"] == len(data)
        assert entry["sha256"] == hashlib.sha256(data).hexdigest()


def test_files_are_served_with_range_requests(leader_app, leader_index):
    build = IndexStore(leader_index).current()
    path = max(build.path.glob("MAIN_*"), key=lambda p: p.stat().st_size)
    data = path.read_bytes()
    url = f"/replication/builds/{build.id}/files/{path.name}"
    client = leader_app.test_client()
    whole = client.get(url, headers=AUTH)
    assert whole.status_code == 200 and whole.get_data() == data
    rest = client.get(url, headers={**AUTH, "Range": "bytes=100-"})
    assert rest.status_code == 206 and rest.get_data() == data[100:]
    assert rest.headers["Content-Range"] == f"bytes 100-{len(data) - 1}/{len(data)}"


def test_only_files_of_complete_builds_are_served(leader_app, leader_index):
    build = IndexStore(leader_index).current()
    (leader_index / "builds" / ".partial-x").mkdir()
    (leader_index / "builds" / ".partial-x" / "_MAIN_1.toc").write_text("half")
    client = leader_app.test_client()
    for build_id, name in (
        (build.id, "..%2F..%2Fwrite.lock"),
        (build.id, "MAIN_WRITELOCK.lock"),
        (".partial-x", "_MAIN_1.toc"),
        ("..", "current"),
        (build.id, "nothing-here"),
    ):
        response = client.get(f"/replication/builds/{build_id}/files/{name}", headers=AUTH)
        assert response.status_code == 404, (build_id, name)


# Followers ---------------------------------------------------------------------------------


@pytest.fixture
def leader(leader_index, gunicorn_server):
    base, _ = gunicorn_server(
        leader_index, SEARCH_REPLICATION_TOKEN=TOKEN, SEARCH_ADMIN_TOKEN=ADMIN
    )
    return base


def follow(index_dir: Path, url: str, *args: str, token: str = TOKEN, **popen):
    """Run ``search-service follow`` to completion (or start it, with ``popen=True``)."""
    command = [str(BIN / "search-service"), "follow", url, "--index-dir", str(index_dir), *args]
    env = process_env({"SEARCH_REPLICATION_TOKEN": token})
    if popen.pop("popen", False):
        return subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True, **popen)
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)


def files_of(index_dir: Path) -> dict[str, bytes]:
    build = IndexStore(index_dir).current()
    return {p.name: p.read_bytes() for p in build.path.iterdir() if p.name != "build.json"}


def leader_files(index_dir: Path) -> dict[str, bytes]:
    manifest = manifests.manifest(IndexStore(index_dir))
    build = IndexStore(index_dir).current()
    return {e["name"]: (build.path / e["name"]).read_bytes() for e in manifest["files"]}


@pytest.mark.slow
def test_a_follower_copies_the_build_then_only_what_an_update_changed(
    leader, leader_index, tmp_path, cli
):
    replica = tmp_path / "follower"
    first = follow(replica, leader)
    assert first.returncode == 0, first.stderr
    assert "Switched to build" in first.stdout and "linked 0" in first.stdout
    assert files_of(replica) == leader_files(leader_index)
    assert follow(replica, leader).stdout.startswith("Up to date")

    before = IndexStore(replica).current()
    update = write_jsonl(tmp_path / "one.jsonl", [article(999, word="lighthouse")])
    assert cli("add", update, "--index-dir", leader_index).returncode == 0
    second = follow(replica, leader)
    assert second.returncode == 0, second.stderr
    after = IndexStore(replica).current()
    assert after.id != before.id and files_of(replica) == leader_files(leader_index)
    # One article costs its new segment and the table of contents, not the archive: the
    # unchanged segment files are the very same files (hard links), not copies.
    shared = [name for name in files_of(replica) if (before.path / name).exists()]
    assert shared, "no file was reused"
    assert all(os.path.samefile(before.path / name, after.path / name) for name in shared)
    fetched = int(
        re.search(r"fetched \d+ file\(s\), ([\d,]+) bytes", second.stdout)[1].replace(",", "")
    )
    total = sum(len(data) for data in files_of(replica).values())
    assert fetched < total / 3, second.stdout
    searched = cli("search", "lighthouse", "--index-dir", replica, "--json")
    assert json.loads(searched.stdout)["total"] == 1


@pytest.mark.slow
def test_a_follower_killed_mid_transfer_keeps_its_build_and_resumes(
    leader, leader_index, tmp_path, cli
):
    replica = tmp_path / "follower"
    assert follow(replica, leader).returncode == 0
    serving = IndexStore(replica).current()
    more = write_jsonl(tmp_path / "more.jsonl", [article(n, word="quay") for n in range(100, 400)])
    assert cli("add", more, "--index-dir", leader_index).returncode == 0

    slow = follow(replica, leader, "--limit-rate", "40000", popen=True)
    staging = replica / "builds" / STAGING
    deadline = time.monotonic() + 30
    while not any(p.stat().st_size > 0 for p in staging.glob("*.part")):
        assert time.monotonic() < deadline and slow.poll() is None, "no transfer started"
        time.sleep(0.05)
    os.kill(slow.pid, signal.SIGKILL)
    slow.wait()

    assert IndexStore(replica).current() == serving  # the old build is still the live one
    assert json.loads(cli("search", "quay", "--index-dir", replica, "--json").stdout)["total"] == 0
    partial = sum(p.stat().st_size for p in staging.glob("*.part"))
    assert partial > 0

    resumed = follow(replica, leader)
    assert resumed.returncode == 0, resumed.stderr
    assert "resuming" in resumed.stdout, resumed.stdout
    assert files_of(replica) == leader_files(leader_index)
    assert json.loads(cli("search", "quay", "--index-dir", replica, "--json").stdout)["total"] > 0


class TamperingProxy:
    """An HTTP proxy in front of the leader that flips one byte of the first ``tamper`` file
    downloads (the leader's side of the transfer going wrong)."""

    def __init__(self, upstream: str, tamper: int) -> None:
        self.tamper = tamper
        self.tampered: list[str] = []
        target = urlsplit(upstream)
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                connection = http.client.HTTPConnection(target.hostname, target.port, timeout=10)
                headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
                connection.request("GET", self.path, headers=headers)
                response = connection.getresponse()
                body = bytearray(response.read())
                if "/files/" in self.path and body and len(proxy.tampered) < proxy.tamper:
                    body[len(body) // 2] ^= 0xFF
                    proxy.tampered.append(self.path.rsplit("/", 1)[-1])
                self.send_response(response.status)
                for name, value in response.getheaders():
                    if name.lower() not in ("connection", "transfer-encoding"):
                        self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.mark.slow
def test_a_tampered_file_is_refused_by_checksum_and_fetched_again(leader, leader_index, tmp_path):
    replica = tmp_path / "follower"
    proxy = TamperingProxy(leader, tamper=1)
    try:
        result = follow(replica, proxy.url)
    finally:
        proxy.close()
    assert result.returncode == 0, result.stderr
    (name,) = proxy.tampered
    assert f"refused {name}" in result.stderr and "SHA-256" in result.stderr
    assert "1 refused by checksum" in result.stdout
    assert files_of(replica) == leader_files(leader_index)


@pytest.mark.slow
def test_a_follower_never_switches_to_a_file_that_keeps_failing_its_checksum(
    leader, leader_index, tmp_path
):
    replica = tmp_path / "follower"
    assert follow(replica, leader).returncode == 0
    serving = IndexStore(replica).current()
    writer.delete(IndexStore(leader_index), ["r-1"], settings.load({}, index_dir=leader_index))
    proxy = TamperingProxy(leader, tamper=1000)
    try:
        result = follow(replica, proxy.url)
    finally:
        proxy.close()
    assert result.returncode == 1
    assert (
        "failed its check 2 times" in result.stderr and "live build is unchanged" in result.stderr
    )
    assert IndexStore(replica).current() == serving
    assert not (replica / "builds" / STAGING / "build.json").exists()


def test_a_follower_refuses_admin_writes_naming_its_leader(sample_index):
    leader_url = "http://search-leader.internal:8000"
    app = create_app({"index_dir": sample_index, "admin_token": ADMIN, "leader_url": leader_url})
    client = app.test_client()
    auth = {"Authorization": f"Bearer {ADMIN}"}
    for response in (
        client.put("/admin/articles/x", json={"title": "t", "lang": "en"}, headers=auth),
        client.post("/admin/articles", json=[{"id": "x", "title": "t"}], headers=auth),
        client.delete("/admin/articles/en-001", headers=auth),
        client.post("/admin/reindex", headers=auth),
    ):
        assert response.status_code == 409
        body = response.get_json()
        assert body["error"] == "follower_read_only" and leader_url in body["message"]
    assert client.put("/admin/articles/x", json={}).status_code == 401  # no token: no hint


def test_follower_health_reports_its_lag_and_503_past_the_maximum(sample_index):
    now = time.time()
    health.write_state(
        sample_index,
        "http://leader:8000",
        {"build": "b1", "generation": 7, "committed": now - 50},
        in_sync_at=now - 40,
    )
    try:
        relaxed = create_app({"index_dir": sample_index}).test_client().get("/healthz")
        assert relaxed.status_code == 200
        body = relaxed.get_json()
        assert body["replication"]["leader"] == "http://leader:8000"
        assert 39 <= body["replication"]["seconds_behind"] <= 45
        assert body["replication"]["leader_generation"] == 7 and "generation" in body
        strict = create_app({"index_dir": sample_index, "max_lag": 30}).test_client()
        lagging = strict.get("/healthz")
        assert lagging.status_code == 503
        assert lagging.get_json()["error"] == "follower_lagging"
        assert (
            lagging.get_json()["status"] == "lagging"
            and "behind its leader" in lagging.get_json()["message"]
        )
        health.write_state(sample_index, "http://leader:8000", None, error="unreachable")
        down = create_app({"index_dir": sample_index}).test_client().get("/healthz").get_json()
        assert down["replication"]["leader_reachable"] is False  # still serving: 200
        assert down["replication"]["error"] == "unreachable"
    finally:
        (sample_index / health.STATE_FILE).unlink()


def test_a_follower_whose_leader_is_unreachable_keeps_its_build_and_says_so(leader_index, tmp_path):
    replica = tmp_path / "follower"
    result = follow(replica, "http://127.0.0.1:9")
    assert result.returncode == 1 and "unreachable" in result.stderr
    state = health.read_state(replica)
    assert state["error"] and "unreachable" in state["error"]
    assert IndexStore(replica).current() is None


@pytest.mark.slow
def test_a_follower_takes_its_leaders_editors_rules_and_refuses_changes_to_them(
    leader, tmp_path, cli
):
    admin = {"Authorization": f"Bearer {ADMIN}", "Content-Type": "application/json"}

    def call(method: str, path: str, body: dict | None = None) -> int:
        parts = urlsplit(leader)
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
        connection.request(method, path, json.dumps(body) if body else None, admin)
        return connection.getresponse().status

    rule = {"query": "harbour report", "pin": ["r-7"], "hide": ["r-3"]}
    assert call("PUT", "/admin/rules/harbour", rule) == 201
    replica = tmp_path / "follower"
    assert follow(replica, leader).returncode == 0

    def searched() -> list[str]:
        found = cli("search", "report harbour", "--index-dir", replica, "--json")
        return [hit["id"] for hit in json.loads(found.stdout)["results"]]

    assert searched()[0] == "r-7" and "r-3" not in searched()
    follower = create_app({"index_dir": replica, "admin_token": ADMIN}).test_client()
    refused = follower.put("/admin/rules/x", json=rule, headers=admin)
    assert refused.status_code == 409 and refused.get_json()["error"] == "follower_read_only"

    assert call("DELETE", "/admin/rules/harbour") == 204
    again = follow(replica, leader)  # the build is unchanged: the rules still follow
    assert again.returncode == 0 and again.stdout.startswith("Up to date")
    assert searched()[0] != "r-7" and "r-3" in searched()
