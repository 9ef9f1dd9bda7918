"""Limits, headers, request ids, metrics, logs and analytics of the running app."""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, date, datetime, timedelta

import pytest

from search_service import create_app
from search_service.cli import main
from search_service.searching.querylog import parse_period, report
from search_service.sources import SAMPLE_CORPUS
from search_service.web.ops import JsonFormatter

TOKEN = "ops-token-5678"


def test_every_response_has_security_headers_and_a_request_id(client):
    for path in ("/search?q=bank", "/search", "/healthz", "/metrics", "/nowhere"):
        response = client.get(path)
        assert response.headers["X-Content-Type-Options"] == "nosniff", path
        assert response.headers["X-Frame-Options"] == "DENY"
        assert "default-src 'none'" in response.headers["Content-Security-Policy"]
        assert len(response.headers["X-Request-ID"]) == 32


def test_a_safe_caller_request_id_is_kept_and_an_unsafe_one_replaced(client):
    kept = client.get("/healthz", headers={"X-Request-ID": "cms-42.a_b"})
    assert kept.headers["X-Request-ID"] == "cms-42.a_b"
    replaced = client.get("/healthz", headers={"X-Request-ID": "bad id {}<script>"})
    assert replaced.headers["X-Request-ID"] != "bad id {}<script>"


