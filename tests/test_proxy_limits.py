"""Behind a reverse proxy: which client a request counts against, and the budgets it draws on."""

from __future__ import annotations

import time

from flask import request

from search_service import create_app

ORIGIN = "https://news.example.org"


def _client(sample_index, **overrides):
    return create_app({"index_dir": sample_index, **overrides}).test_client()


def _search(client, **request):
    return client.get("/search", query_string={"q": "bank"}, **request)


def test_by_default_a_forged_forwarded_for_changes_nothing(sample_index):
    client = _client(sample_index, ratelimit="2/minute")
    proxy = {"REMOTE_ADDR": "198.51.100.7"}
    forged = [
        _search(client, headers={"X-Forwarded-For": f"203.0.113.{n}"}, environ_base=proxy)
        for n in range(3)
    ]
    assert [r.status_code for r in forged] == [200, 200, 429]
    app = create_app({"index_dir": sample_index})
    assert _seen_by_the_app(app) == ("http", "127.0.0.1")


def test_behind_one_trusted_proxy_each_reader_has_its_own_budget(sample_index):
    client = _client(sample_index, ratelimit="2/minute", trusted_proxies=1)
    proxy = {"REMOTE_ADDR": "127.0.0.1"}

    def reader(address, forged=""):
        chain = f"{forged}, {address}" if forged else address
        return _search(client, headers={"X-Forwarded-For": chain}, environ_base=proxy)

    assert [reader("203.0.113.1").status_code for _ in range(3)] == [200, 200, 429]
    assert reader("203.0.113.2").status_code == 200  # another reader behind the same proxy
    # A reader cannot escape its budget by prepending an address of its choosing: only the
    # entry the trusted proxy added counts.
    assert reader("203.0.113.1", forged="192.0.2.99").status_code == 429


def test_a_trusted_proxy_passes_on_the_address_and_scheme(sample_index):
    app = create_app({"index_dir": sample_index, "trusted_proxies": 1})
    assert _seen_by_the_app(app) == ("https", "203.0.113.5")


def _seen_by_the_app(app) -> tuple[str, str]:
    """The scheme and client address the app sees for a request forwarded by a proxy."""
    seen = []
    app.before_request(lambda: seen.append((request.scheme, request.remote_addr)))
    app.test_client().get(
        "/healthz",
        headers={"X-Forwarded-For": "203.0.113.5", "X-Forwarded-Proto": "https"},
        environ_base={"REMOTE_ADDR": "127.0.0.1"},
    )
    (only,) = seen
    return only


def test_the_page_and_the_api_share_one_search_budget(sample_index):
    client = _client(sample_index, ratelimit="3/minute", suggest_ratelimit="5/minute")
    assert _search(client).status_code == 200
    assert client.get("/", query_string={"q": "bank"}).status_code == 200
    assert _search(client).status_code == 200
    assert client.get("/", query_string={"q": "bank"}).status_code == 429
    assert _search(client).status_code == 429
    # Suggestions draw on their own, larger budget, untouched by the searches above.
    suggest = [client.get("/suggest", query_string={"q": "ba"}).status_code for _ in range(6)]
    assert suggest == [200] * 5 + [429]


def test_cors_preflight_does_not_consume_the_budget(sample_index):
    client = _client(sample_index, ratelimit="2/minute", cors_origins=ORIGIN)
    for _ in range(5):
        preflight = client.options(
            "/search",
            headers={"Origin": ORIGIN, "Access-Control-Request-Method": "GET"},
        )
        assert preflight.status_code == 200
        assert preflight.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert [_search(client).status_code for _ in range(3)] == [200, 200, 429]


def test_retry_after_is_only_on_429(sample_index):
    client = _client(sample_index, ratelimit="1/minute")
    first, second = _search(client), _search(client)
    assert first.status_code == 200 and "Retry-After" not in first.headers
    assert second.status_code == 429 and int(second.headers["Retry-After"]) > 0
    health = client.get("/healthz")
    assert health.status_code == 200 and "Retry-After" not in health.headers


def test_workers_sharing_a_redis_draw_on_one_budget(sample_index, redis_server):
    """SEARCH_RATELIMIT_STORAGE_URL=redis://...: two apps (two workers, or two machines)
    count one client's requests together, with the limit's headers on every answer."""
    shared = {"ratelimit": "3/minute", "ratelimit_storage_url": redis_server}
    first, second = _client(sample_index, **shared), _client(sample_index, **shared)
    answers = [_search(client) for client in (first, second, first, second)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert [a.headers["X-RateLimit-Remaining"] for a in answers] == ["2", "1", "0", "0"]
    assert {a.headers["X-RateLimit-Limit"] for a in answers} == {"3"}
    assert 0 < int(answers[-1].headers["Retry-After"]) <= 60
    assert "Retry-After" not in answers[0].headers


def test_in_memory_counters_are_per_worker_and_limits_are_checked_shortest_first(sample_index):
    """memory:// counts in each app; with two limits the headers report the shorter window's
    budget until a limit is broken, then the broken one's."""
    limits = {"ratelimit": "2/second;3/minute"}
    first, second = _client(sample_index, **limits), _client(sample_index, **limits)
    assert _search(first).headers["X-RateLimit-Limit"] == "2"
    assert _search(second).status_code == 200  # its own counters
    _search(first)
    time.sleep(1.1)  # the per-second window ends; the per-minute one holds 2 of 3
    assert _search(first).status_code == 200
    broken = _search(first)
    assert broken.status_code == 429
    assert broken.headers["X-RateLimit-Limit"] == "3"
    assert broken.headers["X-RateLimit-Remaining"] == "0"
