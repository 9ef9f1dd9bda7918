"""search_service: full-text search for a trilingual news site (Whoosh + Flask).

``create_app`` is the gunicorn entry point. It opens nothing at import or creation time, so
each forked worker opens its own index handle on its first request.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from . import config as settings
from .analysis import check_languages
from .indexing.store import IndexHandle, IndexStore
from .searching import scoring
from .searching.cache import ResultCache

__all__ = ["create_app"]


def create_app(overrides: Mapping[str, Any] | None = None) -> Flask:
    """Build the web app: defaults, then ``SEARCH_*`` environment, then ``overrides``."""
    from . import web

    app = Flask(__name__)
    config = settings.load(**dict(overrides or {}))
    check_languages(config.languages)
    store = IndexStore(
        config.index_dir, lock_timeout=config.lock_timeout, keep_builds=config.keep_builds
    )
    app.extensions["search_service"] = web.State(
        config, store, IndexHandle(store, scoring.weighting), ResultCache(config.cache_size)
    )
    app.json = web.JsonProvider(app)  # orjson; UTF-8 as is, keys in order
    app.logger.setLevel(config.log_level.upper())
    web.init_app(app)
    if config.trusted_proxies:
        # Only the entries the trusted proxies appended count: what a client sent itself is
        # further left and ignored, so it cannot pick its own address or scheme.
        hops = config.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
    return app
