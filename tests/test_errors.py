"""Every error the service sends, from its views, from werkzeug and from gunicorn, is one of
the codes declared in errors.py, in the one JSON body."""

from __future__ import annotations

import json
import os
import socket
import threading

import pytest

from search_service import create_app
from search_service.errors import api_errors
from search_service.web import server

TOKEN = "errors-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
DECLARED = {kind.code: kind.status for kind in api_errors()}
ARTICLE = {"id": "en-1", "title": "Harbour reopens after the storm", "lang": "en"}


def error(response, status: int, code: str) -> dict:
    assert (response.status_code, response.content_type) == (status, "application/json")
    body = response.get_json()
    assert body["error"] == code and body["message"]
    assert DECLARED[code] == status or code == "bad_request"
    return body


@pytest.fixture
def admin(make_index):
    index_dir = make_index([ARTICLE])
    app = create_app({"index_dir": index_dir, "admin_token": TOKEN, "admin_max_body": 2000})
    return app.test_client()


def test_an_oversized_admin_body_is_our_payload_too_large_not_werkzeugs_code(admin):
    response = admin.put("/admin/articles/big", json={"title": "x" * 3000}, headers=AUTH)

    body = error(response, 413, "payload_too_large")
    assert "2000 bytes" in body["message"]


@pytest.mark.parametrize(
    ("data", "content_type"),
    [(b"", "application/json"), (b"  \n", "application/json"), (b'{"id": "x"}', None)],
)
def test_an_empty_body_or_a_batch_that_is_no_array_is_invalid_body(admin, data, content_type):
    response = admin.post("/admin/articles", data=data, headers=AUTH, content_type=content_type)

    error(response, 400, "invalid_body")


def test_an_unknown_job_is_job_not_found(admin):
    error(admin.get("/admin/jobs/nosuchjob", headers=AUTH), 404, "job_not_found")


def test_a_second_reindex_while_one_runs_is_a_conflict(make_index, tmp_path):
    # The first job reads from a pipe that stays silent until the second request is answered.
    source = tmp_path / "export.fifo"
    os.mkfifo(source)
    app = create_app(
        {"index_dir": make_index([ARTICLE]), "admin_token": TOKEN, "reindex_source": str(source)}
    )
    client = app.test_client()
    first = client.post("/admin/reindex", headers=AUTH)
    assert first.status_code == 202
    try:
        error(client.post("/admin/reindex", headers=AUTH), 409, "conflict")
    finally:
        with open(source, "w") as pipe:  # the job reads an empty source and fails, harmlessly
            pipe.write("")
        for thread in threading.enumerate():
            if thread.name == f"reindex-{first.get_json()['id']}":
                thread.join(timeout=30)


def test_a_batch_of_only_invalid_records_is_invalid_articles_with_each_reason(admin):
    response = admin.post("/admin/articles", json=[{"id": "a"}, {"title": "no id"}], headers=AUTH)

    body = error(response, 422, "invalid_articles")
    assert [(e["record"], e["id"]) for e in body["errors"]] == [(1, "a"), (2, None)]


@pytest.mark.parametrize(
    ("status", "code"),
    [
        (400, "bad_request"),
        (403, "forbidden"),
        (414, "uri_too_long"),
        (417, "expectation_failed"),
        (431, "request_header_fields_too_large"),
        (500, "internal_error"),
        (501, "bad_request"),  # gunicorn's answer to a Transfer-Encoding it cannot read
        (402, "bad_request"),  # statuses gunicorn does not send today fall back by class
        (505, "internal_error"),
    ],
)
def test_gunicorns_own_error_pages_send_declared_codes(status, code):
    reader, writer = socket.socketpair()
    with reader, writer:
        server.write_json_error(writer, status, "Some Reason", "Invalid Request Line 'x'")
        writer.shutdown(socket.SHUT_WR)
        reply = b""
        while chunk := reader.recv(65536):
            reply += chunk
    head, _, body = reply.decode().partition("\r\n\r\n")
    assert head.startswith(f"HTTP/1.1 {status} Some Reason\r\n")
    assert "Content-Type: application/json" in head
    parsed = json.loads(body)
    assert parsed["error"] == code and code in DECLARED
    assert "percent-encoded" in parsed["message"]


@pytest.mark.slow
def test_real_gunicorn_answers_over_long_request_lines_and_headers_with_declared_codes(
    gunicorn_server, sample_index
):
    base, _ = gunicorn_server(sample_index)
    port = int(base.rsplit(":", 1)[1])

    def send(raw: bytes) -> tuple[str, dict]:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall(raw)
            reply = b""
            while chunk := sock.recv(65536):
                reply += chunk
        head, _, body = reply.decode("utf-8", "replace").partition("\r\n\r\n")
        return head.split("\r\n", 1)[0], json.loads(body)

    status, body = send(b"GET /search?q=" + b"a" * 5000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    assert status.startswith("HTTP/1.1 414") and body["error"] == "uri_too_long"
    headers = b"".join(b"X-Filler-%d: y\r\n" % n for n in range(200))
    status, body = send(b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + headers + b"\r\n")
    assert status.startswith("HTTP/1.1 431")
    assert body["error"] == "request_header_fields_too_large"
    status, body = send(b"GET /healthz HTTP/1.1\r\nHost: x\r\nExpect: tea\r\n\r\n")
    assert status.startswith("HTTP/1.1 417") and body["error"] == "expectation_failed"
