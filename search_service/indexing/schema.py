"""The Whoosh schema: display fields stored once, searchable text in one field set per language.

Each language with a dedicated analyzer gets ``text_<code>``: the article's title, lead and
body in one field, each part's words weighted (:class:`.fields.WeightedText`), so a word
costs one posting-list look-up and BM25F normalises one length. An article's text goes only
into the fields of its own language, so every field has one analyzer and its statistics stay
clean. ``title_<code>`` holds the title alone, for as-you-type title suggestions. Latin-script
languages also get ``fold_<code>``: title, lead and body once more with diacritics folded, the
secondary signal that lets ``Qarabag`` find ``Qarabağ``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import date

from whoosh.fields import ID, KEYWORD, NUMERIC, STORED, TEXT, Schema

from ..analysis import GENERIC, analyzer_for, folded_analyzer_for
from .fields import DateColumn, KeyColumn, Parts, SpelledText, WeightedText

# Bump when a change needs a full reindex; a build records the version it was made with, and
# a build of a version not in READABLE_VERSIONS is not served (see store.IndexStore.open_current).
# 6: spelling words as word lists, stored fields compressed against a dictionary, the
# publication time a column only (see the codec package); a version-5 build's segments are read as
# they were written, so it is still served.
# 7: the story (stored and indexed) and the copy and story keys (columns, see stories.py);
# builds of 5 and 6 are served without grouping copies or language versions.
# 8: Russian names keep their dictionary form (analysis/russian.py), tags and category are
# searched as text, the lead weighs 2. A build pickles the analyzers it was made with and
# analyses its queries with them, so a version 5, 6 or 7 build is still served, as it was; a
# follower of another version could not unpickle a new build's analyzers, so replication
# requires the same one.
SCHEMA_VERSION = 8
READABLE_VERSIONS = (5, 6, 7, 8)
# The weight of each part's words in the text field (a title word counts three times). A
# lead sums the story up in the headline's words: 2.0 against 1.5 measured known-item-en-bbc
# .828 -> .835 nDCG@10 (3.0: .838, but Russian posts .190 -> .185; bench/RESULTS.md).
FIELD_BOOSTS = {"title": 3.0, "lead": 2.0, "body": 1.0}
TEXT_PARTS = tuple(FIELD_BOOSTS)
# The weight of an article's tags and category, searched as one more part of its text: the
# editors' own words for what the story is about (a person, a place, a topic the text may only
# imply), which readers type.
LABELS_BOOST = 2.0
# An article without a lead has its first paragraph weighed as one when that paragraph is at
# most this share of the body (see text_value).
LEDE_SHARE = 0.25
_PARAGRAPH_BREAK = re.compile(r"\n[^\S\n]*\n")
# published_day stores a missing date as its column's maximum, a "year" past this one.
_LAST_YEAR = 9999
TEXT_PREFIX = "text_"
TITLE_PREFIX = "title_"
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
        published_at=DateColumn(sortable=True),
        published_day=NUMERIC(int, bits=32, sortable=True),
        story=ID(stored=True),
        copy_key=KeyColumn(),
        story_key=KeyColumn(),
    )
    for group in (*languages, GENERIC):
        analyzer = analyzer_for(group)
        # Both keep their words unstemmed too, for "did you mean" and suggestions.
        schema.add(f"{TEXT_PREFIX}{group}", WeightedText(analyzer=analyzer, spelling=True))
        schema.add(
            f"{TITLE_PREFIX}{group}", SpelledText(analyzer=analyzer, phrase=False, spelling=True)
        )
        folded = folded_analyzer_for(group)
        if folded is not None:
            schema.add(f"{FOLD_PREFIX}{group}", TEXT(analyzer=folded, phrase=False))
    return schema


def day_value(day: date) -> int:
    """``published_day``'s value for a local publication date: 2025-03-14 → 20250314, so a
    date range is a numeric range and the year is ``value // 10000``."""
    return day.year * 10000 + day.month * 100 + day.day


def day_year(value: int) -> int | None:
    """The year of a ``published_day`` value (20250314 → 2025); None when undated."""
    year = value // 10000
    return None if year > _LAST_YEAR else year


def language_groups(schema: Schema) -> list[str]:
    """The field-set suffixes present in a schema, generic last."""
    groups = [
        name.removeprefix(TEXT_PREFIX) for name in schema.names() if name.startswith(TEXT_PREFIX)
    ]
    return sorted(groups, key=lambda group: (group == GENERIC, group))


def group_for(schema: Schema, lang: str) -> str:
    """The field set an article in ``lang`` is indexed into."""
    return lang if f"{TEXT_PREFIX}{lang}" in schema else GENERIC


def text_field(group: str) -> str:
    """The name of a field set's weighted text field."""
    return f"{TEXT_PREFIX}{group}"


def text_value(title: str, lead: str, body: str, labels: Sequence[str] = ()) -> Parts:
    """The value of a text field: the non-empty parts, each with its weight, and the
    article's ``labels`` (its tags and category) weighed as :data:`LABELS_BOOST`.

    A news article's opening paragraph (the lede) sums it up and carries the words of its
    headline, so an article that comes without a lead has a short first paragraph of its body
    weighed as the lead. A first paragraph that is much of the body (a post of two paragraphs,
    a text in one block) is not a summary of it and stays body.
    """
    if not lead:
        lead, body = _lede(body)
    texts = {"title": title, "lead": lead, "body": body}
    parts = tuple((texts[part], FIELD_BOOSTS[part]) for part in TEXT_PARTS if texts[part])
    labelled = "\n".join(label for label in labels if label)
    return Parts((*parts, (labelled, LABELS_BOOST)) if labelled else parts)


def _lede(body: str) -> tuple[str, str]:
    """``body``'s first paragraph and the rest, when it is a lede; else no lead and ``body``."""
    parts = _PARAGRAPH_BREAK.split(body, maxsplit=1)
    if len(parts) == 2 and parts[1].strip() and len(parts[0]) <= LEDE_SHARE * len(body):
        return parts[0], parts[1]
    return "", body
