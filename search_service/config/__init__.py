"""Every setting of the service, read once from ``SEARCH_*`` environment variables.

Each setting is declared once, as a typed field of :class:`Config` with its variable, default,
help text and parser; docs/settings.md documents each one and a test keeps the two in step.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from . import values
from .values import Setting, setting


@dataclass(frozen=True)
class Config:
    """Typed settings, one attribute per setting: the one table where a setting is declared
    (its variable, default, help and parser are the field's :func:`setting`). Build it with
    :func:`load` rather than by hand."""

    index_dir: Path = setting(
        "SEARCH_INDEX_DIR",
        "index",
        "Directory holding the index builds and the `current` link (relative to the working "
        "directory). The `--index-dir` option of every command overrides it.",
        Path,
    )
    languages: tuple[str, ...] = setting(
        "SEARCH_LANGUAGES",
        "en,ru,az,tr",
        "Comma-separated ISO 639-1 codes that get a dedicated analyzer (their own fields and "
        "stemmer) in new builds. Articles in any other language use the generic analyzer.",
        values.languages,
    )
    default_language: str = setting(
        "SEARCH_DEFAULT_LANGUAGE",
        "en",
        "Language assumed for an article without `lang` whose language cannot be detected "
        "(for example, text without letters).",
        values.lowercase,
    )
    lock_timeout: float = setting(
        "SEARCH_LOCK_TIMEOUT",
        "30",
        "Seconds a write (reindex, add, delete, rollback) waits for another writer to finish "
        "before it fails.",
        values.positive_float,
    )
    keep_builds: int = setting(
        "SEARCH_KEEP_BUILDS",
        "2",
        "How many complete builds to keep on disk: the live one plus older ones for rollback.",
        values.positive_int,
    )
    merge: str = setting(
        "SEARCH_MERGE",
        "background",
        "How the small segments that `add`, `delete` and admin updates commit are merged: "
        "`background` (a commit never merges; one that leaves a merge due starts "
        "`search-service merge` in a process of its own, at a lower CPU priority), `inline` "
        "(Whoosh's default: a commit merges small segments itself) or `off` (only "
        "`search-service merge` merges).",
        values.choice("background", "inline", "off"),
    )
    merge_factor: int = setting(
        "SEARCH_MERGE_FACTOR",
        "4",
        "Segments of one size tier (tiers grow by this factor) that are merged into one; "
        "smaller keeps fewer segments for searches, larger copies each document fewer times.",
        values.at_least(2),
    )
    merge_max_docs: int = setting(
        "SEARCH_MERGE_MAX_DOCS",
        "50000",
        "Largest segment (documents) a merge makes, so updates never rewrite the large "
        "segments of a full build; a `reindex` starts afresh.",
        values.positive_int,
    )
    max_rejected_share: float = setting(
        "SEARCH_MAX_REJECTED_SHARE",
        "0.1",
        "Largest share of a non-strict `reindex` input (0 to 1) that may be rejected: above it "
        "the new build is not switched in and the live index is unchanged (`--strict` allows "
        "none).",
        values.share,
    )
    max_query_length: int = setting(
        "SEARCH_MAX_QUERY_LENGTH",
        "1000",
        "Longest query, in characters, that `/search` accepts; longer ones get 413.",
        values.positive_int,
    )
    max_query_terms: int = setting(
        "SEARCH_MAX_QUERY_TERMS",
        "32",
        "Most words and phrases of a query that are searched: of a longer query, the rarest "
        "(in the fewest articles); the response says `truncated`. Bounds the cost of a "
        "pasted paragraph.",
        values.positive_int,
    )
    max_per_page: int = setting(
        "SEARCH_MAX_PER_PAGE",
        "100",
        "Largest `per_page` that `/search` accepts.",
        values.positive_int,
    )
    max_results_window: int = setting(
        "SEARCH_MAX_RESULTS_WINDOW",
        "10000",
        "Deepest result a page may reach (`page` × `per_page`); deeper pages get 400, which "
        "keeps one request from ranking the whole index.",
        values.positive_int,
    )
    snippet_chars: int = setting(
        "SEARCH_SNIPPET_CHARS",
        "200",
        "Approximate length of a result snippet, in characters.",
        values.positive_int,
    )
    recency_half_life: float = setting(
        "SEARCH_RECENCY_HALF_LIFE_DAYS",
        "180",
        "Age in days at which an article's recency boost in `sort=relevance` halves (a story "
        "published today scores up to 20 % more, one this old 10 %); 0 turns the boost off.",
        values.non_negative_float,
    )
    cors_origins: tuple[str, ...] = setting(
        "SEARCH_CORS_ORIGINS",
        "",
        "Comma-separated origins (such as `https://news.example.org`) whose pages may call "
        "`/search` and `/suggest` from the browser; `*` allows any; empty allows none.",
        values.origins,
    )
    cache_size: int = setting(
        "SEARCH_CACHE_SIZE",
        "2048",
        "Responses each web worker keeps for repeated searches (least recently used go "
        "first; a new build or an add/delete invalidates them); 0 turns the cache off.",
        values.non_negative_int,
    )
    synonyms_file: str = setting(
        "SEARCH_SYNONYMS_FILE",
        "",
        "Synonyms and transliterations applied at query time (one group per line, see "
        "docs/analysis.md). Empty: the built-in starter file of the region's names; "
        "`none`: no synonyms. Re-read when it changes, without a restart.",
    )
    host: str = setting(
        "SEARCH_HOST",
        "127.0.0.1",
        "Address gunicorn binds to; `0.0.0.0` behind a platform router.",
    )
    # The platform conventions (Heroku, Dokku, Render) gunicorn.conf.py follows.
    port: int = setting("PORT", "8000", "Port gunicorn listens on.", values.positive_int)
    workers: int = setting(
        "WEB_CONCURRENCY",
        "2",
        "gunicorn worker processes (each holds the index open; about one per core).",
        values.positive_int,
    )
    log_level: str = setting(
        "SEARCH_LOG_LEVEL",
        "info",
        "Log level of the web service and the command line (debug, info, warning, error).",
        values.lowercase,
    )
    # The admin API, limits, observability.
    admin_token: str = setting(
        "SEARCH_ADMIN_TOKEN",
        "",
        "Bearer token of the admin API (`/admin/...`). Unset or empty: the admin API is "
        "disabled and answers 404. Never logged.",
        secret=True,
    )
    reindex_source: str = setting(
        "SEARCH_REINDEX_SOURCE",
        "",
        "Comma-separated JSON Lines files that `POST /admin/reindex` rebuilds the index from "
        "(a complete export of the CMS).",
    )
    admin_max_body: int = setting(
        "SEARCH_ADMIN_MAX_BODY",
        "10485760",
        "Largest admin request body, in bytes (default 10 MiB); larger ones get 413.",
        values.positive_int,
    )
    admin_max_batch: int = setting(
        "SEARCH_ADMIN_MAX_BATCH",
        "1000",
        "Most articles one `POST /admin/articles` may carry; more get 413.",
        values.positive_int,
    )
    admin_apply_wait: float = setting(
        "SEARCH_ADMIN_APPLY_WAIT",
        "1.5",
        "Seconds an admin write waits for the writer lock to apply its update at once; after "
        "that (say, during a reindex) it answers 202 and the update is applied when the lock "
        "frees. Either way it is already durable.",
        values.positive_float,
    )
    ratelimit: str = setting(
        "SEARCH_RATELIMIT",
        "600/minute",
        "Per-client rate limit of the public endpoints (the limits library's syntax, e.g. "
        "`20/second;600/minute`); over it a client gets 429 with `Retry-After`.",
        values.rate_limits,
    )
    ratelimit_storage_url: str = setting(
        "SEARCH_RATELIMIT_STORAGE_URL",
        "memory://",
        "Where rate-limit counters live. `memory://` counts per worker process (a client gets "
        "up to workers × the limit); a shared store such as `redis://host:6379` (needs the "
        "`redis` package) counts across workers and machines.",
    )
    suggest_ratelimit: str = setting(
        "SEARCH_SUGGEST_RATELIMIT",
        "1800/minute",
        "Per-client rate limit of `/suggest` (one request per keystroke), a budget separate "
        "from and larger than `SEARCH_RATELIMIT`, which `/search` and the page at `/` share.",
        values.rate_limits,
    )
    click_ratelimit: str = setting(
        "SEARCH_CLICK_RATELIMIT",
        "120/minute",
        "Per-client rate limit of `POST /events/click` (a reader opens a result or two per "
        "search), a budget of its own so clicks never use up a reader's searches.",
        values.rate_limits,
    )
    trusted_proxies: int = setting(
        "SEARCH_TRUSTED_PROXIES",
        "0",
        "How many reverse proxies in front of the service to trust (werkzeug's `ProxyFix`): "
        "with 1 behind nginx, the client address (rate limits) and scheme come from the last "
        "`X-Forwarded-For`/`X-Forwarded-Proto` entry. 0: forwarded headers are ignored, so a "
        "client cannot forge its address.",
        values.non_negative_int,
    )
    replication_token: str = setting(
        "SEARCH_REPLICATION_TOKEN",
        "",
        "Bearer token of the replication endpoints (`/replication/...`) that followers copy "
        "the live build from; the same value on the leader and its followers. Unset or empty: "
        "the endpoints answer 404. Never logged.",
        secret=True,
    )
    leader_url: str = setting(
        "SEARCH_LEADER_URL",
        "",
        "On a follower: the leader's base URL (such as `http://search-leader:8000`), the "
        "default of `search-service follow`; the admin API refuses writes and names it.",
    )
    max_lag: float = setting(
        "SEARCH_MAX_LAG",
        "0",
        "On a follower: seconds behind its leader past which `/healthz` answers 503 so a load "
        "balancer drains it; 0 turns the check off.",
        values.non_negative_float,
    )
    search_time_limit: float = setting(
        "SEARCH_TIME_LIMIT",
        "2",
        "Seconds a search may spend collecting matches; after that it searches no further index "
        'segment and answers with what it found, flagged `"partial": true`.',
        values.positive_float,
    )
    query_log: str = setting(
        "SEARCH_QUERY_LOG",
        "",
        "JSON Lines file each search is appended to (query, filters, result count, time; no "
        "client address) for `search-service analytics`. Empty: no query log.",
    )
    # Sources and sync.
    sources_file: str = setting(
        "SEARCH_SOURCES_FILE",
        "",
        "TOML file of the sources `search-service sync` keeps the index in step with (see "
        "docs/sources.md); `--config` overrides it.",
    )
    user_agent: str = setting(
        "SEARCH_USER_AGENT",
        "search-service-sync/0.1",
        "`User-Agent` the sync crawler sends with every request, and the name robots.txt rules "
        "are matched against.",
    )
    sync_full_interval: float = setting(
        "SEARCH_SYNC_FULL_INTERVAL",
        "86400",
        "Under `sync --every`, seconds between full passes of a source (re-read everything and "
        "remove what the source no longer publishes); 0: only when `--full` is given.",
        values.non_negative_float,
    )


# The table, read back from the class: setting name → its variable, default, help and parser.
SETTINGS: dict[str, Setting] = {f.name: f.metadata["setting"] for f in fields(Config)}


def load(environ: Mapping[str, str] | None = None, **overrides: Any) -> Config:
    """Defaults, then the environment, then explicit overrides (tests, CLI options)."""
    environ = os.environ if environ is None else environ
    parsed: dict[str, Any] = {}
    for name, declared in SETTINGS.items():
        raw = environ.get(declared.env, declared.default)
        try:
            parsed[name] = declared.parse(raw)
        except ValueError as exc:
            raise ConfigError(f"{declared.env}={raw!r} is invalid: {exc}") from exc
    unknown = set(overrides) - set(SETTINGS)
    if unknown:
        raise ConfigError(f"unknown setting(s): {', '.join(sorted(unknown))}")
    parsed.update({k: v for k, v in overrides.items() if v is not None})
    parsed["index_dir"] = Path(parsed["index_dir"])
    parsed["languages"] = tuple(parsed["languages"])
    return Config(**parsed)
