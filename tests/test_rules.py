"""Editors' rules: pinned and hidden articles per query, through HTTP and the CLI."""

from __future__ import annotations

import html

import pytest

from search_service import create_app
from search_service.cli import main
from search_service.indexing import writer
from search_service.indexing.store import IndexStore
from search_service.sources import read_sources
from tests.support.corpus import write_jsonl

TOKEN = "editor-secret"
AUTH = {"Authorization": f"Bearer {TOKEN}"}

ARTICLES = [
    {"id": "b1", "lang": "en", "title": "Budget debate in parliament", "body": "The budget."},
    {"id": "b2", "lang": "en", "title": "Budgets of cities", "body": "City budget plans."},
    {"id": "b3", "lang": "en", "title": "Budget cuts for schools", "body": "Schools budget."},
    {"id": "w1", "lang": "en", "title": "Weather report", "body": "Rain and wind.",
     "category": "weather"},
    {"id": "r1", "lang": "ru", "title": "Бюджет города", "body": "Городской бюджет."},
    {"id": "a1", "lang": "az", "title": "Dövlət büdcəsi", "body": "Büdcə müzakirəsi."},
]  # fmt: skip


@pytest.fixture
def index_dir(make_index):
    return make_index(ARTICLES)


@pytest.fixture
def client(index_dir):
    app = create_app({"index_dir": index_dir, "admin_token": TOKEN, "cache_size": 100})
    return app.test_client()


def ids(client, **params):
    body = client.get("/search", query_string=params).get_json()
    return [hit["id"] for hit in body["results"]], body


def put(client, name, **rule):
    return client.put(f"/admin/rules/{name}", json=rule, headers=AUTH)


def test_a_pinned_article_comes_first_marked_and_a_hidden_one_never_appears(client):
    before, _ = ids(client, q="budget")
    assert "b3" in before and before[0] != "w1"
    assert put(client, "budget", query="budget", pin=["w1", "b2"], hide=["b3"]).status_code == 201
    after, body = ids(client, q="budget")
    assert after[:2] == ["w1", "b2"] and "b3" not in after
    assert [hit["pinned"] for hit in body["results"]][:3] == [True, True, False]
    assert body["total"] == len(before)  # w1 added by the pin, b3 taken away
    second_page, _ = ids(client, q="budget", per_page=1, page=3)
    assert second_page and second_page[0] not in ("w1", "b2", "b3")


def test_a_rule_matches_the_analysed_query_whatever_case_inflection_and_order(client):
    put(client, "cuts", query="budget cuts", pin=["w1"])
    for q in ("Budget Cuts", "cuts budgets", "BUDGETS cut"):
        assert ids(client, q=q)[0][0] == "w1", q
    assert "w1" not in ids(client, q="budget")[0]


def test_a_rule_folds_diacritics_like_the_index(client):
    assert ids(client, q="dovlet budcesi", lang="az")[0] == ["a1"]
    put(client, "az", query="dövlət büdcəsi", lang="az", hide=["a1"])
    assert ids(client, q="dovlet budcesi", lang="az")[0] == []
    assert "a1" not in ids(client, q="dovlet budcesi")[0]  # no language filter: applies


def test_a_rule_with_a_language_does_not_apply_to_searches_in_another(client):
    put(client, "en-only", query="budget", lang="en", hide=["b1"])
    assert "b1" not in ids(client, q="budget", lang="en")[0]
    assert "b1" not in ids(client, q="budget")[0]
    put(client, "ru-only", query="бюджет", lang="ru", hide=["r1"])
    assert ids(client, q="бюджет", lang="ru")[0] == []
    assert put(client, "ru-only", query="бюджет", lang="ru", pin=["a1"]).status_code == 200
    assert ids(client, q="бюджет", lang="ru")[0] == ["r1"]  # a1 fails the language filter


def test_a_pin_that_fails_the_filters_or_does_not_exist_is_left_out(client):
    put(client, "budget", query="budget", pin=["missing", "w1", "b2"])
    assert ids(client, q="budget", category="weather")[0] == ["w1"]
    assert ids(client, q="budget")[0][:2] == ["w1", "b2"]


