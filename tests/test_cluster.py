"""The replication drill at CI scale: a leader and two followers (real gunicorn each, with a
``follow --every 1`` loop per follower), Redis for the rate limits, and nginx started from
deploy/nginx.conf in front. ``bench/cluster.py`` runs the same at full size and reports
figures; here only what must hold is asserted. A tampered transfer is
test_replication.py::test_a_tampered_file_is_refused_by_checksum_and_fetched_again."""

from __future__ import annotations

import json
import signal
import statistics
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest

from search_service.replication.copying import STAGING
from tests.support.cluster import Cluster, Readers
from tests.support.corpus import write_jsonl
from tests.support.processes import process_env

pytestmark = pytest.mark.slow

UPDATES = 100  # bench/cluster.py applies 1,000
LATENCY_ROUNDS = 10
CLIENTS = 16
WORDS = ["harbour", "parliament", "budget", "railway", "election", "museum", "river", "bank"]
QUERIES = [*WORDS, "harbour budget", "river museum", '"central bank"', "railway election"]


def article(n: int, word: str, extra: str = "") -> dict[str, str]:
    topic = WORDS[n % len(WORDS)]
    return {
        "id": f"{word}-{n}",
        "lang": "en",
        "title": f"{topic.title()} {word} story {n} {extra}".strip(),
        "lead": f"The {topic} and the central bank, report {n}.",
        "body": f"{word} {topic} news about the river, the museum and the railway. " * 30,
        "published": "2026-03-01T10:00:00Z",
    }


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    folder = tmp_path_factory.mktemp("cluster")
    source = write_jsonl(folder / "articles.jsonl", [article(n, "base") for n in range(300)])
    running = Cluster(folder, source, env={"SEARCH_SUGGEST_RATELIMIT": "5/minute"})
    try:
        yield running.start()
    finally:
        running.close()


def test_searches_stay_whole_while_the_leader_takes_updates_and_a_reindex(cluster):
    first = cluster.leader_manifest()["build"]
    with Readers(cluster.nginx, QUERIES, CLIENTS) as readers:
        for n in range(UPDATES):
            status, body = cluster.admin("PUT", f"/admin/articles/upd-{n}", article(n, "upd"))
            assert status in (200, 202), body
        status, job = cluster.admin("POST", "/admin/reindex")
        assert status == 202, job
        deadline = time.monotonic() + 300
        while job["status"] in ("queued", "running"):
            assert time.monotonic() < deadline, job
            time.sleep(0.2)
            job = cluster.admin("GET", f"/admin/jobs/{job['id']}")[1]
        assert job["status"] == "succeeded", job
        final = cluster.wait_converged()
    print(f"\n{readers.count} searches in {readers.seconds:.1f} s through nginx, builds seen:")
    print(f"  {readers.builds}")
    assert readers.failures == []
    assert readers.count >= CLIENTS * 5
    # Every answer named one build: a copy of the first build (at some generation) or of
    # the reindex's build, which both followers ended on.
    second = cluster.leader_manifest()["build"]
    assert second != first and final.startswith(second)
    assert all(build.split(".g")[0] in (first, second) for build in readers.builds)


def test_an_update_on_the_leader_is_searchable_through_nginx_within_seconds(cluster):
    took = []
    for n in range(LATENCY_ROUNDS):
        word = f"zephyr{n}x"
        started = time.monotonic()
        status, body = cluster.admin("PUT", f"/admin/articles/{word}-{n}", article(n, word))
        assert status == 200, body
        while True:
            totals = [
                cluster.get(f"{base}/search?q={word}")[1]["total"] for base in cluster.followers
            ]
            if totals == [1, 1]:
                break
            assert time.monotonic() - started < 30, totals  # converges; bench/ times it
            time.sleep(0.05)
        assert cluster.get(f"{cluster.nginx}/search?q={word}")[1]["total"] == 1
        took.append(time.monotonic() - started)
    print(
        f"\nleader commit to searchable on both followers: median "
        f"{statistics.median(took):.2f} s, worst {max(took):.2f} s (polling every 1 s)"
    )


