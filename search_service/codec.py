"""Whoosh's default codec (W3) with postings that numpy reads whole, and one fix.

**Postings.** W3 pickles each block of up to 128 postings as tuples of Python numbers, with
every posting's word positions in the same pickle, so reading a block's document numbers
and weights unpickles about 400 objects: 66 µs a block, 55 ms for a word in half of 100,000
articles, before any scoring. Here a block's document numbers (as gaps) and weights are raw
little-endian arrays and the positions one pickled blob inside the block's pickle: reading
the numbers is ``numpy.frombuffer`` (see :mod:`.matching`), and positions are unpickled
only when a phrase needs them. Whoosh's matchers read the same blocks through
:class:`LeafMatcher`.

**Lengths.**
Whoosh's per-document reader caches the length column of a field it has found, but asks the
file system again, for every posting, about a field that has none: the unstemmed spelling
fields (:mod:`.spellfield`), whose postings are most of a build's. A rebuild of 5,000 articles
made 472,000 ``stat`` calls there, about a tenth of its time. Builds record the codec they were
written with, so readers of them get the fix too.
"""

from __future__ import annotations

import pickle
from typing import Any

import numpy as np
from whoosh.codec.whoosh3 import W3Codec, W3LeafMatcher, W3PerDocReader, W3PostingsWriter


class _PerDocReader(W3PerDocReader):
    def _cached_reader(self, fieldname: str, column: Any) -> Any:
        if fieldname not in self._readers:
            found = self.has_column(fieldname)
            self._readers[fieldname] = self.column_reader(fieldname, column) if found else None
        return self._readers[fieldname]


_IDS, _WEIGHTS = np.dtype("<u4"), np.dtype("<f4")


class _PostingsWriter(W3PostingsWriter):
    """Writes a block's data as (document number gaps, weights, positions), the first two as
    raw arrays and the third as one pickle; W3 compresses the whole with zlib as before."""

    def _mini_ids(self) -> Any:
        if self._byteids:
            return super()._mini_ids()
        ids = np.asarray(self._ids, dtype=np.int64)
        return np.diff(ids, prepend=0).astype(_IDS).tobytes()

    def _mini_weights(self) -> bytes:
        return np.asarray(self._weights, dtype=_WEIGHTS).tobytes()

    def _mini_values(self) -> Any:
        values = super()._mini_values()
        return (
            pickle.dumps(values, pickle.HIGHEST_PROTOCOL) if isinstance(values, tuple) else values
        )


class LeafMatcher(W3LeafMatcher):
    """Whoosh's matcher over our blocks; :meth:`block_arrays` is the fast path."""

    def block_arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """The current block's document numbers (ascending, within the segment) and weights."""
        if self._data is None:
            self._read_data()
        ids = np.frombuffer(self._data[0], dtype=_IDS).cumsum(dtype=np.int64)
        return ids, np.frombuffer(self._data[1], dtype=_WEIGHTS)

    def all_arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """Every posting's document number and weight, from the current block to the end."""
        ids, weights = [], []
        while self.is_active():
            block_ids, block_weights = self.block_arrays()
            ids.append(block_ids[self._i :])
            weights.append(block_weights[self._i :])
            self._next_block()
        if not ids:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=_WEIGHTS)
        return np.concatenate(ids), np.concatenate(weights)

    def _read_ids(self) -> None:
        if self._byteids:
            super()._read_ids()
        else:
            self._ids = self.block_arrays()[0].tolist()

    def _read_weights(self) -> None:
        self._weights = self.block_arrays()[1].tolist()

    def _read_values(self) -> None:
        if self._data is None:
            self._read_data()
        packed = self._data[2]
        if isinstance(packed, bytes) and (self._fixedsize is None or self._fixedsize < 0):
            self._data = (*self._data[:2], pickle.loads(packed))
        super()._read_values()


class Codec(W3Codec):
    """The codec every writer of ours uses."""

    def postings_reader(
        self, dbfile: Any, terminfo: Any, format_: Any, term: Any = None, scorer: Any = None
    ) -> Any:
        if terminfo.is_inlined():
            return super().postings_reader(dbfile, terminfo, format_, term, scorer)
        offset, length = terminfo.extent()
        return LeafMatcher(dbfile, offset, length, format_, term=term, scorer=scorer)

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
