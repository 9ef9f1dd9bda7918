"""A directory of saved article pages (``*.html``): the site extraction without the network,
for archives and tests. ``base_url`` plus a file's path is the page's URL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..errors import ArticleError, ConfigError, SourceUnavailable
from .batch import Batch
from .extract import EXTRACT_KEYS, Extraction
from .spec import SourceSpec

KEYS = {"path", "base_url", "batch"} | EXTRACT_KEYS


class PagesReader:
    """Reads the ``.html`` files under ``path``; a file changed since the last pass (size or
    modification time) is read again, and a full pass removes the articles of deleted files."""

    def __init__(self, spec: SourceSpec) -> None:
        spec.check_keys(KEYS)
        self.spec = spec
        path, base = spec.get("path", None, str), spec.get("base_url", None, str)
        if not path or not base:
            raise ConfigError(f"source {spec.name!r}: 'path' and 'base_url' are required")
        self.root = Path(path)
        self.base = base.rstrip("/") + "/"
        self.extraction = Extraction.from_spec(spec)
        self.batch_size = spec.get("batch", 200, int)

    def batches(self, position: dict[str, Any] | None, full: bool) -> Iterator[Batch]:
        if not self.root.is_dir():
            raise SourceUnavailable(f"{self.root} is not a directory")
        files: dict[str, dict[str, Any]] = dict((position or {}).get("files", {}))
        paths = sorted(self.root.rglob("*.html"))
        for start in range(0, len(paths), self.batch_size):
            batch = Batch({}, total=len(paths))
            for path in paths[start : start + self.batch_size]:
                batch.read += 1
                name = path.relative_to(self.root).as_posix()
                stat = path.stat()
                stamp = [stat.st_mtime_ns, stat.st_size]
                known = files.get(name, {})
                if not full and known.get("stamp") == stamp and known.get("id"):
                    batch.seen.add(known["id"])
                    continue
                try:
                    article = self.extraction.article(
                        path.read_bytes(), self.base + name, self.spec.name
                    )
                except ArticleError as exc:
                    batch.rejected.append(exc)
                    files[name] = {"stamp": stamp}
                    continue
                batch.articles.append(article)
                batch.seen.add(article.id)
                files[name] = {"stamp": stamp, "id": article.id}
            batch.position = {"files": dict(files)}
            yield batch

    def gone(self, ids: set[str], position: dict[str, Any]) -> set[str]:
        """Owned ids whose file is no longer there."""
        present = {
            known.get("id")
            for name, known in position.get("files", {}).items()
            if (self.root / name).is_file()
        }
        return ids - present

    def watermark(self, position: dict[str, Any]) -> dict[str, Any]:
        return {"files": len(position.get("files", {}))}
