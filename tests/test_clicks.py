"""Clicks: every search answer names itself, POST /events/click records a followed result
in the query log, and `search-service analytics` joins the two."""

from __future__ import annotations

import json

import pytest

from search_service import create_app
from search_service.cli import main


@pytest.fixture
def log(tmp_path):
    return tmp_path / "queries.jsonl"


@pytest.fixture
def client(sample_index, log):
    app = create_app(
        {"index_dir": sample_index, "query_log": str(log), "click_ratelimit": "5/minute"}
    )
    return app.test_client()


def click(client, **event):
    return client.post("/events/click", json=event)


def lines(log):
    return [json.loads(line) for line in log.read_text().splitlines()]


def test_every_search_answer_has_its_own_search_id_even_from_the_cache(client, log):
    first = client.get("/search?q=parliament")
    second = client.get("/search?q=parliament")
    assert second.headers["X-Cache"] == "hit"
    ids = [first.get_json()["search_id"], second.get_json()["search_id"]]
    assert ids[0] != ids[1]
    assert ids == [entry["request_id"] for entry in lines(log)]


def test_a_click_is_recorded_without_the_client_address(client, log):
    search_id = client.get("/search?q=parliament").get_json()["search_id"]
    response = click(client, search_id=search_id, id="en-001", position=1)
    assert response.status_code == 204
    recorded = lines(log)[-1]
    assert set(recorded) == {"ts", "event", "search_id", "id", "position"}
    assert (recorded["event"], recorded["search_id"], recorded["position"]) == (
        "click",
        search_id,
        1,
    )
    assert "127.0.0.1" not in log.read_text()


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"search_id": "abc", "id": "x"}, 422, "position"),
        ({"search_id": "abc", "id": "x", "position": 0}, 422, "position"),
        ({"search_id": "abc", "id": "x", "position": 1.5}, 422, "position"),
        ({"search_id": "abc", "id": "x", "position": True}, 422, "position"),
        ({"search_id": "a b", "id": "x", "position": 1}, 422, "search_id"),
        ({"search_id": "abc", "id": "", "position": 1}, 422, "id"),
        ({"search_id": "abc", "id": "x" * 201, "position": 1}, 422, "id"),
        ({"search_id": "abc", "id": "x\n\u0000", "position": 1}, 422, "id"),
        ({"search_id": "abc", "id": "x", "position": 1, "ip": "1.2.3.4"}, 422, "ip"),
        ([1, 2], 422, "body"),
    ],
)
def test_a_malformed_click_is_refused_with_the_reason_and_not_stored(
    client, log, body, status, field
):
    response = client.post("/events/click", json=body)
    assert response.status_code == status
    assert response.get_json()["error"] == "invalid_event"
    assert response.get_json()["field"] == field
    assert not log.exists()


def test_a_click_that_is_not_json_or_too_large_is_refused(client, log):
    not_json = client.post("/events/click", data=b"{torn", content_type="application/json")
    assert not_json.status_code == 400 and not_json.get_json()["error"] == "invalid_json"
    big = client.post("/events/click", data=b"{" + b" " * 2000 + b"}")
    assert big.status_code == 413 and big.get_json()["error"] == "payload_too_large"
    assert not log.exists()


def test_clicks_have_their_own_rate_limit(client):
    for _ in range(5):
        assert click(client, search_id="s1", id="en-001", position=1).status_code == 204
    assert click(client, search_id="s1", id="en-001", position=1).status_code == 429
    assert client.get("/search?q=parliament").status_code == 200  # searches unaffected


def test_analytics_reports_clicks_rates_positions_and_unclicked_queries(client, log, runner):
    searches = {q: client.get("/search", query_string={"q": q}).get_json()["search_id"] for q in (
        "parliament", "Parliament", "budget", "zzyzx-nothing"
    )}  # fmt: skip
    click(client, search_id=searches["parliament"], id="en-001", position=1)
    click(client, search_id=searches["parliament"], id="en-002", position=3)
    click(client, search_id="not-a-logged-search", id="en-001", position=2)
    result = runner.invoke(main, ["analytics", "--log", str(log), "--json"])
    summary = json.loads(result.output)
    rows = {row["q"]: row for row in summary["top_queries"]}
    assert rows["parliament"] == {
        "q": "parliament",
        "searches": 2,
        "clicks": 2,
        "click_through_rate": 0.5,
        "mean_clicked_position": 2.0,
    }
    assert rows["budget"]["clicks"] == 0 and rows["budget"]["mean_clicked_position"] is None
    assert summary["no_click_queries"] == [{"q": "budget", "searches": 1}]
    assert summary["zero_result_queries"] == [{"q": "zzyzx-nothing", "searches": 1}]
    assert summary["searches"] == 4 and summary["clicks"] == 2
    text = runner.invoke(main, ["analytics", "--log", str(log)]).output
    assert "2 result(s) followed" in text and "Queries with results but no click" in text


def test_the_page_marks_results_with_the_search_id_and_positions(client):
    page = client.get("/?q=parliament&per_page=2&page=2").get_data(as_text=True)
    assert 'data-search-id="' in page
    assert 'data-position="3"' in page and 'data-position="4"' in page
