"""What every command shares: the settings and store, the common options, and the package's
errors turned into a one-line message and an exit status."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from .. import config as settings
from ..analysis import check_languages
from ..errors import SearchServiceError
from ..indexing.store import IndexStore

EXIT_REJECTED = 1

index_dir_option = click.option(
    "--index-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Index directory (default: $SEARCH_INDEX_DIR, else ./index).",
)


class Context:
    """Settings and store shared by the commands, built after options are parsed."""

    def __init__(self, index_dir: Path | None) -> None:
        try:
            self.config = settings.load(index_dir=index_dir)
            check_languages(self.config.languages)
        except SearchServiceError as exc:
            raise click.ClickException(str(exc)) from exc
        self.store = IndexStore(
            self.config.index_dir,
            lock_timeout=self.config.lock_timeout,
            keep_builds=self.config.keep_builds,
        )


def run(action: Callable[[], Any]) -> Any:
    """Turn the package's errors into a one-line message and exit status 1."""
    try:
        return action()
    except SearchServiceError as exc:
        raise click.ClickException(str(exc)) from exc
    except OSError as exc:  # disk full, read-only or missing directory: say so, no traceback
        where = f" ({exc.filename})" if exc.filename else ""
        raise click.ClickException(
            f"cannot write the index: {exc.strerror or exc}{where}; "
            "nothing was switched, the live build is unchanged"
        ) from exc


def counts(counts: dict[str, int]) -> str:
    """``{"en": 3, "ru": 1}`` as ``en 3, ru 1`` (``-`` when empty)."""
    return ", ".join(f"{name} {n}" for name, n in counts.items()) or "-"
