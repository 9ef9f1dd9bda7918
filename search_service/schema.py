"""The Whoosh schema: display fields stored once, searchable text in one field set per language.

Each language with a dedicated analyzer gets ``title_<code>``, ``lead_<code>`` and
``body_<code>``; an article's text goes only into the fields of its own language, so every
field has one analyzer and BM25F statistics per language stay clean. Latin-script languages
also get ``fold_<code>``: title, lead and body once more with diacritics folded, the secondary
signal that lets ``Qarabag`` find ``Qarabağ``.
"""

from __future__ import annotations

from collections.abc import Iterable

from whoosh.fields import DATETIME, ID, KEYWORD, NUMERIC, STORED, TEXT, Schema

from .analysis import GENERIC, analyzer_for, folded_analyzer_for
from .spellfield import SpelledText

# Bump when a change needs a full reindex; a build records the version it was made with.
SCHEMA_VERSION = 3
TEXT_PARTS = ("title", "lead", "body")
FOLD_PREFIX = "fold_"


def build_schema(languages: Iterable[str]) -> Schema:
    """The schema for a new build with dedicated fields for ``languages`` plus the generic set."""
    schema = Schema(
        id=ID(stored=True, unique=True),
        lang=ID(stored=True, sortable=True),
        lang_detected=STORED(),
        category=ID(stored=True, sortable=True),
        tag=KEYWORD(commas=True, scorable=False),
        tags=STORED(),
        title=STORED(),
        lead=STORED(),
        body=STORED(),
        url=STORED(),
        author=STORED(),
        published=STORED(),
        updated=STORED(),
        published_at=DATETIME(sortable=True),
        published_day=NUMERIC(int, bits=32, sortable=True),
    )
    for group in (*languages, GENERIC):
        analyzer = analyzer_for(group)
        for part in TEXT_PARTS:
            # Title and body also keep unstemmed words for "did you mean" and suggestions.
            spelled = part != "lead"
            field = SpelledText if spelled else TEXT
            schema.add(f"{part}_{group}", field(analyzer=analyzer, phrase=True, spelling=spelled))
        folded = folded_analyzer_for(group)
        if folded is not None:
            schema.add(f"{FOLD_PREFIX}{group}", TEXT(analyzer=folded, phrase=False))
    return schema


def language_groups(schema: Schema) -> list[str]:
    """The field-set suffixes present in a (possibly older) schema, generic last."""
    groups = [name.removeprefix("body_") for name in schema.names() if name.startswith("body_")]
    return sorted(groups, key=lambda group: (group == GENERIC, group))


def group_for(schema: Schema, lang: str) -> str:
    """The field set an article in ``lang`` is indexed into."""
    return lang if f"body_{lang}" in schema else GENERIC
