"""The search page at / without a browser: markup, escaping, languages, security headers."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

EVIL = {
    "id": "evil",
    "lang": "en",
    "title": "Harbour <script>alert('title')</script> report",
    "body": "The harbour <script>alert('body')</script> was busy.",
    "url": "javascript:alert(1)",
    "category": "<i>news</i>",
    "published": "2025-03-14",
}


class _Scan(HTMLParser):
    """Collects scripts and event-handler attributes of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[dict[str, str | None]] = []
        self.handlers: list[str] = []
        self.script_text = ""
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self.handlers += [name for name, _ in attrs if name.startswith("on")]
        if tag == "script":
            self.scripts.append(dict(attrs))
            self._in_script = True

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.script_text += data


def _scan(html: str) -> _Scan:
    scan = _Scan()
    scan.feed(html)
    return scan


def _page(client, **params):
    headers = params.pop("headers", {})
    response = client.get("/", query_string=params, headers=headers)
    return response, response.get_data(as_text=True)


def test_page_has_no_inline_script_and_a_csp_that_forbids_it(client):
    response, html = _page(client, q="parliament")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    csp = response.headers["Content-Security-Policy"]
    script_src = re.search(r"script-src ([^;]+)", csp).group(1)
    assert script_src.strip() == "'self'"  # no 'unsafe-inline', no hashes or nonces
    scan = _scan(html)
    assert scan.scripts and all(s.get("src", "").startswith("/static/") for s in scan.scripts)
    assert scan.script_text.strip() == ""
    assert scan.handlers == []


def test_static_assets_are_served(client):
    for name in ("search.js", "theme.js", "search.css"):
        assert client.get(f"/static/{name}").status_code == 200


def test_start_page_asks_what_you_are_looking_for(client):
    response, html = _page(client)
    assert response.status_code == 200
    assert '<h1 id="heading">What are you looking for?</h1>' in html
    assert 'placeholder="What are you looking for?"' in html
    assert '<label for="q"' in html


@pytest.mark.parametrize(
    ("params", "headers", "heading"),
    [
        ({"ui": "ru"}, {}, "Что вы ищете?"),
        ({"ui": "az"}, {"Accept-Language": "ru"}, "Nə axtarırsınız?"),
        ({}, {"Accept-Language": "az-AZ,az;q=0.9,en;q=0.5"}, "Nə axtarırsınız?"),
        ({}, {"Accept-Language": "ru-RU,ru;q=0.9"}, "Что вы ищете?"),
        ({}, {"Accept-Language": "de"}, "What are you looking for?"),
        ({}, {"Accept-Language": "az, ru"}, "Что вы ищете?"),  # a tie: the first offered
        ({}, {"Accept-Language": "*"}, "What are you looking for?"),
        ({"ui": "xx"}, {}, "What are you looking for?"),
    ],
)
def test_interface_language_from_ui_parameter_then_accept_language(
    client, params, headers, heading
):
    _, html = _page(client, headers=headers, **params)
    assert f">{heading}</h1>" in html


def test_results_show_title_link_snippet_localised_date_category_and_badge(client):
    _, html = _page(client, q="парламент", ui="ru", lang="ru")
    assert "результат" in html
    assert 'href="https://news.example.org/ru/' in html
    assert "<mark>" in html
    assert re.search(r"<time datetime=\"2024-10-15[^\"]*\">15 октября 2024\u202fг.</time>", html)
    assert '<span class="badge" title="Русский">RU</span>' in html
    assert '<span class="category">politics</span>' in html
    _, english = _page(client, q="parliament", ui="en")
    assert "October 15, 2024" in english
    _, azeri = _page(client, q="parlament", ui="az")
    assert "15 oktyabr 2024" in azeri


def test_article_text_is_escaped_and_javascript_urls_are_not_links(search_client):
    client = search_client([EVIL])
    _, html = _page(client.http, q="harbour")
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&#39;title&#39;)&lt;/script&gt;" in html or (
        "&lt;script&gt;alert('title')&lt;/script&gt;" in html
    )
    assert "&lt;script&gt;alert('body')" in html or "&lt;script&gt;alert(&#39;body&#39;)" in html
    assert "<i>news</i>" not in html and "&lt;i&gt;news&lt;/i&gt;" in html
    assert "javascript:" not in html
    assert _scan(html).script_text.strip() == ""


def test_filters_show_facet_counts_and_keep_the_selection(client):
    _, html = _page(client, q="gas")
    body = client.get("/search?q=gas").get_json()
    for code, count in body["facets"]["lang"].items():
        assert re.search(rf'<option value="{code}" >\s*\w+ \({count}\)</option>', html)
    for year, count in body["facets"]["year"].items():
        assert f">{year} ({count})</a>" in html
    _, filtered = _page(client, q="gas", lang="ru")
    assert re.search(r'<option value="ru" selected>', filtered)
    assert "Clear filters" in filtered


def test_pagination_links_reproduce_the_view(client):
    _, html = _page(client, q="the", per_page=2, lang="en")
    assert 'rel="next" href="/?q=the&amp;per_page=2&amp;lang=en&amp;page=2"' in html
    _, second = _page(client, q="the", per_page=2, lang="en", page=2)
    assert 'aria-current="page" class="current">2<' in second
    assert 'rel="prev" href="/?q=the&amp;per_page=2&amp;lang=en"' in second


def test_zero_results_suggest_removing_filters_and_a_spelling(client):
    _, html = _page(client, q="parliment", lang="ru")
    assert "Nothing matches with the current filters." in html
    assert 'href="/?q=parliment">Search without filters' in html
    _, spelled = _page(client, q="parliment")
    assert (
        'Did you mean\n        <a data-nav href="/?q=parliament"><strong>parliament</strong>'
        in spelled
    )


def test_partial_request_returns_only_filters_and_results(client):
    response = client.get("/?q=gas", headers={"X-Partial": "content"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in html and 'id="results"' in html and 'name="lang"' in html
    assert "X-Partial" in response.headers["Vary"]


def test_invalid_parameters_are_shown_on_the_page_not_as_json(client):
    response, html = _page(client, q="gas", page="0")
    assert response.status_code == 400
    assert response.mimetype == "text/html"
    assert "parameter &#39;page&#39; must be at least 1" in html
