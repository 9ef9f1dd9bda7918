"""`search-service sync` from the site itself: a real HTTP server on 127.0.0.1 serving the news
site of ``tests/site`` (sitemap index, feed, robots.txt, and pages that fail in every way)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from test_reader_api import _check

from search_service import config as settings
from search_service import create_app
from search_service.cli import main
from search_service.indexing.store import IndexStore
from tests.support.corpus import write_jsonl
from tests.support.processes import ROOT
from tests.support.site_server import SITE, SiteServer
from tests.support.waiting import wait_for

AGENT = "CaspianSearchBot/1.0 (+https://news.example.org/bot)"
ARTICLES = {
    "/en/news/101-central-bank-keeps-key-rate.html": "en",
    "/en/news/102-ferry-line-caspian-ports.html": "en",
    "/ru/news/201-vystavka-kovrov.html": "ru",
    "/ru/news/202-novye-avtobusy.html": "ru",
    "/az/news/301-pambiq-mehsulu.html": "az",
    "/az/news/302-kitabxana-gecesi.html": "az",
}
# Text of the page around the article, in each language: none of it may be indexed.
CHROME = [
    "WHAT ARE YOU LOOKING FOR",
    "Any reuse of our materials",
    "All rights reserved",
    "Manat holds steady ahead of budget talks",
    "Rail freight to Georgia grows",
    "Exchange rates for the weekend",
    "Фестиваль мугама пройдет в Шуше",
    "Любое использование материалов",
    "Taxıl ixracı rekord həddə çatıb",
    "Bütün hüquqlar qorunur",
    "Instagram",
    "Photo: press service",
    "Читайте также",
    "Həmçinin oxuyun",
    "Погода: в пятницу ожидаются дождь",
    "Telegram",
]


@pytest.fixture
def site(tmp_path: Path) -> Iterator[SiteServer]:
    """The test site, served from a copy this test may change."""
    root = tmp_path / "site"
    shutil.copytree(SITE, root)
    with SiteServer(root, slow_seconds=2.0) as server:
        yield server


def sources_file(folder: Path, site: SiteServer, kind: str = "sitemap", **extra: str) -> Path:
    url = {"sitemap": "/sitemap.xml", "feed": "/feed.xml"}[kind]
    lines = [
        "[[sources]]",
        f'name = "{kind}"',
        f'kind = "{kind}"',
        f'url = "{site.base}{url}"',
        "delay = 0",
        "timeout = 0.5",
        "retries = 1",
        "backoff = 0.05",
        "prune = [\"//section[contains(@class, 'related-articles')]\", "
        "\"//div[contains(@class, 'read-also')]\", '//figure']",
        r"id_pattern = '/(en|ru|az)/news/(\d+)-'",
        *(f"{key} = {value}" for key, value in extra.items()),
    ]
    path = folder / f"{kind}.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def sync(index_dir: Path, config: Path, *args: str) -> Any:
    result = CliRunner().invoke(
        main,
        ["sync", "--config", str(config), "--index-dir", str(index_dir), *args],
        env={"SEARCH_USER_AGENT": AGENT},
    )
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


def indexed(index_dir: Path) -> dict[str, dict[str, Any]]:
    _, ix = IndexStore(index_dir).open_current()
    with ix.searcher() as searcher:
        return {document["id"]: document for document in searcher.documents()}


def test_a_sitemap_index_brings_in_every_article_in_three_languages(site, tmp_path):
    done = sync(tmp_path / "index", sources_file(tmp_path, site))
    # The 500 page and the page that times out are named; everything else is applied.
    assert done.exit_code == 1
    assert "sitemap (sitemap, pass): added 6, updated 0, deleted 0, rejected 0, " in done.stdout
    assert "fetch errors 2" in done.stdout
    assert "/en/news/500-broken.html answered 500 (after 2 attempts)" in done.stderr
    assert "/en/news/slow.html cannot be reached: timed out" in done.stderr
    articles = indexed(tmp_path / "index")
    assert sorted(articles) == ["az-301", "az-302", "en-101", "en-102", "ru-201", "ru-202"]
    assert {a["lang"] for a in articles.values()} == {"en", "ru", "az"}
    assert articles["az-302"]["lang"] == "az"  # no <html lang>: from the /az/ path prefix
    first = articles["en-101"]
    assert first["title"] == "Central bank keeps its key rate at 7.25 percent"
    assert first["author"] == "Leyla Mammadova"
    assert first["published"] == "2025-03-12T14:35:00+04:00"
    assert first["url"] == f"{site.base}/en/news/101-central-bank-keeps-key-rate.html"
    assert articles["ru-201"]["body"].startswith("В музее ковра в Баку в четверг открылась")
    # The redirect was followed and the article kept under its canonical id and URL.
    assert site.fetched("/en/news/old-ferry-link.html", 301) == 1
    assert articles["en-102"]["url"].endswith("/en/news/102-ferry-line-caspian-ports.html")
    # robots.txt obeyed, every request made as the configured agent, the PDF not indexed.
    assert site.fetched("/private/draft.html") == 0
    assert site.fetched("/robots.txt") == 1
    assert {agent for _, _, agent in site.requests} == {AGENT}
    assert site.fetched("/files/report.pdf", 200) == 1


def test_navigation_footer_and_related_articles_stay_out_of_the_index(site, tmp_path, run_search):
    sync(tmp_path / "index", sources_file(tmp_path, site))
    for phrase in CHROME:
        found = run_search(tmp_path / "index", f'"{phrase}"')
        assert found.total == 0, f"{phrase!r} was indexed: {[h.id for h in found.results]}"
    assert run_search(tmp_path / "index", '"monetary policy committee"').total == 1
    assert run_search(tmp_path / "index", "pambıq").total == 1


def test_an_unchanged_site_is_not_downloaded_again_and_a_changed_page_is(site, tmp_path):
    config = sources_file(tmp_path, site)
    sync(tmp_path / "index", config)
    page = "/en/news/101-central-bank-keeps-key-rate.html"
    assert site.fetched(page) == 1
    again = sync(tmp_path / "index", config)
    assert "added 0, updated 0, deleted 0" in again.stdout
    assert site.fetched(page) == 1  # its lastmod did not change: not requested at all
    full = sync(tmp_path / "index", config, "--full")
    assert "full pass" in full.stdout and "deleted 0" in full.stdout
    assert site.fetched(page, 304) == 1  # conditional request, nothing downloaded
    file = site.root / page.lstrip("/")
    file.write_text(file.read_text().replace("7.25 percent", "7.00 percent"))
    sitemap = site.root / "sitemap-en.xml"
    sitemap.write_text(
        sitemap.read_text().replace(
            "<lastmod>2025-03-12T14:35:00+04:00</lastmod>",
            "<lastmod>2025-03-18T08:00:00+04:00</lastmod>",
        )
    )
    changed = sync(tmp_path / "index", config)
    assert "added 0, updated 1, deleted 0" in changed.stdout
    assert indexed(tmp_path / "index")["en-101"]["title"].endswith("7.00 percent")


def test_a_page_gone_404_is_removed_by_a_full_pass_but_never_while_the_site_is_down(site, tmp_path):
    config = sources_file(tmp_path, site)
    index_dir = tmp_path / "index"
    sync(index_dir, config)
    (site.root / "ru/news/202-novye-avtobusy.html").unlink()
    assert "deleted 0" in sync(index_dir, config).stdout  # lastmod unchanged: not noticed
    site.down = True
    down = sync(index_dir, config, "--full")
    assert down.exit_code == 1 and "FAILED" in down.stdout and "503" in down.stdout
    assert len(indexed(index_dir)) == 6
    site.down = False
    full = sync(index_dir, config, "--full")
    assert "deleted 1," in full.stdout
    assert sorted(indexed(index_dir)) == ["az-301", "az-302", "en-101", "en-102", "ru-201"]


def test_a_feed_brings_in_its_items(site, tmp_path):
    done = sync(tmp_path / "index", sources_file(tmp_path, site, "feed"))
    assert done.exit_code == 0, done.output
    assert "feed (feed, pass): added 3" in done.stdout
    assert sorted(indexed(tmp_path / "index")) == ["az-302", "en-102", "ru-202"]


def test_a_directory_of_saved_pages_is_a_source(tmp_path):
    saved = tmp_path / "saved"
    for path in ARTICLES:
        target = saved / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        text = (SITE / path.lstrip("/")).read_text().replace("{{SITE}}", "https://news.example.org")
        target.write_text(text)
    config = tmp_path / "pages.toml"
    config.write_text(
        '[[sources]]\nname = "archive"\nkind = "pages"\n'
        f'path = "{saved}"\nbase_url = "https://news.example.org/"\n'
        '[sources.selectors]\ncategory = ".category-label"\n'
    )
    done = sync(tmp_path / "index", config)
    assert done.exit_code == 0, done.output
    articles = indexed(tmp_path / "index")
    first = "https://news.example.org/en/news/101-central-bank-keeps-key-rate.html"
    assert len(articles) == 6 and articles[first]["category"] == "ANALYTICS"
    (saved / "en/news/102-ferry-line-caspian-ports.html").unlink()
    full = sync(tmp_path / "index", config, "--full")
    assert "added 0, updated 0, deleted 1" in full.stdout, full.stdout
    assert len(indexed(tmp_path / "index")) == 5


def test_healthz_and_metrics_show_each_source(site, tmp_path):
    sync(tmp_path / "index", sources_file(tmp_path, site))
    client = create_app({"index_dir": tmp_path / "index"}).test_client()
    answer = client.get("/healthz")
    _check("/healthz", answer)  # as the OpenAPI document describes it
    health = answer.get_json()
    source = health["sources"]["sitemap"]
    # Seven listed URLs hold an article: the six, and the old link redirecting to one of them.
    assert source["kind"] == "sitemap" and source["watermark"]["pages"] == 7
    assert source["watermark"]["newest_lastmod"] == "2025-03-16T20:30:00+04:00"
    assert "slow.html" in source["last_error"] and source["last_success"]
    metrics = client.get("/metrics").get_data(as_text=True)
    assert 'search_source_last_success_timestamp_seconds{source="sitemap"}' in metrics
    assert 'search_source_lag_seconds{source="sitemap"}' in metrics
    assert 'search_source_errors_total{source="sitemap"} 2.0' in metrics


def test_the_example_sources_file_covers_every_kind_and_loads(monkeypatch):
    from search_service.sources import spec
    from search_service.sources.sync import open_reader

    specs = spec.load(ROOT / "sources.example.toml")
    assert sorted({s.kind for s in specs}) == sorted(spec.KINDS)
    monkeypatch.setenv("CMS_DATABASE_URL", "postgresql+psycopg://search:secret@db.internal/news")
    config = settings.load({})
    for source in specs:
        open_reader(source, config)  # every key is one its reader knows


def saved_pages(folder: Path, paths: list[str]) -> Path:
    """Pages of the site saved under ``folder``/saved, and a sources file reading them."""
    saved = folder / "saved"
    for path in paths:
        target = saved / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text((SITE / path.lstrip("/")).read_text())
    config = folder / "pages.toml"
    config.write_text(
        f'[[sources]]\nname = "archive"\nkind = "pages"\npath = "{saved}"\n'
        'base_url = "https://news.example.org/"\n' + r"id_pattern = '/news/(\d+)-'" + "\n"
    )
    return config


def test_after_a_reindex_replaced_the_build_a_source_is_read_again_from_the_start(tmp_path):
    config = saved_pages(tmp_path, list(ARTICLES)[:2])
    index_dir = tmp_path / "index"
    assert sync(index_dir, config).exit_code == 0
    export = write_jsonl(tmp_path / "export.jsonl", [{"id": "x-1", "title": "From an export"}])
    CliRunner().invoke(main, ["reindex", str(export), "--index-dir", str(index_dir)])
    assert sorted(indexed(index_dir)) == ["x-1"]
    again = sync(index_dir, config)
    assert "added 2," in again.stdout, again.output
    assert sorted(indexed(index_dir)) == ["101", "102", "x-1"]


def test_sync_every_keeps_running_and_picks_up_a_new_page(tmp_path, spawn):
    first, second = list(ARTICLES)[:2]
    config = saved_pages(tmp_path, [first])
    index_dir = tmp_path / "index"
    worker = spawn("search-service", "sync", "--every", "0.5", "--index-dir", index_dir,
                   env={"SEARCH_SOURCES_FILE": str(config)})  # fmt: skip

    def indexed_as(ids: list[str]) -> None:
        def done() -> bool:
            if IndexStore(index_dir).current() is not None and sorted(indexed(index_dir)) == ids:
                return True
            assert worker.poll() is None, "the worker exited"
            return False

        wait_for(done, 60, f"{ids} indexed", interval=0.1)

    indexed_as(["101"])
    saved_pages(tmp_path, [second])
    indexed_as(["101", "102"])
    assert worker.poll() is None
