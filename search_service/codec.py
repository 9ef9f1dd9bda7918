"""Whoosh's default codec (W3) with one fix: a field without lengths is looked up once.

Whoosh's per-document reader caches the length column of a field it has found, but asks the
file system again, for every posting, about a field that has none: the unstemmed spelling
fields (:mod:`.spellfield`), whose postings are most of a build's. A rebuild of 5,000 articles
made 472,000 ``stat`` calls there, about a tenth of its time. Builds record the codec they were
written with, so readers of them get the fix too.
"""

from __future__ import annotations

from typing import Any

from whoosh.codec.whoosh3 import W3Codec, W3PerDocReader, W3PostingsWriter


class _PerDocReader(W3PerDocReader):
    def _cached_reader(self, fieldname: str, column: Any) -> Any:
        if fieldname not in self._readers:
            found = self.has_column(fieldname)
            self._readers[fieldname] = self.column_reader(fieldname, column) if found else None
        return self._readers[fieldname]


class _PostingsWriter(W3PostingsWriter):
    def _mini_weights(self) -> Any:
        # Whoosh pickles a block's weights as floats (9 bytes each); the summed part weights
        # of a text field are mostly whole numbers, which pickle in 2 bytes as ints.
        weights = super()._mini_weights()
        if isinstance(weights, tuple):
            return tuple(int(w) if w.is_integer() else w for w in weights)
        return weights


class Codec(W3Codec):
    """The codec every writer of ours uses."""

    def postings_writer(self, dbfile: Any, byteids: bool = False) -> W3PostingsWriter:
        return _PostingsWriter(
            dbfile,
            blocklimit=self._blocklimit,
            byteids=byteids,
            compression=self._compression,
            inlinelimit=self._inlinelimit,
        )

    def per_document_reader(self, storage: Any, segment: Any) -> W3PerDocReader:
        return _PerDocReader(storage, segment)
