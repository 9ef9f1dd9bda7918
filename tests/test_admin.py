"""The admin API: authentication, validation as the CLI's, durable journaled writes."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from search_service import config as settings
from search_service import create_app
from search_service.indexing import writer
from search_service.indexing.journal import Journal
from search_service.indexing.store import IndexStore
from search_service.sources import read_sources
from tests.support.corpus import write_jsonl
from tests.support.waiting import wait_for

TOKEN = "test-token-1234"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
BASE = [
    {"id": "en-1", "title": "Harbour reopens after storm", "lang": "en"},
    {"id": "en-2", "title": "Council approves budget", "lang": "en"},
]


@pytest.fixture
def admin(make_index):
    index_dir = make_index(BASE)
    app = create_app({"index_dir": index_dir, "admin_token": TOKEN, "admin_apply_wait": 0.3})
    return app.test_client(), index_dir


def total(client, q: str) -> int:
    response = client.get("/search", query_string={"q": q})
    assert response.status_code == 200
    return response.get_json()["total"]


def test_admin_api_is_absent_without_a_token(sample_index):
    client = create_app({"index_dir": sample_index}).test_client()
    for method, path in [("put", "/admin/articles/x"), ("post", "/admin/reindex")]:
        response = getattr(client, method)(path, json={}, headers=AUTH)
        assert response.status_code == 404
        assert response.get_json()["error"] == "not_found"


@pytest.mark.parametrize("header", [None, "Bearer wrong", f"Basic {TOKEN}", TOKEN, "Bearer "])
def test_a_missing_or_wrong_token_gets_401_and_writes_nothing(admin, header):
    client, index_dir = admin
    headers = {"Authorization": header} if header else {}
    response = client.put("/admin/articles/x", json={"title": "quokka"}, headers=headers)
    assert response.status_code == 401
    assert response.get_json()["error"] == "unauthorized"
    assert response.headers["Cache-Control"] == "no-store"
    assert Journal(index_dir).pending() == []
    assert total(client, "quokka") == 0


def test_put_is_searchable_at_once_and_delete_removes_it(admin):
    client, _ = admin
    response = client.put("/admin/articles/new-1", json={"title": "Quokka census"}, headers=AUTH)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["status"] == "applied"
    assert response.headers["Cache-Control"] == "no-store"
    assert total(client, "quokka") == 1
    response = client.put("/admin/articles/new-1", json={"title": "Wombat census"}, headers=AUTH)
    assert total(client, "quokka") == 0 and total(client, "wombat") == 1
    assert client.delete("/admin/articles/new-1", headers=AUTH).status_code == 200
    assert total(client, "wombat") == 0


def test_put_rejects_what_the_cli_rejects_with_the_reason(admin):
    client, _ = admin
    response = client.put("/admin/articles/x", json={"title": 5}, headers=AUTH)
    assert response.status_code == 422
    body = response.get_json()
    assert body["error"] == "invalid_articles"
    assert "'title' must be a string" in body["errors"][0]["reason"]
    response = client.put("/admin/articles/x", json={"id": "y", "title": "t"}, headers=AUTH)
    assert response.status_code == 422
    response = client.put("/admin/articles/x", data=b"{not json", headers=AUTH)
    assert response.status_code == 400 and response.get_json()["error"] == "invalid_json"


def test_batch_accepts_the_valid_records_and_reports_each_rejected_one(admin):
    client, _ = admin
    batch = [
        {"id": "b-1", "title": "Quokka one"},
        {"id": "b-2"},
        "a string",
        {"id": "b-1", "title": "Quokka again"},
        {"id": "b-3", "body": "A quokka body", "published": "2025-02-30"},
        {"id": "b-4", "body": "Another quokka"},
    ]
    response = client.post("/admin/articles", json=batch, headers=AUTH)
    body = response.get_json()
    assert response.status_code == 200, body
    assert body["ids"] == ["b-1", "b-4"]
    assert [(e["record"], e["id"]) for e in body["errors"]] == [
        (2, "b-2"),
        (3, None),
        (4, "b-1"),
        (5, "b-3"),
    ]
    assert total(client, "quokka") == 2


def test_batch_in_json_lines(admin):
    client, _ = admin
    lines = b'{"id": "l-1", "title": "Quokka"}\n\n{"id": "l-2", "title": "Quokka too"}\n'
    response = client.post(
        "/admin/articles", data=lines, headers={**AUTH, "Content-Type": "application/x-ndjson"}
    )
    assert response.status_code == 200, response.get_json()
    assert total(client, "quokka") == 2


def test_body_and_batch_size_limits(make_index):
    index_dir = make_index(BASE)
    app = create_app(
        {"index_dir": index_dir, "admin_token": TOKEN, "admin_max_body": 2000, "admin_max_batch": 3}
    )
    client = app.test_client()
    big = {"title": "x" * 3000}
    response = client.put("/admin/articles/big", json=big, headers=AUTH)
    assert response.status_code == 413 and response.is_json
    batch = [{"id": f"n-{i}", "title": "t"} for i in range(4)]
    response = client.post("/admin/articles", json=batch, headers=AUTH)
    assert response.status_code == 413
    assert response.get_json()["error"] == "batch_too_large"
    assert Journal(index_dir).pending() == []


def test_an_update_while_the_lock_is_held_is_queued_then_applied_once_it_frees(admin):
    client, index_dir = admin
    store = IndexStore(index_dir)
    holding, release = threading.Event(), threading.Event()

    def write_updates():
        with store.writing("test holds the lock"):
            holding.set()
            release.wait(10)

    thread = threading.Thread(target=write_updates)
    thread.start()
    holding.wait(5)
    response = client.put("/admin/articles/q-1", json={"title": "Quokka queued"}, headers=AUTH)
    assert response.status_code == 202
    assert response.get_json()["status"] == "queued"
    assert thread.is_alive()  # answered while the other writer still held the lock
    assert [entry.id for entry in Journal(index_dir).pending()] == ["q-1"]
    release.set()
    thread.join()
    wait_for(
        lambda: (total(client, "quokka"), Journal(index_dir).pending()) == (1, []),
        30,  # a bound for a loaded machine, not a timing
        "applied once the lock freed",
    )


def test_an_update_accepted_during_a_rebuild_is_in_the_new_build(admin, tmp_path):
    client, index_dir = admin
    source = write_jsonl(tmp_path / "export.jsonl", BASE)
    config = settings.load({}, index_dir=index_dir)
    reading, accepted = threading.Event(), threading.Event()

    def slow_source():
        for record in read_sources([source]):
            reading.set()
            accepted.wait(10)  # the rebuild holds the lock while the CMS sends an update
            yield record

    old_build = IndexStore(index_dir).current().id
    thread = threading.Thread(
        target=writer.rebuild, args=(IndexStore(index_dir), slow_source(), config)
    )
    thread.start()
    reading.wait(5)
    put = client.put("/admin/articles/d-1", json={"title": "Quokka during"}, headers=AUTH)
    gone = client.delete("/admin/articles/en-2", headers=AUTH)
    assert (put.status_code, gone.status_code) == (202, 202)
    # Searchable in the live build although the rebuild still holds the lock.
    wait_for(lambda: (total(client, "quokka"), total(client, "council")) == (1, 0), 30)
    assert thread.is_alive() and IndexStore(index_dir).current().id == old_build
    assert len(Journal(index_dir).pending()) == 2  # still owed to the new build
    accepted.set()
    thread.join()
    assert IndexStore(index_dir).current().id != old_build
    assert total(client, "quokka") == 1
    assert total(client, "council") == 0
    assert Journal(index_dir).pending() == []


def test_reindex_job_rebuilds_from_the_configured_source(make_index, tmp_path):
    index_dir = make_index(BASE)
    source = write_jsonl(tmp_path / "export.jsonl", [*BASE, {"id": "r-1", "title": "Quokka"}])
    app = create_app({"index_dir": index_dir, "admin_token": TOKEN, "reindex_source": str(source)})
    client = app.test_client()
    response = client.post("/admin/reindex", headers=AUTH)
    assert response.status_code == 202
    job_id = response.get_json()["id"]

    def finished() -> dict | None:
        job = client.get(f"/admin/jobs/{job_id}", headers=AUTH).get_json()
        return None if job["status"] in ("queued", "running") else job

    job = wait_for(finished, 30, "the job to finish")
    assert job["status"] == "succeeded", job
    assert job["summary"]["indexed"] == 3
    assert total(client, "quokka") == 1
    assert client.get("/admin/jobs/nope", headers=AUTH).status_code == 404


def test_reindex_without_a_configured_source_is_refused(admin):
    client, _ = admin
    response = client.post("/admin/reindex", headers=AUTH)
    assert response.status_code == 409
    assert response.get_json()["error"] == "reindex_not_configured"


def test_the_token_is_not_in_the_config_repr():
    config = settings.load({"SEARCH_ADMIN_TOKEN": TOKEN})
    assert config.admin_token == TOKEN
    assert TOKEN not in repr(config)


def test_an_acknowledged_update_survives_a_restart(admin):
    client, index_dir = admin
    client.put("/admin/articles/p-1", json={"title": "Quokka persists"}, headers=AUTH)
    fresh = create_app({"index_dir": Path(index_dir)}).test_client()
    assert total(fresh, "quokka") == 1


FULL = {
    "id": "en-9",
    "title": "Ferry timetable extended",
    "lead": "Night crossings return.",
    "body": "Ferries will run until midnight from May.",
    "lang": "en",
    "url": "https://news.example.org/en/ferry",
    "category": "transport",
    "tags": ["ferries"],
    "published": "2025-03-14",
}


def _stored(client, q: str) -> dict:
    [hit] = client.get("/search", query_string={"q": q}).get_json()["results"]
    return hit


def test_put_replaces_the_whole_article(admin):
    client, _ = admin
    assert client.put("/admin/articles/en-9", json=FULL, headers=AUTH).status_code == 200
    response = client.put(
        "/admin/articles/en-9", json={"title": "Ferry timetable corrected"}, headers=AUTH
    )
    assert response.status_code == 200
    hit = _stored(client, "corrected")
    assert (hit["url"], hit["category"], hit["published"]) == (None, "", "")


def test_patch_changes_only_the_fields_it_sends(admin):
    client, _ = admin
    client.put("/admin/articles/en-9", json=FULL, headers=AUTH)
    response = client.patch(
        "/admin/articles/en-9", json={"title": "Ferry timetable corrected"}, headers=AUTH
    )
    assert response.status_code == 200, response.get_json()
    hit = _stored(client, "corrected")
    assert hit["url"] == FULL["url"] and hit["category"] == "transport"
    assert hit["published"] == "2025-03-14"
    assert total(client, "midnight") == 1  # the body is kept
    cleared = client.patch("/admin/articles/en-9", json={"url": None}, headers=AUTH)
    assert cleared.status_code == 200 and _stored(client, "corrected")["url"] is None


def test_patch_of_an_unknown_article_is_404_and_an_invalid_result_422(admin):
    client, _ = admin
    missing = client.patch("/admin/articles/nope", json={"title": "x"}, headers=AUTH)
    assert missing.status_code == 404 and missing.get_json()["error"] == "not_found"
    invalid = client.patch("/admin/articles/en-1", json={"url": "javascript:x"}, headers=AUTH)
    assert invalid.status_code == 422
    assert "field 'url'" in invalid.get_json()["errors"][0]["reason"]


@pytest.mark.parametrize(
    ("body", "content_type"),
    [("[]", "application/json"), ("\n", "application/x-ndjson"), ("", "application/json")],
)
def test_an_empty_batch_is_400_with_a_clear_message(admin, body, content_type):
    client, index_dir = admin
    response = client.post(
        "/admin/articles", data=body, headers={**AUTH, "Content-Type": content_type}
    )
    assert response.status_code == 400
    assert response.get_json()["error"] == "invalid_body"
    assert "empty" in response.get_json()["message"]
    assert Journal(index_dir).pending() == []


def test_two_reindex_jobs_in_a_row_keep_the_rollback_target(make_index, tmp_path, cli):
    index_dir = make_index(BASE)
    source = tmp_path / "export.jsonl"
    app = create_app({"index_dir": index_dir, "admin_token": TOKEN, "reindex_source": str(source)})
    client = app.test_client()
    builds = []
    for word in ("Quokka", "Wombat"):
        write_jsonl(source, [*BASE, {"id": "r-1", "title": word, "lang": "en"}])
        job_id = client.post("/admin/reindex", headers=AUTH).get_json()["id"]

        def finished(job_id: str = job_id) -> dict | None:
            job = client.get(f"/admin/jobs/{job_id}", headers=AUTH).get_json()
            return None if job["status"] in ("queued", "running") else job

        job = wait_for(finished, 30, "the job to finish")
        assert job["status"] == "succeeded", job
        builds.append(IndexStore(index_dir).current().id)
    store = IndexStore(index_dir)
    assert store.previous().id == builds[0]
    assert (index_dir / "builds" / builds[0]).is_dir()
    result = cli("rollback", "--index-dir", index_dir)
    assert result.returncode == 0, result.stderr
    assert IndexStore(index_dir).current().id == builds[0]
    assert total(client, "quokka") == 1 and total(client, "wombat") == 0
