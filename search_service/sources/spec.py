"""The sources file (TOML) that ``search-service sync`` reads, checked before anything runs."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ConfigError

KINDS = ("database", "sitemap", "feed", "pages")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
# Keys every kind accepts: how hard to retry a source that is down.
COMMON_KEYS = {"name", "kind", "retries", "backoff"}


@dataclass(frozen=True)
class SourceSpec:
    """One ``[[sources]]`` table: its name, kind and the kind's own options."""

    name: str
    kind: str
    options: Mapping[str, Any] = field(default_factory=dict)
    retries: int = 3
    backoff: float = 1.0

    def get(self, key: str, default: Any = None, kind: type | tuple[type, ...] = object) -> Any:
        """An option of this source, type-checked; the error names the source and key."""
        value = self.options.get(key, default)
        if value is not None and not isinstance(value, kind):
            expected = (
                kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
            )
            raise ConfigError(f"source {self.name!r}: {key!r} must be a {expected}, got {value!r}")
        return value

    def check_keys(self, allowed: set[str]) -> None:
        unknown = set(self.options) - allowed - COMMON_KEYS
        if unknown:
            raise ConfigError(
                f"source {self.name!r} ({self.kind}): unknown key(s) {', '.join(sorted(unknown))}"
            )


def load(path: Path) -> list[SourceSpec]:
    """Read and check a sources file; every problem is a ConfigError naming file and source."""
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read sources file {path}: {exc.strerror}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    tables = data.get("sources")
    if not isinstance(tables, list) or not tables:
        raise ConfigError(f"{path}: no [[sources]] table (see sources.example.toml)")
    specs: list[SourceSpec] = []
    for number, table in enumerate(tables, start=1):
        name = table.get("name")
        if not isinstance(name, str) or not _NAME.match(name):
            raise ConfigError(
                f"{path}: source {number} needs a 'name' of letters, digits, '.', '_' or '-'"
            )
        if name in {spec.name for spec in specs}:
            raise ConfigError(f"{path}: two sources are named {name!r}")
        kind = table.get("kind")
        if kind not in KINDS:
            raise ConfigError(
                f"{path}: source {name!r}: 'kind' must be one of {', '.join(KINDS)}, got {kind!r}"
            )
        retries, backoff = table.get("retries", 3), table.get("backoff", 1.0)
        if not isinstance(retries, int) or retries < 0:
            raise ConfigError(f"{path}: source {name!r}: 'retries' must be a whole number ≥ 0")
        if not isinstance(backoff, int | float) or backoff < 0:
            raise ConfigError(f"{path}: source {name!r}: 'backoff' must be seconds ≥ 0")
        specs.append(SourceSpec(name, kind, table, retries, float(backoff)))
    return specs