def test_sorted_by_date_hides_apply_and_pins_do_not(client):
    put(client, "budget", query="budget", pin=["w1"], hide=["b1"])
    newest, body = ids(client, q="budget", sort="newest")
    assert "w1" not in newest and "b1" not in newest
    assert not any(hit["pinned"] for hit in body["results"])


def test_a_rule_outside_its_time_window_does_not_apply(client):
    put(client, "past", query="budget", hide=["b1"], ends="2001-01-01T00:00:00Z")
    put(client, "future", query="budget", hide=["b2"], starts="2999-01-01T00:00:00+02:00")
    assert {"b1", "b2"} <= set(ids(client, q="budget")[0])


def test_a_change_is_seen_by_the_next_search_despite_the_cache(client):
    ids(client, q="budget")
    cached = client.get("/search?q=budget")
    assert cached.headers["X-Cache"] == "hit"
    put(client, "budget", query="budget", hide=["b1"])
    after = client.get("/search?q=budget")
    assert after.headers["X-Cache"] == "miss"
    assert "b1" not in [hit["id"] for hit in after.get_json()["results"]]
    assert client.delete("/admin/rules/budget", headers=AUTH).status_code == 204
    assert "b1" in ids(client, q="budget")[0]


def test_rules_are_listed_read_and_deleted(client):
    put(client, "b", query="budget", pin=["b2"])
    put(client, "a", query="weather", hide=["w1"], lang="en")
    listed = client.get("/admin/rules", headers=AUTH).get_json()["rules"]
    assert [rule["name"] for rule in listed] == ["a", "b"]
    one = client.get("/admin/rules/a", headers=AUTH).get_json()
    assert one == {
        "name": "a", "query": "weather", "lang": "en", "pin": [], "hide": ["w1"],
        "starts": None, "ends": None,
    }  # fmt: skip
    assert client.delete("/admin/rules/a", headers=AUTH).status_code == 204
    missing = client.get("/admin/rules/a", headers=AUTH)
    assert missing.status_code == 404 and missing.get_json()["error"] == "rule_not_found"
    assert client.delete("/admin/rules/a", headers=AUTH).status_code == 404


@pytest.mark.parametrize(
    ("rule", "field"),
    [
        ({"query": "x", "pin": ["a"], "colour": "red"}, "colour"),
        ({"query": "x", "pin": ["a"], "starts": "yesterday"}, "starts"),
        ({"query": "x", "pin": ["a"], "ends": "2020-01-01", "starts": "2021-01-01"}, "ends"),
        ({"query": "x"}, "pin"),
        ({"query": "x", "pin": [], "hide": []}, "pin"),
        ({"query": "", "pin": ["a"]}, "query"),
        ({"query": "x", "pin": [f"id{n}" for n in range(51)]}, "pin"),
        ({"query": "x", "hide": "a"}, "hide"),
        ({"query": "x", "pin": "", "hide": ["a"]}, "pin"),
        ({"query": "x", "pin": ["a"], "hide": 0}, "hide"),
        ({"query": "x", "pin": ["a\u001b[2J"]}, "pin"),
        ({"query": "x", "pin": [" a"]}, "pin"),
        ({"query": "x", "pin": ["a"], "lang": "English"}, "lang"),
        ({"query": "x", "pin": ["a"], "hide": ["a"]}, "hide"),
        ({"query": "— !", "pin": ["a"]}, "query"),
    ],
)
def test_an_invalid_rule_is_refused_naming_the_field(client, rule, field):
    response = put(client, "r", **rule)
    assert response.status_code == 422
    assert response.get_json()["error"] == "invalid_rule"
    assert response.get_json()["field"] == field
    assert client.get("/admin/rules", headers=AUTH).get_json()["rules"] == []


def test_rules_need_the_admin_token(client):
    assert client.get("/admin/rules").status_code == 401
    assert client.put("/admin/rules/x", json={"query": "x", "pin": ["a"]}).status_code == 401


