"""What an article becomes in the index: its stored fields, its text per language and its keys."""

from __future__ import annotations

from typing import Any

from whoosh.fields import Schema

from ..analysis import detect_language
from ..articles import Article, local_date
from . import stories
from .schema import FOLD_PREFIX, TITLE_PREFIX, day_value, group_for, text_field, text_value


def document(article: Article, schema: Schema, default_language: str) -> tuple[dict, str, bool]:
    """The Whoosh fields for one article, its language and whether that was detected."""
    lang, detected = article.lang, False
    if not lang:
        text = " ".join((article.title, article.lead, article.body[:2000]))
        lang, detected = detect_language(text) or default_language, True
    group = group_for(schema, lang)
    fields: dict[str, Any] = {
        "id": article.id,
        "lang": lang,
        "lang_detected": detected,
        "title": article.title,
        "lead": article.lead,
        "body": article.body,
        "url": article.url,
        "author": article.author,
        "tags": list(article.tags),
        "published": article.published_text,
        "updated": article.updated_text,
    }
    if article.category:
        fields["category"] = article.category
    if article.tags:
        fields["tag"] = ",".join(tag.replace(",", " ") for tag in article.tags)
    if article.published is not None:
        fields["published_at"] = article.published
        day = local_date(article)
        assert day is not None
        fields["published_day"] = day_value(day)
    labels = (*article.tags, article.category)
    text = text_value(article.title, article.lead, article.body, labels)
    if text.parts:
        fields[text_field(group)] = text
    if article.title:
        fields[f"{TITLE_PREFIX}{group}"] = article.title
    if f"{FOLD_PREFIX}{group}" in schema:
        fields[f"{FOLD_PREFIX}{group}"] = "\n".join(
            (article.title, article.lead, article.body, *labels)
        )
    if "copy_key" in schema:  # not in builds made before stories (still updated in place)
        copy = stories.copy_key(article.title, article.body)
        fields.update(copy_key=copy, story_key=stories.story_key(article.story, copy))
        if article.story:
            fields["story"] = article.story
    return fields, lang, detected
