"""Every setting of the service, read once from ``SEARCH_*`` environment variables.

Each setting is declared here with its default and help text; the README documents each one
and a test keeps the two in step.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from .analysis import check_languages
from .errors import ConfigError


@dataclass(frozen=True)
class Setting:
    """One environment variable: its name, default (as the string a user would write) and help."""

    env: str
    default: str
    help: str
    parse: Callable[[str], Any] = str


def _languages(value: str) -> tuple[str, ...]:
    codes = tuple(dict.fromkeys(code.strip().lower() for code in value.split(",") if code.strip()))
    if not codes:
        raise ValueError("at least one language code is required")
    return codes


def _positive_float(value: str) -> float:
    number = float(value)
    if number <= 0:
        raise ValueError("must be greater than zero")
    return number


def _positive_int(value: str) -> int:
    number = int(value)
    if number <= 0:
        raise ValueError("must be greater than zero")
    return number


SETTINGS: dict[str, Setting] = {
    "index_dir": Setting(
        "SEARCH_INDEX_DIR",
        "index",
        "Directory holding the index builds and the `current` link (relative to the working "
        "directory). The `--index-dir` option of every command overrides it.",
        Path,
    ),
    "languages": Setting(
        "SEARCH_LANGUAGES",
        "en,ru,az,tr",
        "Comma-separated ISO 639-1 codes that get a dedicated analyzer (their own fields and "
        "stemmer) in new builds. Articles in any other language use the generic analyzer.",
        _languages,
    ),
    "default_language": Setting(
        "SEARCH_DEFAULT_LANGUAGE",
        "en",
        "Language assumed for an article without `lang` whose language cannot be detected "
        "(for example, text without letters).",
        str.lower,
    ),
    "lock_timeout": Setting(
        "SEARCH_LOCK_TIMEOUT",
        "30",
        "Seconds a write (reindex, add, delete, rollback) waits for another writer to finish "
        "before it fails.",
        _positive_float,
    ),
    "keep_builds": Setting(
        "SEARCH_KEEP_BUILDS",
        "2",
        "How many complete builds to keep on disk: the live one plus older ones for rollback.",
        _positive_int,
    ),
    "max_query_length": Setting(
        "SEARCH_MAX_QUERY_LENGTH",
        "1000",
        "Longest query, in characters, that `/search` accepts; longer ones get 413.",
        _positive_int,
    ),
    "max_query_terms": Setting(
        "SEARCH_MAX_QUERY_TERMS",
        "32",
        "Most words and phrases of a query that are searched; the rest are ignored and the "
        "response says `truncated`. Bounds the cost of a pasted paragraph.",
        _positive_int,
    ),
    "max_per_page": Setting(
        "SEARCH_MAX_PER_PAGE",
        "100",
        "Largest `per_page` that `/search` accepts.",
        _positive_int,
    ),
    "max_results_window": Setting(
        "SEARCH_MAX_RESULTS_WINDOW",
        "10000",
        "Deepest result a page may reach (`page` × `per_page`); deeper pages get 400, which "
        "keeps one request from ranking the whole index.",
        _positive_int,
    ),
    "snippet_chars": Setting(
        "SEARCH_SNIPPET_CHARS",
        "200",
        "Approximate length of a result snippet, in characters.",
        _positive_int,
    ),
    "synonyms_file": Setting(
        "SEARCH_SYNONYMS_FILE",
        "",
        "Synonyms and transliterations applied at query time (one group per line, see "
        "[Synonyms](#synonyms)). Empty: the built-in starter file of the region's names; "
        "`none`: no synonyms. Re-read when it changes, without a restart.",
    ),
    "host": Setting(
        "SEARCH_HOST",
        "127.0.0.1",
        "Address gunicorn binds to (with `PORT`, default 8000; `WEB_CONCURRENCY` sets the "
        "number of workers, default 2). Use 0.0.0.0 behind a platform router.",
    ),
    "log_level": Setting(
        "SEARCH_LOG_LEVEL",
        "info",
        "Log level of the web service and the command line (debug, info, warning, error).",
        str.lower,
    ),
}


@dataclass(frozen=True)
class Config:
    """Typed settings; build it with :func:`load` rather than by hand."""

    index_dir: Path
    languages: tuple[str, ...]
    default_language: str
    lock_timeout: float
    keep_builds: int
    max_query_length: int
    max_query_terms: int
    max_per_page: int
    max_results_window: int
    snippet_chars: int
    synonyms_file: str
    host: str
    log_level: str


def load(environ: Mapping[str, str] | None = None, **overrides: Any) -> Config:
    """Defaults, then the environment, then explicit overrides (tests, CLI options)."""
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for name, setting in SETTINGS.items():
        raw = environ.get(setting.env, setting.default)
        try:
            values[name] = setting.parse(raw)
        except ValueError as exc:
            raise ConfigError(f"{setting.env}={raw!r} is invalid: {exc}") from exc
    unknown = set(overrides) - {f.name for f in fields(Config)}
    if unknown:
        raise ConfigError(f"unknown setting(s): {', '.join(sorted(unknown))}")
    values.update({k: v for k, v in overrides.items() if v is not None})
    values["index_dir"] = Path(values["index_dir"])
    values["languages"] = check_languages(tuple(values["languages"]))
    return Config(**values)
