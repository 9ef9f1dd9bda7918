"""The reader's search page at ``/``: server-rendered, complete without JavaScript.

A plain GET form; ``static/search.js`` enhances it (suggestions, results without a reload).
With the ``X-Partial: content`` header the view returns only the filters and results, which
the script swaps in; the full page and the fragment come from the same templates, so article
text is escaped by Jinja in both.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, render_template, request
from flask_babel import get_locale

from ..errors import ApiError
from ..searching.searcher import search, settings_options
from . import state
from .api import parse_search_args
from .i18n import ui_languages

pages = Blueprint("pages", __name__)

# Scripts only from this origin, never inline; the page itself calls only this origin.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
FILTERS = ("lang", "category", "from", "to", "tags")
PAGE_WINDOW = 2  # pages shown either side of the current one


@pages.get("/")
def search_page():
    args = {k: v for k, v in request.args.items() if v.strip()}
    view: dict[str, Any] = {"ui": str(get_locale()), "args": args, "q": args.get("q", "").strip()}
    status = 200
    if view["q"]:
        settings = state().config
        try:
            search_request = parse_search_args(
                settings.max_query_length, settings.max_per_page, settings.max_results_window
            )
            build, searcher = state().handle.searcher()
            response = search(
                searcher, search_request, build=build.id, **settings_options(settings)
            )
            view.update(response=response, pages=_pages(response.page, response.total, response))
        except ApiError as exc:
            view["error"], status = exc.message, exc.status
    view["filtered"] = any(name in args for name in FILTERS)
    view["url"] = _url
    view["link"] = _safe_link
    view["ui_links"] = [(code, _url(args, ui=code)) for code in ui_languages()]
    partial = request.headers.get("X-Partial") == "content"
    html = render_template("_content.html" if partial else "page.html", **view)
    page = Response(html, status=status, mimetype="text/html")
    page.headers["Content-Security-Policy"] = CSP
    page.headers["X-Content-Type-Options"] = "nosniff"
    page.headers["Referrer-Policy"] = "same-origin"
    page.vary.update(("Accept-Language", "X-Partial"))
    return page


def _url(args: dict[str, str], **changes: Any) -> str:
    """This page's URL with some parameters changed (None removes one); page resets to 1
    unless it is one of the changes."""
    merged = {k: v for k, v in args.items() if k != "page"}
    merged.update({k.rstrip("_"): v for k, v in changes.items()})
    kept = {k: v for k, v in merged.items() if v not in (None, "", 1) or k == "q"}
    return "/?" + urlencode(kept)


def _safe_link(url: str) -> str:
    """Article URLs only when they are http(s): a ``javascript:`` URL must not become a link."""
    return url if url.lower().startswith(("https://", "http://")) else "#"


def _pages(current: int, total: int, response: Any) -> list[int]:
    last = max(1, min(-(-total // response.per_page), 10000 // response.per_page))
    low, high = max(1, current - PAGE_WINDOW), min(last, current + PAGE_WINDOW)
    return sorted({1, *range(low, high + 1), last})
