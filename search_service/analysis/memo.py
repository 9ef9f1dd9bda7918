"""What a field's analyzer makes of a short text, remembered per worker.

Searches analyse the same words again and again: each query word once per language field
(query.py), again for the spelling check, and every word of every result's title and passage
for highlighting (snippets.py). Whoosh's analyzer chains cost microseconds a word in Python;
words repeat (Zipf), so a bounded memory of them serves most. A field's analyzer depends only
on its name (its language), so the field name is the key, whichever build the schema is from.
"""

from __future__ import annotations

import threading

from whoosh.fields import Schema

# At most this many (field, text) pairs are kept; then the memory starts again. Clearing is
# cheaper than LRU bookkeeping on every look-up, and the common words are soon back.
LIMIT = 50_000

_terms: dict[tuple[str, str], tuple[str, ...]] = {}
_lock = threading.Lock()


def query_terms(schema: Schema, field: str, text: str) -> tuple[str, ...]:
    """The terms ``field``'s analyzer makes of ``text`` in query mode."""
    key = (field, text)
    found = _terms.get(key)
    if found is None:
        found = tuple(token.text for token in schema[field].analyzer(text, mode="query"))
        with _lock:
            if len(_terms) >= LIMIT:
                _terms.clear()
            _terms[key] = found
    return found
