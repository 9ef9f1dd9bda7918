"""Whoosh's default codec (W3) with one fix: a field without lengths is looked up once.

Whoosh's per-document reader caches the length column of a field it has found, but asks the
file system again, for every posting, about a field that has none: the unstemmed spelling
fields (:mod:`.spellfield`), whose postings are most of a build's. A rebuild of 5,000 articles
made 472,000 ``stat`` calls there, about a tenth of its time. Builds record the codec they were
written with, so readers of them get the fix too.
"""

from __future__ import annotations

from typing import Any

from whoosh.codec.whoosh3 import W3Codec, W3PerDocReader


class _PerDocReader(W3PerDocReader):
    def _cached_reader(self, fieldname: str, column: Any) -> Any:
        if fieldname not in self._readers:
            found = self.has_column(fieldname)
            self._readers[fieldname] = self.column_reader(fieldname, column) if found else None
        return self._readers[fieldname]


class Codec(W3Codec):
    """The codec every writer of ours uses."""

    def per_document_reader(self, storage: Any, segment: Any) -> W3PerDocReader:
        return _PerDocReader(storage, segment)
