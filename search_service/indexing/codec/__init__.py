"""The codec every writer of ours uses: Whoosh's W3 with our postings, terms and stored fields.

Postings that numpy reads whole, spelling words and stored fields kept compactly, and field
lengths looked up once.

One module per part of a segment: :mod:`.postings` (the block format and its matcher),
:mod:`.terms` (the terms dictionary, written a term at a time), :mod:`.words` (the spelling
fields' word lists) and :mod:`.stored` (stored fields and field lengths). Builds pickle the
codec into their table of contents by class path, as ``search_service.indexing.codec.Codec``
(see :mod:`..legacy` for older paths): :class:`Codec` stays here.
"""

from __future__ import annotations

from typing import Any

from whoosh.codec.whoosh3 import (
    W3Codec,
    W3FieldWriter,
    W3PerDocReader,
    W3PerDocWriter,
    W3PostingsWriter,
    W3TermsReader,
)

from .postings import BLOCK_POSTINGS, LeafMatcher, PostingsWriter
from .stored import PerDocReader, PerDocWriter
from .terms import FieldWriter, TermsReader


class Codec(W3Codec):
    """The codec every writer of ours uses."""

    def __init__(self, blocklimit: int = BLOCK_POSTINGS, inlinelimit: int = 1) -> None:
        super().__init__(blocklimit=blocklimit, compression=0, inlinelimit=inlinelimit)

    def postings_reader(
        self, dbfile: Any, terminfo: Any, format_: Any, term: Any = None, scorer: Any = None
    ) -> Any:
        if terminfo.is_inlined():
            return super().postings_reader(dbfile, terminfo, format_, term, scorer)
        offset, length = terminfo.extent()
        return LeafMatcher(dbfile, offset, length, format_, term=term, scorer=scorer)

    def postings_writer(self, dbfile: Any, byteids: bool = False) -> W3PostingsWriter:
        # Term vectors (byteids) keep W3's format: Whoosh reads them with its own matcher.
        writer = W3PostingsWriter if byteids else PostingsWriter
        return writer(dbfile, blocklimit=self._blocklimit, byteids=byteids, compression=0)

    def terms_reader(self, storage: Any, segment: Any) -> W3TermsReader:
        name = segment.make_filename(self.TERMS_EXT)
        postings = segment.open_file(storage, self.POSTS_EXT)
        return TermsReader(self, storage.open_file(name), storage.file_length(name), postings)

    def per_document_writer(self, storage: Any, segment: Any) -> W3PerDocWriter:
        return PerDocWriter(self, storage, segment)

    def per_document_reader(self, storage: Any, segment: Any) -> W3PerDocReader:
        return PerDocReader(storage, segment)

    def field_writer(self, storage: Any, segment: Any) -> W3FieldWriter:
        return FieldWriter(self, storage, segment)