def test_rules_survive_a_reindex_a_rollback_and_a_restart(index_dir, client, tmp_path):
    put(client, "budget", query="budget", hide=["b1"])
    source = write_jsonl(tmp_path / "again.jsonl", ARTICLES)
    store = IndexStore(index_dir)
    config_app = create_app({"index_dir": index_dir})
    writer.rebuild(store, read_sources([source]), config_app.extensions["search_service"].config)
    store.rollback()
    restarted = create_app({"index_dir": index_dir}).test_client()
    assert "b1" not in ids(restarted, q="budget")[0]


def test_the_cli_sets_lists_and_deletes_rules(index_dir, runner):
    where = ["--index-dir", str(index_dir)]
    made = runner.invoke(
        main, ["rules", "set", "budget", "--query", "budget", "--pin", "w1", "--hide", "b1", *where]
    )
    assert made.exit_code == 0, made.output
    app_client = create_app({"index_dir": index_dir}).test_client()
    found, _ = ids(app_client, q="budget")
    assert found[0] == "w1" and "b1" not in found
    listed = runner.invoke(main, ["rules", "list", "--json", *where])
    assert '"name": "budget"' in listed.output
    bad = runner.invoke(
        main, ["rules", "set", "x", "--query", "q", "--pin", "a", "--starts", "soon", *where]
    )
    assert bad.exit_code == 2 and "--starts" in bad.output
    unnamed = runner.invoke(main, ["rules", "set", "a b", "--query", "q", "--pin", "a", *where])
    assert unnamed.exit_code == 2 and "Invalid value for NAME" in unnamed.output
    wordless = runner.invoke(main, ["rules", "set", "w", "--query", "?!", "--pin", "a", *where])
    assert wordless.exit_code == 2 and "--query" in wordless.output
    assert runner.invoke(main, ["rules", "delete", "budget", *where]).exit_code == 0
    assert runner.invoke(main, ["rules", "delete", "budget", *where]).exit_code == 1


@pytest.mark.parametrize("text", ["[{bad", '[{"query": "x"}]', '[{"name": "a", "lang": "xx-yy"}]'])
def test_a_rules_file_edited_into_something_else_is_named_not_blamed_on_the_request(
    index_dir, client, runner, text
):
    (index_dir / "rules.json").write_text(text, encoding="utf-8")
    listed = runner.invoke(main, ["rules", "list", "--index-dir", str(index_dir)])
    assert listed.exit_code == 1 and "rules.json: not a list of rules" in listed.output
    assert "Traceback" not in listed.output
    searched = client.get("/search", query_string={"q": "budget"})
    assert searched.status_code == 500 and searched.get_json()["error"] == "internal_error"


@pytest.mark.parametrize(
    ("ui", "label"),
    [("en", "Editor's pick"), ("ru", "Выбор редакции"), ("az", "Redaksiyanın seçimi")],
)
def test_the_page_labels_a_pinned_result_in_the_interface_language(client, ui, label):
    put(client, "budget", query="budget", pin=["w1"])
    page = client.get("/", query_string={"q": "budget", "ui": ui}).get_data(as_text=True)
    first = page.split('class="hit"')[1]
    assert "Weather report" in first and label in html.unescape(first)
    assert page.count('class="pick"') == 1


def test_the_cli_refuses_to_change_a_followers_rules(index_dir, runner):
    follower = {"SEARCH_LEADER_URL": "http://leader.example:8000"}
    where = ["--index-dir", str(index_dir)]
    made = runner.invoke(
        main, ["rules", "set", "b", "--query", "budget", "--pin", "w1", *where], env=follower
    )
    assert made.exit_code == 1 and "follower of http://leader.example:8000" in made.output
    gone = runner.invoke(main, ["rules", "delete", "b", *where], env=follower)
    assert gone.exit_code == 1 and "change them on the leader" in gone.output
    assert runner.invoke(main, ["rules", "list", "--json", *where]).output.strip() == "[]"
