"""Article extraction quality on the test site: body words kept, page furniture kept out.

Not a test: it prints figures. The test site (``tests/site``) is served on 127.0.0.1 and read
by the real sitemap source, once with no site options (trafilatura alone) and once with the
site's ``prune`` XPaths (related articles, the "read also" box, photo captions), as in
``tests/test_sources_site.py``. For each article
page the truth is the page's own markup: the words of its ``.article-body`` paragraphs.

- recall: the share of those body words that are in the extracted body;
- precision: the share of the extracted body's words that are body words;
- furniture: every text of the top bar, menu, category label, A+/A- buttons, photo caption,
  "read also" link inside the article, share bar, related articles, sidebar and footer (in
  the page's language) that appears in the extracted title, lead or body. It must be none.

Target: precision and recall ≥ 0.97 on every page, no furniture.

Example::

    .venv/bin/python -m bench.extraction
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from collections import Counter
from pathlib import Path

from bs4 import BeautifulSoup

from search_service import config as settings
from search_service.indexing.store import IndexStore
from search_service.sources.spec import SourceSpec
from search_service.sources.sync import sync_source
from tests.support.site_server import SITE, SiteServer

FURNITURE = (
    ".topbar, header, nav, .category-label, .font-size, .share-bar, .related-articles, "
    ".sidebar, footer, .read-also, figcaption"
)
_WORD = re.compile(r"\w+")
OPTIONS = {
    "defaults": {},
    "site options": {
        "prune": [
            "//section[contains(@class, 'related-articles')]",
            "//div[contains(@class, 'read-also')]",
            "//figure",
        ]
    },
}


def words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text)]


def truth(path: Path) -> tuple[list[str], list[str]]:
    """The body words of a page and every furniture text on it."""
    soup = BeautifulSoup(path.read_text("utf-8"), "lxml")
    body = " ".join(p.get_text(" ") for p in soup.select(".article-body p"))
    furniture = [
        text.strip()
        for element in soup.select(FURNITURE)
        for text in element.find_all(string=True)
        if len(words(text)) >= 1 and text.strip()
    ]
    return words(body), furniture


def score(expected: list[str], got: list[str]) -> tuple[float, float]:
    common = sum((Counter(expected) & Counter(got)).values())
    return common / max(len(got), 1), common / max(len(expected), 1)


def run(name: str, extra: dict) -> bool:
    ok = True
    with tempfile.TemporaryDirectory() as folder, SiteServer(slow_seconds=0.1) as site:
        index_dir = Path(folder) / "index"
        spec = SourceSpec(
            "site",
            "sitemap",
            {"url": site.base + "/sitemap.xml", "delay": 0, "timeout": 2, **extra},
            retries=0,
        )
        config = settings.load({}, index_dir=index_dir)
        sync_source(IndexStore(index_dir), config, spec)
        _, ix = IndexStore(index_dir).open_current()
        with ix.searcher() as searcher:
            documents = {d["url"]: d for d in searcher.documents()}
        print(f"\n{name}: {len(documents)} articles extracted")
        print(f"  {'page':<50} {'precision':>9} {'recall':>7}  furniture kept")
        for page in sorted((SITE).glob("*/news/*.html")):
            url = f"{site.base}/{page.relative_to(SITE).as_posix()}"
            document = documents.get(url)
            expected, furniture = truth(page)
            if document is None:
                print(f"  {page.name:<50} {'missing':>9}")
                ok = False
                continue
            extracted = "\n".join((document["title"], document["lead"], document["body"]))
            precision, recall = score(expected, words(document["lead"] + " " + document["body"]))
            kept = [text for text in furniture if text in extracted]
            ok &= precision >= 0.97 and recall >= 0.97 and not kept
            print(f"  {page.name:<50} {precision:>9.3f} {recall:>7.3f}  {kept or '-'}")
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.parse_args(argv)
    results = [run(name, extra) for name, extra in OPTIONS.items()]
    verdicts = [f"{n} {'met' if r else 'NOT met'}" for n, r in zip(OPTIONS, results, strict=True)]
    print("\ntarget (precision and recall ≥ 0.97 per page, no furniture):", ", ".join(verdicts))
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
