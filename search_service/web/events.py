"""``POST /events/click``: a reader followed a result. The page sends it with
``navigator.sendBeacon`` as the link opens (links stay plain links to the article); it is
appended to the query log beside the search it names, for ``search-service analytics``.

No authentication, like the page itself: a bounded body, strict validation (nothing malformed
is stored) and a rate limit of its own (SEARCH_CLICK_RATELIMIT, in web/ops.py).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, request

from ..articles import ID_FORM, MAX_ID_LENGTH
from ..errors import InvalidEvent
from ..searching import querylog
from . import jsonbody, state
from .ops import REQUEST_ID

events = Blueprint("events", __name__, url_prefix="/events")

# {"search_id": 64 characters, "id": 200, "position": a few digits} and JSON's punctuation.
MAX_BODY = 1024


@events.post("/click")
def click_view():
    request.max_content_length = MAX_BODY  # 413 beyond
    search_id, article_id, position = _click(request.get_data(cache=True))
    path = state().config.query_log
    if path:  # without a query log there is nothing to join a click to
        try:
            querylog.append_click(path, search_id, article_id, position)
        except OSError as exc:  # a full or read-only log disk costs the event, not an error
            current_app.logger.warning("click not logged: %s", exc)
    return "", 204


def _click(body: bytes) -> tuple[str, str, int]:
    event: Any = jsonbody.decode(body)
    if not isinstance(event, dict):
        raise InvalidEvent("the body must be a JSON object", field="body")
    unknown = sorted(set(event) - {"search_id", "id", "position"})
    if unknown:
        raise InvalidEvent(f"unknown field {unknown[0]!r}", field=unknown[0])
    search_id, article_id, position = event.get("search_id"), event.get("id"), event.get("position")
    if not isinstance(search_id, str) or not REQUEST_ID.match(search_id):
        raise InvalidEvent("'search_id' is the search_id of a /search answer", field="search_id")
    if not isinstance(article_id, str) or not ID_FORM.match(article_id):
        raise InvalidEvent(
            f"'id' is an article id: 1 to {MAX_ID_LENGTH} characters, no control characters "
            "and no blanks at its ends",
            field="id",
        )
    window = state().config.max_results_window
    if type(position) is not int or not 1 <= position <= window:
        raise InvalidEvent(f"'position' is a whole number from 1 to {window}", field="position")
    return search_id, article_id, position
