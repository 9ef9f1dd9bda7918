"""A full build's postings held as columns per field, sorted with numpy at the commit.

They are written a term at a time through the codec. Whoosh's sorting pool holds a tuple per
posting, spills runs to disk past its memory limit and merges them back a posting at a time (28
% of the CPU of a writer of 10,000 articles). Here each field's postings are a few arrays
(:class:`FieldPostings`), sorted by term and document number in one step; a spelling field
keeps only how many documents hold each word (:class:`SpellingPostings`), all the codec keeps
of it.
"""

from __future__ import annotations

from array import array
from bisect import bisect_right
from collections import Counter
from collections.abc import Iterator
from itertools import repeat
from typing import Any

import numpy as np

from .spill import Runs

# What a posting takes in FieldPostings' arrays besides its value's bytes (term, document,
# weight, value size), and a new term in a vocabulary (its dict entry and bytes object).
_POSTING_COLUMNS = 4 + 4 + 8 + 4
_TERM_BYTES = 120

# Postings turned into Python lists at a time when writing (bounds the lists' memory).
_CHUNK = 1 << 16


class FieldPostings:
    """One field's postings, as columns in the order they were added: a term number, a
    document number, a weight and a value (its bytes in one buffer) per posting."""

    def __init__(self) -> None:
        self.vocabulary: dict[bytes, int] = {}  # term → number, in order of first sight
        self.terms = array("i")
        self.docs = array("i")
        self.weights = array("d")
        self.sizes = array("I")
        self.values = bytearray()
        self.runs: Runs | None = None  # where columns were spilled to, if they were

    def add(self, docnum: int, items: list[tuple], boost: float) -> int:
        """One document's postings of this field; returns about how many bytes they take."""
        vocabulary = self.vocabulary
        known = len(vocabulary)
        texts, _, weights, values = zip(*items, strict=True)
        self.terms.extend([vocabulary.setdefault(t, len(vocabulary)) for t in texts])
        self.docs.extend(repeat(docnum, len(texts)))
        self.weights.extend(weights if boost == 1.0 else [w * boost for w in weights])
        values = [v or b"" for v in values]
        self.sizes.extend(map(len, values))
        joined = b"".join(values)
        self.values += joined
        return _POSTING_COLUMNS * len(texts) + len(joined) + _TERM_BYTES * (len(vocabulary) - known)

    def columns(self) -> list[Any]:
        return [self.terms, self.docs, self.weights, self.sizes, self.values]

    def spill(self, runs: Runs) -> None:
        """The columns so far to ``runs``, and emptied (the vocabulary stays)."""
        runs.save(self, self.columns())
        self.terms, self.docs, self.weights = array("i"), array("i"), array("d")
        self.sizes, self.values = array("I"), bytearray()

    def restore(self, runs: Runs) -> None:
        """The columns spilled to ``runs``, in front of the ones in memory."""
        spilled = runs.load(self, self.columns())
        if spilled is not None:
            self.terms, self.docs, self.weights, self.sizes, self.values = spilled

    def write(self, writer: Any, table: bytes) -> None:
        """Every term's postings to ``writer`` (a field of our codec's field writer): terms
        in byte order, each term's postings by document number, as Whoosh's sorting pool
        hands them on; ``table`` is the field-length byte of each document (empty when the
        field keeps no lengths)."""
        if self.runs is not None:
            self.restore(self.runs)
        texts = list(self.vocabulary)
        keys, order = _term_order(texts, self.terms, self.docs)
        docs = np.frombuffer(self.docs, dtype=np.int32)[order]
        weights = np.frombuffer(self.weights, dtype=np.float64)[order]
        ends = np.cumsum(np.frombuffer(self.sizes, dtype=np.uint32), dtype=np.int64)
        value_ends = ends[order]
        value_starts = value_ends - np.frombuffer(self.sizes, dtype=np.uint32)[order]
        lengths = np.frombuffer(table, dtype=np.uint8)[docs] if table else None
        blob = bytes(self.values)
        for first, last, groups in _chunks(keys):
            chunk_docs = docs[first:last].tolist()
            chunk_weights = weights[first:last].tolist()
            chunk_values = [
                blob[a:b]
                for a, b in zip(
                    value_starts[first:last].tolist(), value_ends[first:last].tolist(), strict=True
                )
            ]
            chunk_lengths = lengths[first:last].tolist() if lengths is not None else None
            for key, start, stop in groups:
                writer.add_term(
                    texts[key],
                    chunk_docs[start:stop],
                    chunk_weights[start:stop],
                    chunk_values[start:stop],
                    chunk_lengths[start:stop] if chunk_lengths is not None else [],
                )


class SpellingPostings:
    """A spelling field's words with how many documents each is in: all the codec keeps of
    them (a word list with counts). The counts grow with the vocabulary, not with the
    postings, so there is nothing to spill."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()

    def add(self, words: list[str], vbytes: bytes | None) -> int:
        """One document's spelling words; returns about how many bytes they add."""
        known = len(self.counts)
        self.counts.update(words)
        return _TERM_BYTES * (len(self.counts) - known)

    def spill(self, runs: Runs) -> None:
        pass

    def write(self, writer: Any, table: bytes) -> None:
        counts = self.counts
        for word in sorted(counts):  # code point order is UTF-8 byte order
            writer.add_spelling(word.encode("utf-8"), counts[word])


def _term_order(texts: list[Any], terms: array, docs: array | None) -> tuple[np.ndarray, Any]:
    """Postings sorted by term text, then document number: each posting's term as its rank
    among ``texts`` (in sorted order, renumbering ``texts`` in place), and the order."""
    ranked = sorted(range(len(texts)), key=texts.__getitem__)
    rank = np.empty(len(texts), dtype=np.int64)
    rank[ranked] = np.arange(len(texts))
    texts[:] = [texts[i] for i in ranked]
    keys = rank[np.frombuffer(terms, dtype=np.int32)]
    if docs is None:
        order = np.argsort(keys, kind="stable")
    else:
        order = np.lexsort((np.frombuffer(docs, dtype=np.int32), keys))
    return keys[order], order


def _chunks(keys: np.ndarray) -> Iterator[tuple[int, int, list[tuple[int, int, int]]]]:
    """Sorted term keys cut into runs of whole terms of about :data:`_CHUNK` postings: each
    run's first and last posting, and its terms' (key, start, stop) relative to the run."""
    if not len(keys):
        return
    starts = np.flatnonzero(np.diff(keys)) + 1
    starts = np.concatenate(([0], starts)).tolist()
    stops = [*starts[1:], len(keys)]
    terms = keys[starts].tolist() if starts else []
    group = 0
    while group < len(starts):
        first = starts[group]
        end = bisect_right(starts, first + _CHUNK, lo=group + 1)
        last = stops[end - 1]
        yield (
            first,
            last,
            [(terms[g], starts[g] - first, stops[g] - first) for g in range(group, end)],
        )
        group = end
