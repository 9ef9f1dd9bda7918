"""The terms dictionary: W3's terms file, written a term at a time, spelling fields as lists.

A term's postings are written in one call, and the spelling fields are answered from their
word lists (:mod:`.words`).

Whoosh hands a segment's sorted postings to the codec one at a time (a method call, a
field-length look-up and a type check per posting: half of a build). Here each term's
postings go to the postings writer in one call, as lists, with the field lengths read once per
field; the blocks written are the same bytes as the per-posting path writes.
"""

from __future__ import annotations

import heapq
import pickle
from array import array
from collections.abc import Iterable, Iterator, Sequence
from itertools import groupby
from operator import itemgetter
from typing import Any

from whoosh.codec.base import OutOfOrderError
from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC, W3FieldWriter, W3TermInfo, W3TermsReader
from whoosh.fields import SpellField
from whoosh.reading import TermNotFound
from whoosh.system import pack_int, pack_long, pack_ushort
from whoosh.util.numeric import length_to_byte

from .postings import LENGTH, block_arrays, pack
from .stored import length_table
from .words import SPELLING, SpellingInfo, Words, WordsCursor, pack_words, word_items

_TERM = itemgetter(0, 1)
_TERMINFO = W3TermInfo._struct


class FieldWriter(W3FieldWriter):
    """W3's terms and postings writer, fed a term's postings at a time; spelling fields'
    words go to the terms file's extras as word lists (see :mod:`.words`)."""

    def __init__(self, codec: Any, storage: Any, segment: Any) -> None:
        super().__init__(codec, storage, segment)
        # spelling field → (its words, sorted, and the number of postings of each)
        self._spellings: dict[str, tuple[list[bytes], list[int]]] = {}
        self._words: tuple[list[bytes], list[int]] | None = None  # the current field's

    def start_field(self, fieldname: str, fieldobj: Any) -> None:
        super().start_field(fieldname, fieldobj)
        self._words = None
        if isinstance(fieldobj, SpellField):
            self._words = self._spellings.setdefault(fieldname, ([], []))

    def close(self) -> None:
        self._tindex.extras[SPELLING] = {
            name: pack_words(*words) for name, words in self._spellings.items()
        }
        super().close()

    def add_postings(self, schema: Any, lengths: Any, items: Iterable[tuple]) -> None:
        """Write sorted ``(field, term bytes, docnum, weight, value)`` postings, as Whoosh's
        ``FieldWriter.add_postings`` does, one call per term instead of per posting."""
        last: tuple[str, bytes] | None = None
        table: bytes | None = None
        for key, group in groupby(items, key=_TERM):
            fieldname, btext = key
            if last is not None and key <= last:
                raise OutOfOrderError(f"Term {last!r} .. {key!r}")
            if last is None or fieldname != last[0]:
                if last is not None:
                    self.finish_field()
                fieldobj = schema[fieldname]
                self.start_field(fieldname, fieldobj)
                table = length_table(lengths, fieldname) if fieldobj.scorable else b""
            last = key
            _, _, ids, weights, values = zip(*group, strict=True)
            if ids[0] == -1:  # Whoosh's marker of a spelling-only word, never a posting
                kept = [i for i, docnum in enumerate(ids) if docnum != -1]
                if not kept:
                    continue
                ids, weights, values = (
                    [column[i] for i in kept] for column in (ids, weights, values)
                )
            if table is None:  # lengths Whoosh can only look up one at a time
                field_lengths = [
                    length_to_byte(lengths.doc_field_length(docnum, fieldname) or 0)
                    for docnum in ids
                ]
            elif table:
                field_lengths = [table[docnum] for docnum in ids]
            else:
                field_lengths = []
            self.add_term(btext, ids, weights, values, field_lengths)
        if last is not None:
            self.finish_field()

    def add_term(
        self,
        btext: bytes,
        ids: Sequence[int],
        weights: Sequence[float],
        values: Sequence[bytes | None],
        lengths: list[int],
    ) -> None:
        """One term's postings, ascending document numbers (inside ``start_field`` and
        ``finish_field``, terms in ascending order), with ``lengths`` the field-length bytes
        of their documents (empty for a field that is not scorable). A spelling field's
        word keeps its count only."""
        if self._words is not None:
            self._words[0].append(btext)
            self._words[1].append(len(ids))
            return
        if len(ids) <= self._postwriter._blocklimit:
            self._add_block_term(btext, ids, weights, values, lengths)
            return
        self.start_term(btext)
        self._postwriter.add_postings(list(ids), list(weights), [v or b"" for v in values], lengths)
        self.finish_term()

    def add_spelling(self, btext: bytes, documents: int) -> None:
        """A word of a spelling field and how many documents hold it, inside its
        ``start_field`` and ``finish_field``, words in ascending order: all the word list
        keeps of Whoosh's postings of it (see :mod:`.words`)."""
        if self._words is None:
            raise ValueError(f"{self._fieldname} is not a spelling field")
        self._words[0].append(btext)
        self._words[1].append(documents)

    def _add_block_term(
        self,
        btext: bytes,
        ids: Sequence[int],
        weights: Sequence[float],
        values: Sequence[bytes | None],
        lengths: list[int],
    ) -> None:
        """A term whose postings fit one block: what ``start_term``, :meth:`PostingsWriter.
        add_postings` and ``finish_term`` write (same bytes), without their objects."""
        weights32 = array("f", weights)
        maxweight = max(0, max(weights))  # the first largest, as add_posting keeps it
        known = [b for b in lengths if b]
        shortest, longest = (min(known), max(known)) if known else (0, 0)
        kept = [value for value in values if value]
        fixed = self._format.fixed_value_size()
        if fixed is None or fixed < 0:
            mini: Any = tuple(kept)
        else:
            mini = b"".join(kept) if fixed else None
        packed = b"" if mini is None else pack(pickle.dumps(mini, pickle.HIGHEST_PROTOCOL))
        arrays = block_arrays(ids, weights32)
        data = LENGTH.pack(len(arrays)) + arrays + packed
        info = pickle.dumps((len(ids), ids[-1], maxweight, 0, shortest, longest), 2)
        block = WHOOSH3_HEADER_MAGIC + pack_int(-(len(info) + len(data))) + info + data
        postfile = self._postfile.file  # past StructFile's Python wrappers
        offset = postfile.tell()
        postfile.write(block)
        terminfo = _TERMINFO.pack(
            0, 0 + sum(weights32), len(ids), shortest, longest, maxweight, ids[0], ids[-1]
        )
        self._tindex.add(
            pack_ushort(self._fieldid) + btext, terminfo + pack_long(offset) + pack_int(len(block))
        )


