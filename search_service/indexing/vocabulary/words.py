"""A segment's words per language group, and which of its articles each group holds.

Its words are the unstemmed words of titles and of the whole text (the spelling sub-fields)
with their document counts: what ``/suggest`` completes and "did you mean" corrects towards.
"""

from __future__ import annotations

from whoosh.reading import IndexReader

from ..schema import TITLE_PREFIX, group_for, text_field

# Words found in fewer of a segment's articles are left out (mostly typos and rare names),
# unless they are in a title.
MIN_WORD_DOCUMENTS = 2


def segment_words(reader: IndexReader, group: str) -> dict[str, int]:
    """Word → document count of ``group``: every title word, and the other words found in at
    least :data:`MIN_WORD_DOCUMENTS` of the reader's articles."""
    schema = reader.schema
    counts: dict[str, int] = {}
    for name in (f"{TITLE_PREFIX}{group}", text_field(group)):
        title = name.startswith(TITLE_PREFIX)
        for raw, info in reader.iter_field(schema[name].spelling_fieldname(name)):
            word, found = raw.decode("utf-8"), info.doc_frequency()
            if (title or found >= MIN_WORD_DOCUMENTS) and not word.isdigit():
                counts[word] = max(counts.get(word, 0), found)
    return counts


def documents_by_group(reader: IndexReader) -> dict[str, list[int]]:
    """The live document numbers of the articles indexed into each group's fields, from the
    postings of their ``lang`` terms (reading the column per document costs seconds)."""
    schema = reader.schema
    found: dict[str, list[int]] = {}
    for raw in reader.lexicon("lang"):
        group = group_for(schema, raw.decode("utf-8"))
        found.setdefault(group, []).extend(reader.postings("lang", raw).all_ids())
    return {group: sorted(documents) for group, documents in found.items()}