def test_killed_follower_processes_are_routed_around_and_catch_up(cluster):
    with Readers(cluster.nginx, QUERIES, CLIENTS) as readers:
        # kill -9 of follower 0's copy in the middle of a transfer.
        cluster.kill_follow_loop(0)
        serving = cluster.get(cluster.followers[0] + "/healthz")[1]["build"]
        batch = [article(n, "batch") for n in range(200)]
        status, body = cluster.admin("POST", "/admin/articles", batch)
        assert status == 200, body
        slow = subprocess.Popen(
            cluster.follow_command(0, "--limit-rate", "30000"),
            env=process_env({"SEARCH_REPLICATION_TOKEN": cluster.TOKEN}),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        staging = cluster.index_dir(0) / "builds" / STAGING
        deadline = time.monotonic() + 60
        while not any(part.stat().st_size for part in staging.glob("*.part")):
            assert slow.poll() is None and time.monotonic() < deadline
            time.sleep(0.02)
        slow.send_signal(signal.SIGKILL)
        slow.wait()
        assert cluster.get(cluster.followers[0] + "/healthz")[1]["build"] == serving
        cluster.start_follow_loop(0)
        cluster.wait_converged()
        before_kill = len(readers.failures)
        # kill -9 of follower 1's gunicorn (master and workers) under load.
        cluster.kill_web(1)
        time.sleep(2)
        cluster.start_web(1)
        cluster.wait_converged()
        time.sleep(1)
    print(f"\n{readers.count} searches, failed: {readers.failures}")
    assert before_kill == 0
    # Only requests in flight on the killed workers may fail (nginx retries the others).
    assert len(readers.failures) <= CLIENTS


def test_with_the_leader_stopped_followers_serve_and_report_the_lag(cluster):
    cluster.stop_leader()
    try:
        with Readers(cluster.nginx, QUERIES, CLIENTS) as readers:
            deadline = time.monotonic() + 30
            while True:
                health = [cluster.get(base + "/healthz") for base in cluster.followers]
                lags = [body["replication"] for _, body in health]
                if all(not lag["leader_reachable"] and lag["seconds_behind"] > 2 for lag in lags):
                    break
                assert time.monotonic() < deadline, lags
                time.sleep(0.2)
        assert all(status == 200 for status, _ in health)
        assert readers.failures == [] and readers.count > 0
    finally:
        cluster.start_leader()
    status, body = cluster.admin("PUT", "/admin/articles/phoenixq-1", article(1, "phoenixq"))
    assert status == 200, body
    cluster.wait_converged()
    for base in cluster.followers:
        assert cluster.get(f"{base}/search?q=phoenixq")[1]["total"] == 1
        assert cluster.get(base + "/healthz")[1]["replication"]["leader_reachable"] is True


def test_replication_needs_the_token_and_followers_serve_none(cluster):
    manifest = cluster.leader_manifest()
    name = manifest["files"][0]["name"]
    paths = ["/replication/manifest", f"/replication/builds/{manifest['build']}/files/{name}"]
    for path in paths:
        assert cluster.get(cluster.nginx + path)[0] == 401
        assert cluster.get(cluster.nginx + path, Authorization="Bearer wrong")[0] == 401
        for base in cluster.followers:  # no SEARCH_REPLICATION_TOKEN on their web process
            assert cluster.get(base + path, Authorization=f"Bearer {cluster.TOKEN}")[0] == 404


def test_followers_refuse_admin_writes_and_nginx_sends_them_to_the_leader(cluster):
    assert cluster.get(cluster.followers[0] + "/admin/jobs/x")[0] == 401
    request_body = article(5, "direct")
    request = urllib.request.Request(
        cluster.followers[0] + "/admin/articles/direct-5",
        data=json.dumps(request_body).encode(),
        method="PUT",
        headers={"Authorization": f"Bearer {cluster.ADMIN}", "Content-Type": "application/json"},
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 409
    answer = json.loads(refused.value.read())
    assert answer["error"] == "follower_read_only" and cluster.leader in answer["message"]
    assert cluster.admin("PUT", "/admin/articles/direct-5", request_body)[0] == 200


def test_rate_limits_are_shared_by_all_followers_through_redis(cluster):
    statuses = [cluster.get(cluster.nginx + "/suggest?q=har")[0] for _ in range(8)]
    assert statuses == [200] * 5 + [429] * 3  # one budget, whichever follower answered
    for base in cluster.followers:
        assert cluster.get(base + "/suggest?q=har")[0] == 429
    # A reader cannot dodge its budget with a forged X-Forwarded-For: nginx appends the real
    # address and the service trusts only that one entry.
    forged = cluster.get(cluster.nginx + "/suggest?q=har", **{"X-Forwarded-For": "192.0.2.1"})
    assert forged[0] == 429