class TermsReader(W3TermsReader):
    """W3's terms reader, with the spelling fields of a segment that keeps them as word
    lists answered from those (in the terms file's order: by field number, then bytes)."""

    def __init__(self, codec: Any, dbfile: Any, length: int, postfile: Any) -> None:
        super().__init__(codec, dbfile, length, postfile)
        packed = self._tindex.extras.get(SPELLING, {})
        self._words = {name: Words(lists) for name, lists in packed.items()}

    def __contains__(self, term: tuple[str, bytes]) -> bool:
        words = self._words.get(term[0])
        if words is None:
            return super().__contains__(term)
        try:
            words.index(term[1])
        except KeyError:
            return False
        return True

    def cursor(self, fieldname: str, fieldobj: Any) -> Any:
        words = self._words.get(fieldname)
        if words is None:
            return super().cursor(fieldname, fieldobj)
        return WordsCursor(words, fieldobj)

    def terms(self) -> Iterator[tuple[str, bytes]]:
        return (term for term, _ in self.items())

    def terms_from(self, fieldname: str, prefix: bytes) -> Iterator[tuple[str, bytes]]:
        return (term for term, _ in self.items_from(fieldname, prefix))

    def items(self) -> Iterator[tuple[tuple[str, bytes], W3TermInfo]]:
        if not self._words:
            return super().items()
        return self._merged(super().items(), None, b"")

    def items_from(
        self, fieldname: str, prefix: bytes
    ) -> Iterator[tuple[tuple[str, bytes], W3TermInfo]]:
        if not self._words:
            return super().items_from(fieldname, prefix)
        return self._merged(super().items_from(fieldname, prefix), fieldname, prefix)

    def _merged(self, hashed: Iterator, fieldname: str | None, prefix: bytes) -> Iterator:
        """The terms file's items from (``fieldname``, ``prefix``) on (all of them for
        None), with the spelling fields' words in their place."""
        fieldmap = self._fieldmap
        first = -1 if fieldname is None else fieldmap.get(fieldname, 65535)
        streams = [hashed]
        for name, words in self._words.items():
            number = fieldmap.get(name, 65535)
            if number >= first:
                streams.append(word_items(name, words, prefix if number == first else b""))
        return heapq.merge(*streams, key=lambda item: (fieldmap[item[0][0]], item[0][1]))

    def term_info(self, fieldname: str, tbytes: bytes) -> W3TermInfo:
        words = self._words.get(fieldname)
        if words is None:
            return super().term_info(fieldname, tbytes)
        try:
            return SpellingInfo(words.count(tbytes))
        except KeyError:
            raise TermNotFound(f"No term {fieldname}:{tbytes!r}") from None

    def frequency(self, fieldname: str, tbytes: bytes) -> float:
        words = self._words.get(fieldname)
        if words is None:
            return super().frequency(fieldname, tbytes)
        return float(words.count(tbytes))

    def doc_frequency(self, fieldname: str, tbytes: bytes) -> int:
        words = self._words.get(fieldname)
        if words is None:
            return super().doc_frequency(fieldname, tbytes)
        return words.count(tbytes)


def table_fields(terms: W3TermsReader) -> dict[str, int]:
    """The fields of a segment's terms reader whose terms are in its terms file's hash table,
    by field number (not the spelling fields it keeps as word lists)."""
    words = getattr(terms, "_words", {})
    return {name: n for name, n in terms._fieldmap.items() if name not in words}
