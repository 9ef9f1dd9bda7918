"""The reader's search page at ``/``: server-rendered, complete without JavaScript.

A plain GET form; ``static/search.js`` enhances it (suggestions, results without a reload).
With the ``X-Partial: content`` header the view returns only the filters and results, which
the script swaps in; the full page and the fragment come from the same templates, so article
text is escaped by Jinja in both. Each search is written to the query log and counted in the
metrics like one of ``/search``, except when the script only restores a view on "back"
(``X-Replay: history``), which is no new search by the reader.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, g, render_template, request
from flask_babel import get_locale, lazy_gettext

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
            if request.headers.get("X-Replay") != "history":
                g.search_response = response  # logged and counted like /search (web/ops.py)
                view["search_id"] = g.request_id  # what a followed result's click names
        except ApiError as exc:
            view["error"], status = exc.message, exc.status
    view["filtered"] = any(name in args for name in FILTERS)
    view["url"] = _url
    view["link"] = _safe_link
    view["ui_links"] = [(code, _url(args, ui=code)) for code in ui_languages()]
    return _html(view, status)


# Errors answered before the search runs, in the reader's words (the rest show their message).
PAGE_ERRORS = {
    "uri_too_long": lazy_gettext(
        "This address is too long to search. Shorten the query (at most 1,000 characters) "
        "or remove some filters."
    ),
    "request_header_fields_too_large": lazy_gettext(
        "Your browser sent too much data with this request (often too many cookies). "
        "Clear this site's cookies and try again."
    ),
    "too_many_requests": lazy_gettext(
        "Too many searches from your address in a short time. Wait a minute and try again."
    ),
}


def error_page(status: int, code: str, message: str) -> Response:
    """An error of a request to the page (414, 429, 431...) as the page itself, in the
    reader's language, instead of the API's JSON."""
    args = {} if code == "uri_too_long" else {k: v for k, v in request.args.items() if v.strip()}
    view: dict[str, Any] = {
        "ui": str(get_locale()),
        "args": args,
        "q": args.get("q", "").strip()[:1000],
        "error": str(PAGE_ERRORS.get(code, message)),
        "filtered": False,
        "url": _url,
        "link": _safe_link,
        "ui_links": [(c, _url({}, ui=c)) for c in ui_languages()],
    }
    return _html(view, status)


def _html(view: dict[str, Any], status: int) -> Response:
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


def _safe_link(url: str | None) -> str:
    """Article URLs only when they are http(s) or site-relative: validation refuses others,
    and a build made before it did must not turn a ``javascript:`` URL into a link."""
    if url and (url.lower().startswith(("https://", "http://")) or url.startswith("/")):
        return "#" if url.startswith(("//", "/\\")) else url
    return "#"


def _pages(current: int, total: int, response: Any) -> list[int]:
    last = max(1, min(-(-total // response.per_page), 10000 // response.per_page))
    low, high = max(1, current - PAGE_WINDOW), min(last, current + PAGE_WINDOW)
    return sorted({1, *range(low, high + 1), last})