def test_over_the_rate_limit_a_client_gets_429_json_with_retry_after(sample_index):
    client = create_app({"index_dir": sample_index, "ratelimit": "3/minute"}).test_client()
    statuses = [client.get("/search", query_string={"q": "bank"}).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    response = client.get("/search", query_string={"q": "bank"})
    assert response.status_code == 429
    assert response.get_json()["error"] == "too_many_requests"
    assert 0 < int(response.headers["Retry-After"]) <= 60
    assert client.get("/healthz").status_code == 200  # probes are not limited
    other = client.get(
        "/search", query_string={"q": "bank"}, environ_base={"REMOTE_ADDR": "10.1.1.1"}
    )
    assert other.status_code == 200  # the limit is per client


def test_a_search_over_its_time_limit_is_partial_not_an_error(sample_index):
    client = create_app({"index_dir": sample_index, "search_time_limit": 1e-9}).test_client()
    response = client.get("/search", query_string={"q": "bank"})
    assert response.status_code == 200
    assert response.get_json()["partial"] is True


def test_a_normal_search_is_not_partial(client):
    assert client.get("/search", query_string={"q": "bank"}).get_json()["partial"] is False


def test_metrics_count_requests_results_and_index_contents(client):
    client.get("/search", query_string={"q": "bank"})
    client.get("/search", query_string={"q": "zzyzxq"})
    text = client.get("/metrics").get_data(as_text=True)
    assert (
        'search_http_requests_total{endpoint="api.search_view",method="GET",status="200"}' in text
    )
    assert "search_http_request_duration_seconds_bucket{" in text
    assert "search_results_bucket{le=" in text
    zero = next(
        line for line in text.splitlines() if line.startswith("search_zero_result_searches_total")
    )
    assert float(zero.split()[-1]) >= 1
    per_language = sum('"lang": "en"' in line for line in SAMPLE_CORPUS.open(encoding="utf-8"))
    assert f'search_index_documents{{lang="en"}} {per_language:.1f}' in text
    assert "search_build_age_seconds " in text
    assert "search_writer_queue_depth 0.0" in text


def test_the_query_log_has_the_search_and_no_client_address(sample_index, tmp_path):
    log = tmp_path / "queries.jsonl"
    app = create_app({"index_dir": sample_index, "query_log": str(log)})
    response = app.test_client().get(
        "/search",
        query_string={"q": "bank", "lang": "en"},
        environ_base={"REMOTE_ADDR": "203.0.113.9"},
    )
    entry = json.loads(log.read_text().strip())
    assert entry["q"] == "bank" and entry["lang"] == "en"
    assert entry["request_id"] == response.headers["X-Request-ID"]
    assert "203.0.113.9" not in log.read_text()


def test_request_log_is_one_json_line_without_address_or_token(sample_index, capsys):
    app = create_app({"index_dir": sample_index, "admin_token": TOKEN})
    handler_records: list[str] = []

    class Capture(logging.Handler):
        def emit(self, record):
            handler_records.append(JsonFormatter().format(record))

    access = logging.getLogger("search_service.access")
    capture = Capture()
    access.addHandler(capture)
    try:
        app.test_client().put(
            "/admin/articles/x?secret=1",
            json={"title": "t"},
            headers={"Authorization": f"Bearer {TOKEN}", "X-Request-ID": "abc"},
            environ_base={"REMOTE_ADDR": "203.0.113.9"},
        )
    finally:
        access.removeHandler(capture)
    (line,) = handler_records
    entry = json.loads(line)
    assert entry["request_id"] == "abc" and entry["path"] == "/admin/articles/x"
    assert TOKEN not in line and "203.0.113.9" not in line and "secret" not in line


def test_a_log_line_keeps_what_the_fast_encoder_refuses():
    """Dates read as str() writes them, and a lone surrogate (a file name the file system
    could not decode, say) still makes a JSON line instead of a logging error."""
    record = logging.LogRecord("search_service", logging.WARNING, __file__, 1, "m", None, None)
    record.fields = {"when": date(2025, 3, 14), "path": "/srv/\udcff.jsonl", 7: "seven"}
    entry = json.loads(JsonFormatter().format(record))
    assert entry["when"] == "2025-03-14" and entry["7"] == "seven"
    assert entry["path"] == "/srv/\udcff.jsonl"


@pytest.mark.parametrize(("text", "days"), [("7d", 7), ("24h", 1), ("2w", 14)])
def test_periods(text, days):
    assert parse_period(text) == timedelta(days=days)


def test_a_bad_period_is_refused(runner):
    result = runner.invoke(main, ["analytics", "--since", "soon", "--log", __file__])
    assert result.exit_code == 2 and "--since" in result.stderr


def test_analytics_reports_top_zero_result_and_slowest_queries(tmp_path, runner, monkeypatch):
    now = datetime.now(UTC)
    rows = [
        (now - timedelta(days=10), "ancient", 5, 1.0),
        (now - timedelta(hours=1), "Budget", 4, 10.0),
        (now - timedelta(hours=2), "budget ", 4, 12.0),
        (now - timedelta(hours=3), "zzyzx", 0, 300.0),
    ]
    log = tmp_path / "queries.jsonl"
    lines = [
        json.dumps({"ts": t.isoformat(), "q": q, "total": n, "took_ms": ms}) for t, q, n, ms in rows
    ]
    unreadable = [
        "{torn",
        json.dumps({"ts": now.replace(tzinfo=None).isoformat(), "q": "no zone", "total": 1}),
        json.dumps({"ts": now.isoformat(), "q": "slow", "total": 1, "took_ms": "very"}),
        json.dumps({"ts": now.isoformat(), "event": "click", "search_id": "s", "position": "1st"}),
    ]
    log.write_text("\n".join([*lines, *unreadable]) + "\n")
    summary = report(log, timedelta(days=7))
    assert summary["searches"] == 3 and summary["unreadable_lines"] == 4
    assert summary["top_queries"][0]["q"] == "budget"
    assert summary["top_queries"][0]["searches"] == 2
    assert summary["zero_result_queries"] == [{"q": "zzyzx", "searches": 1}]
    assert summary["slowest"][0]["q"] == "zzyzx"
    result = runner.invoke(main, ["analytics", "--since", "7d", "--log", str(log)])
    assert result.exit_code == 0, result.output
    assert "3 searches" in result.stdout and "zzyzx" in result.stdout
    monkeypatch.setenv("SEARCH_QUERY_LOG", str(tmp_path / "none.jsonl"))
    missing = runner.invoke(main, ["analytics"])
    assert missing.exit_code == 1 and "SEARCH_QUERY_LOG" in missing.stderr


def test_searches_made_on_the_page_are_logged_and_counted_like_api_searches(sample_index, tmp_path):
    log = tmp_path / "queries.jsonl"
    client = create_app({"index_dir": sample_index, "query_log": str(log)}).test_client()

    def zero_result_searches() -> float:
        text = client.get("/metrics").get_data(as_text=True)
        return float(re.search(r"^search_zero_result_searches_total (\S+)$", text, re.M)[1])

    before = zero_result_searches()
    page = client.get("/", query_string={"q": "zzyzx-nothing", "lang": "en"})
    client.get("/", query_string={"q": "gas", "page": "2"}, headers={"X-Partial": "content"})
    client.get(
        "/", query_string={"q": "gas"}, headers={"X-Partial": "content", "X-Replay": "history"}
    )
    client.get("/")  # the start page searches nothing
    entries = [json.loads(line) for line in log.read_text().splitlines()]
    assert [(e["q"], e["lang"], e["page"]) for e in entries] == [
        ("zzyzx-nothing", "en", 1),
        ("gas", None, 2),
    ]
    assert entries[0]["request_id"] == page.headers["X-Request-ID"]
    assert entries[0]["total"] == 0
    assert zero_result_searches() == before + 1


def test_analytics_prints_queries_escaped_and_cut_but_json_keeps_them_whole(tmp_path, cli):
    now = datetime.now(UTC).isoformat()
    hostile = "\x1b[2J\x1b]0;pwned\x07news\u202egnirts"
    long_query = "бюджет " * 150
    log = tmp_path / "queries.jsonl"
    log.write_text(
        "".join(
            json.dumps({"ts": now, "q": q, "total": 1, "took_ms": 1.0}) + "\n"
            for q in (hostile, long_query)
        )
    )
    result = cli("analytics", "--log", log)
    assert result.returncode == 0, result.stderr
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout
    assert "\u202e" not in result.stdout
    assert "\\x1b[2J\\x1b]0;pwned\\x07news\\u202egnirts" in result.stdout
    assert max(len(line) for line in result.stdout.splitlines()) <= 80
    whole = json.loads(cli("analytics", "--log", log, "--json").stdout)
    assert {row["q"] for row in whole["slowest"]} == {hostile, long_query}


def test_analytics_names_the_log_it_cannot_read(cli, tmp_path):
    result = cli("analytics", "--log", "/nonexistent")
    assert result.returncode == 1
    assert "/nonexistent" in result.stderr and "No such file" in result.stderr
    configured = cli("analytics", env={"SEARCH_QUERY_LOG": str(tmp_path / "gone.jsonl")})
    assert configured.returncode == 1 and "gone.jsonl" in configured.stderr
