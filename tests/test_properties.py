"""Property-based tests: arbitrary Unicode, control characters, huge and empty inputs at the
query parser, the JSON Lines reader and every endpoint's parameters. The answer is always a
2xx or 4xx JSON body, never a 500 and never an exception."""

from __future__ import annotations

import io
import json
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from search_service import config as settings_module
from search_service import create_app
from search_service.articles import Article
from search_service.errors import ArticleError
from search_service.indexing import writer
from search_service.indexing.schema import build_schema, language_groups
from search_service.indexing.store import IndexStore
from search_service.searching import query as reader_query
from search_service.sources import SAMPLE_CORPUS, read_sources, read_stream

# Hundreds of generated inputs per test: minutes, not seconds.
pytestmark = pytest.mark.slow

TOKEN = "property-token"
BOUNDED = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
# Any text: all of Unicode but surrogates, control characters included, sometimes very long.
ANY_TEXT = st.one_of(
    st.text(max_size=60),
    st.text(alphabet=st.characters(max_codepoint=0x7F), max_size=60),
    st.text(min_size=900, max_size=3000),
    st.sampled_from(["", " ", '"', '-"', "--", "-", "*", "a*", "~2", "title:x", "\x00", "İı"]),
)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
ARTICLE_LIKE = st.fixed_dictionaries(
    {"id": st.one_of(st.text(max_size=30), JSON_VALUES)},
    optional={
        name: st.one_of(st.text(max_size=200), JSON_VALUES)
        for name in ("title", "lead", "body", "lang", "url", "category", "published", "tags")
    },
)


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    """Its own copy of the sample index: the admin tests write to it."""
    index_dir = tmp_path_factory.mktemp("properties") / "index"
    config = settings_module.load({}, index_dir=index_dir)
    writer.rebuild(IndexStore(index_dir), read_sources([SAMPLE_CORPUS]), config)
    return create_app({"index_dir": index_dir, "admin_token": TOKEN, "ratelimit": "1000000/second"})


def assert_json_answer(response) -> None:
    assert response.status_code < 500, response.get_data(as_text=True)
    assert response.is_json
    body = response.get_json()
    if response.status_code >= 400:
        assert isinstance(body["error"], str) and isinstance(body["message"], str)


@BOUNDED
@given(text=ANY_TEXT)
def test_the_query_parser_accepts_any_text(text):
    clauses = reader_query.parse(text)
    schema = build_schema(("en", "ru", "az"))
    reader_query.build(clauses[:32], schema, language_groups(schema))


@BOUNDED
@given(
    lines=st.lists(
        st.one_of(st.binary(max_size=200), ARTICLE_LIKE.map(json.dumps).map(str.encode)), max_size=8
    )
)
def test_the_json_lines_reader_yields_an_article_or_an_error_for_any_bytes(lines):
    stream = io.BytesIO(b"\n".join(lines))
    for item in read_stream(stream, "<property>"):
        assert isinstance(item, (Article, ArticleError))
        if isinstance(item, ArticleError):
            assert item.reason


SEARCH_PARAMS = st.dictionaries(
    st.sampled_from(["q", "page", "per_page", "lang", "sort", "from", "to", "category", "x"]),
    ANY_TEXT | st.integers(-(10**12), 10**12).map(str),
    max_size=9,
)


@BOUNDED
@given(params=SEARCH_PARAMS)
def test_search_answers_json_for_any_parameters(app, params):
    assert_json_answer(app.test_client().get("/search", query_string=params))


@BOUNDED
@given(path=st.sampled_from(["/healthz", "/metrics", "/admin/jobs/x"]), params=SEARCH_PARAMS)
def test_other_endpoints_ignore_or_refuse_any_parameters(app, path, params):
    response = app.test_client().get(
        path, query_string=params, headers={"Authorization": f"Bearer {TOKEN}"}
    )
    if path == "/metrics":
        assert response.status_code == 200
    else:
        assert_json_answer(response)


@BOUNDED
@given(
    body=st.one_of(JSON_VALUES, ARTICLE_LIKE, st.lists(ARTICLE_LIKE, max_size=4)),
    article_id=st.text(min_size=1, max_size=30).filter(lambda s: "/" not in s),
)
def test_admin_writes_answer_json_for_any_body(app, body, article_id):
    random.seed()  # Whoosh names segments with `random`, which hypothesis pins per example
    client = app.test_client()
    auth = {"Authorization": f"Bearer {TOKEN}"}
    assert_json_answer(client.post("/admin/articles", json=body, headers=auth))
    assert_json_answer(client.put(f"/admin/articles/{article_id}", json=body, headers=auth))


@BOUNDED
@given(raw=st.binary(max_size=300))
def test_admin_batch_answers_json_for_any_bytes(app, raw):
    random.seed()
    auth = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/x-ndjson"}
    assert_json_answer(app.test_client().post("/admin/articles", data=raw, headers=auth))
