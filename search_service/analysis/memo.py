"""What a field's analyzer makes of a short text, remembered per worker.

Searches analyse the same words again and again: each query word once per language field
(query.py), again for the spelling check, and every word of every result's title and passage
for highlighting (snippets.py). Whoosh's analyzer chains cost microseconds a word in Python;
words repeat (Zipf), so a bounded memory of them serves most. A field's analyzer depends on
its name (its language) and, between builds of different schema versions, on the class of its
last filter (the stemmer: a build keeps the analyzers it was made with), so those two are the
key, whichever build the schema is from.
"""

from __future__ import annotations

import threading

from whoosh.fields import Schema

# At most this many (field, text) pairs are kept; then the memory starts again. Clearing is
# cheaper than LRU bookkeeping on every look-up, and the common words are soon back.
LIMIT = 50_000

_terms: dict[tuple[str, type, str], tuple[str, ...]] = {}
_lock = threading.Lock()


def query_terms(schema: Schema, field: str, text: str) -> tuple[str, ...]:
    """The terms ``field``'s analyzer makes of ``text`` in query mode."""
    analyzer = schema[field].analyzer
    key = (field, type(analyzer.items[-1]), text)
    found = _terms.get(key)
    if found is None:
        found = tuple(token.text for token in analyzer(text, mode="query"))
        with _lock:
            if len(_terms) >= LIMIT:
                _terms.clear()
            _terms[key] = found
    return found
