"""The search page in real headless Chromium (Debian's ``chromium``, driven by Playwright).

No browser is downloaded: the tests use the system's Chromium (``SEARCH_CHROMIUM``, else
``chromium`` on PATH, else /usr/bin/chromium) and skip when there is none, unless
``SEARCH_REQUIRE_BROWSER=1`` (set by ``.ci/run``) turns the skip into a failure.
Screenshots of the main states go to ``test-artifacts/browser/`` (git-ignored).
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from search_service import config as settings
from search_service.indexing import writer
from search_service.indexing.store import IndexStore
from search_service.sources import SAMPLE_CORPUS, read_sources
from tests.support.corpus import write_jsonl
from tests.support.gunicorn import start_gunicorn
from tests.support.processes import ROOT, stop
from tests.support.waiting import wait_for

pytestmark = pytest.mark.slow

ARTIFACTS = ROOT / "test-artifacts" / "browser"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
EVIL = {
    "id": "evil",
    "lang": "en",
    "title": "Lighthouse <script>alert('title')</script> keepers",
    "body": "The lighthouse <script>alert('body')</script> keepers met on Tuesday.",
    "url": "https://news.example.org/en/lighthouse",
    "category": "culture",
    "published": "2025-02-01",
}


def _chromium() -> str | None:
    configured = os.environ.get("SEARCH_CHROMIUM")
    if configured:
        return configured if Path(configured).exists() else None
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    return found or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)


def _unavailable(reason: str) -> None:
    if os.environ.get("SEARCH_REQUIRE_BROWSER") == "1":
        pytest.fail(f"SEARCH_REQUIRE_BROWSER=1 but {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser() -> Iterator:
    executable = _chromium()
    if executable is None:
        _unavailable("no Chromium found (apt-get install chromium, or set SEARCH_CHROMIUM)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed (pip install -e '.[test]')")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def query_log(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("browser-log") / "queries.jsonl"


@pytest.fixture(scope="module")
def base_url(tmp_path_factory, query_log) -> Iterator[str]:
    """gunicorn as the Procfile runs it, over the sample corpus plus a hostile article."""
    folder = tmp_path_factory.mktemp("browser")
    extra = write_jsonl(folder / "extra.jsonl", [EVIL])
    index_dir = folder / "index"
    config = settings.load({}, index_dir=index_dir)
    writer.rebuild(IndexStore(index_dir), read_sources([SAMPLE_CORPUS, extra]), config)
    base, process = start_gunicorn(
        index_dir, folder / "gunicorn.log", SEARCH_QUERY_LOG=str(query_log)
    )
    try:
        yield base
    finally:
        stop(process)


@pytest.fixture
def page(browser, request):
    """A fresh page (light system theme, 1024 px wide) that fails the test on any script
    error, console error (a CSP violation is one) or alert."""
    context = browser.new_context(viewport={"width": 1024, "height": 900}, color_scheme="light")
    tab = context.new_page()
    problems: list[str] = []
    tab.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    tab.on(
        "console",
        lambda message: (
            problems.append(f"console: {message.text}") if message.type == "error" else None
        ),
    )
    tab.on(
        "dialog", lambda dialog: (problems.append(f"dialog: {dialog.message}"), dialog.dismiss())
    )
    yield tab
    context.close()
    assert problems == []


def shot(page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def expect(target):
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(target)


def _at(page, pattern: re.Pattern) -> None:
    """Wait until the address bar matches: a full load, or a pushState by the script."""
    expect(page).to_have_url(pattern)


def _status(page) -> str:
    return page.locator("#status").inner_text()


def test_type_see_suggestions_and_pick_one_with_the_keyboard(page, base_url):
    page.goto(base_url + "/?ui=en")
    shot(page, "01-start")
    box = page.get_by_role("combobox", name="Search the news")
    box.focus()
    box.press_sequentially("qarabag", delay=40)
    options = page.locator("#suggestions [role=option]")
    # Earlier keystrokes may show their own suggestions first; the last one wins.
    expect(options.first).to_have_text("Qarabağ")
    assert box.get_attribute("aria-expanded") == "true"
    shot(page, "02-suggestions")

    box.press("ArrowDown")
    assert options.first.get_attribute("aria-selected") == "true"
    assert box.get_attribute("aria-activedescendant") == options.first.get_attribute("id")
    box.press("Enter")
    _at(page, re.compile(r"q=Qaraba%C4%9F"))
    page.wait_for_function("!document.querySelector('#results[aria-busy]')")
    assert box.input_value() == "Qarabağ"
    assert re.match(r"\d+ results?", _status(page))
    assert page.locator(".hit").count() > 0
    assert page.locator("#suggestions").is_hidden()
    shot(page, "03-results")


def test_submitting_closes_the_suggestions_and_ignores_answers_to_earlier_keystrokes(
    page, base_url
):
    page.goto(base_url + "/?ui=en")
    # Slow /suggest down, so that its answers arrive after the search was submitted.
    page.route(
        "**/suggest?*",
        lambda route: (page.wait_for_timeout(400), route.continue_()),
    )
    box = page.get_by_role("combobox", name="Search the news")
    box.focus()
    box.press_sequentially("qarabag", delay=30)
    box.press("Enter")
    _at(page, re.compile(r"q=qarabag"))
    page.wait_for_function("!document.querySelector('#results[aria-busy]')")
    page.wait_for_timeout(1500)  # every pending suggestion answer has arrived by now
    assert page.locator("#suggestions [role=option]:visible").count() == 0
    assert page.locator("#suggestions").is_hidden()
    assert box.get_attribute("aria-expanded") == "false"
    shot(page, "04-submitted-without-suggestions")


def test_page_through_results_and_share_the_url(page, base_url):
    page.goto(base_url + "/?q=the&lang=en&ui=en")
    first_page_title = page.locator(".hit-title").first.inner_text()
    page.get_by_role("navigation", name="Pages").get_by_role(
        "link", name=re.compile("Next")
    ).click()
    _at(page, re.compile(r"page=2"))
    page.locator(".pagination [aria-current=page]", has_text="2").wait_for()
    second_page_title = page.locator(".hit-title").first.inner_text()
    assert second_page_title != first_page_title
    assert page.evaluate("document.activeElement.id") == "status"  # focus follows the page
    shot(page, "04-page-2")

    shared = page.url
    page.go_back()
    page.wait_for_function(
        "t => document.querySelector('.hit-title').innerText === t", arg=first_page_title
    )
    other = page.context.new_page()
    other.goto(shared)
    assert other.locator(".hit-title").first.inner_text() == second_page_title
    other.close()


def test_theme_toggle_is_remembered(page, base_url):
    page.goto(base_url + "/?q=gas&ui=en")
    light = page.evaluate("getComputedStyle(document.body).backgroundColor")
    toggle = page.get_by_role("button", name="Night theme")
    toggle.click()
    assert page.evaluate("document.documentElement.dataset.theme") == "dark"
    dark = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert dark != light
    page.reload()
    assert page.evaluate("document.documentElement.dataset.theme") == "dark"
    assert page.get_by_role("button", name="Light theme").get_attribute("aria-pressed") == "true"
    shot(page, "05-night-theme")


def test_night_theme_follows_the_system_without_a_choice(browser, base_url):
    context = browser.new_context(color_scheme="dark")
    tab = context.new_page()
    tab.goto(base_url + "/")
    background = tab.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(20, 22, 26)"
    context.close()


def test_switch_the_interface_language(page, base_url):
    page.goto(base_url + "/?q=parliament&ui=en")
    page.get_by_role("navigation", name="Interface language").get_by_role("link", name="AZ").click()
    _at(page, re.compile(r"ui=az"))
    assert page.locator("h1").inner_text() == "Nə axtarırsınız?"
    assert page.get_by_role("combobox").get_attribute("placeholder") == "Nə axtarırsınız?"
    assert page.get_by_role("combobox").input_value() == "parliament"
    page.get_by_role("navigation", name="İnterfeys dili").get_by_role("link", name="RU").click()
    _at(page, re.compile(r"ui=ru"))
    assert page.locator("h1").inner_text() == "Что вы ищете?"
    assert "результат" in _status(page)
    shot(page, "06-ui-russian")


def test_apply_a_language_filter_with_facet_counts(page, base_url):
    page.goto(base_url + "/?q=Qarabağ&ui=en")
    page.locator("summary", has_text="Filters").click()
    option = page.locator("#f-lang option[value=az]").inner_text()
    expected = int(re.search(r"\((\d+)\)", option).group(1))
    page.get_by_label("Language", exact=True).select_option("az")
    _at(page, re.compile(r"lang=az"))
    page.wait_for_function("!document.querySelector('#results[aria-busy]')")
    badges = page.locator(".hit .badge").all_inner_texts()
    assert badges and set(badges) == {"AZ"}
    assert _status(page).startswith(f"{expected} result")
    shot(page, "07-filtered")


def test_script_in_an_article_renders_as_text(page, base_url):
    page.goto(base_url + "/?q=lighthouse&ui=en")
    title = page.locator(".hit-title").first.inner_text()
    assert title == "Lighthouse <script>alert('title')</script> keepers"
    assert "<script>alert('body')</script>" in page.locator(".snippet").first.inner_text()
    assert page.locator(".hit script").count() == 0
    # The suggestion list shows titles as text too.
    box = page.get_by_role("combobox")
    box.fill("")
    box.press_sequentially("lighth", delay=30)
    page.locator("#suggestions [role=option]", has_text="<script>").first.wait_for()
    assert page.locator("#suggestions script").count() == 0
    shot(page, "08-script-as-text")


def test_keyboard_only_and_a_360_px_phone(browser, base_url):
    context = browser.new_context(viewport={"width": 360, "height": 740}, color_scheme="light")
    tab = context.new_page()
    tab.goto(base_url + "/?ui=en")
    for _ in range(8):  # tab from the top until the search box has focus
        tab.keyboard.press("Tab")
        if tab.evaluate("document.activeElement.id") == "q":
            break
    assert tab.evaluate("document.activeElement.id") == "q"
    outline = tab.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"
    tab.keyboard.type("baku")
    tab.locator("#suggestions [role=option]").first.wait_for()
    tab.keyboard.press("Escape")  # closes the suggestions, keeps the text
    assert tab.locator("#suggestions").is_hidden()
    assert tab.get_by_role("combobox").input_value() == "baku"
    tab.keyboard.press("Enter")
    _at(tab, re.compile(r"q=baku"))
    tab.locator(".hit").first.wait_for()
    assert tab.evaluate("document.documentElement.scrollWidth") <= 360
    shot(tab, "09-phone-360")
    context.close()


def test_the_page_works_without_javascript(browser, base_url):
    context = browser.new_context(java_script_enabled=False)
    tab = context.new_page()
    tab.goto(base_url + "/?ui=en")
    assert tab.locator("#theme-toggle").is_hidden()
    tab.get_by_role("combobox").fill("parliament")
    tab.get_by_role("button", name="Search", exact=True).click()
    _at(tab, re.compile(r"q=parliament"))
    assert tab.locator(".hit").count() > 0
    tab.locator("summary", has_text="Filters").click()
    tab.get_by_label("Language", exact=True).select_option("en")
    tab.get_by_role("button", name="Apply").click()
    _at(tab, re.compile(r"lang=en"))
    assert set(tab.locator(".hit .badge").all_inner_texts()) == {"EN"}
    shot(tab, "10-no-javascript")
    context.close()


def test_following_a_result_sends_a_click_that_analytics_reports(page, base_url, query_log, cli):
    page.route("https://news.example.org/**", lambda route: route.fulfill(body="the article"))
    page.goto(base_url + "/?q=lighthouse+keepers&ui=en")
    link = page.locator(".hit-title a").first
    assert link.get_attribute("href") == "https://news.example.org/en/lighthouse"  # no redirect
    link.click()
    _at(page, re.compile(r"news\.example\.org/en/lighthouse"))

    def clicked() -> dict | None:
        summary = json.loads(cli("analytics", "--log", query_log, "--json").stdout)
        return summary if summary["clicks"] else None

    summary = wait_for(clicked, 10, "the click in the query log")
    [row] = [row for row in summary["top_queries"] if row["q"] == "lighthouse keepers"]
    assert (row["clicks"], row["click_through_rate"], row["mean_clicked_position"]) == (1, 1, 1)
