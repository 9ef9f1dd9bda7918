"""The JSON Schemas of the bodies the service sends and takes: the OpenAPI document's
``components/schemas``, with the building blocks the paths share."""

from __future__ import annotations

from typing import Any

from ...articles import FIELDS as ARTICLE_FIELDS
from ...errors import InvalidArticles, api_errors

STR = {"type": "string"}
NULLABLE_STR = {"type": ["string", "null"]}
INT = {"type": "integer"}
COUNTS = {"type": "object", "additionalProperties": {"type": "integer", "minimum": 1}}


def object_schema(properties: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    """A closed object: no property beyond ``properties``, all required unless listed."""
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties) if required is None else required,
        "additionalProperties": False,
    }


def ref(name: str) -> dict[str, str]:
    """A reference to one of :data:`SCHEMAS`."""
    return {"$ref": f"#/components/schemas/{name}"}


ARTICLE_TEXT_FIELDS = [name for name in ARTICLE_FIELDS if name != "tags"]

# An article in a list of results (searching.searcher.Hit), without its score.
HIT = {name: STR for name in ("id", "title", "lang", "category", "published")}
HIT["url"] = {**NULLABLE_STR, "description": "http(s) or site-relative; null when none."}
HIT_LINK = {name: HIT[name] for name in ("id", "lang", "title", "url")}

SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "properties": {
            "error": {
                "enum": list(dict.fromkeys(kind.code for kind in api_errors())),
                "description": "A stable machine code (docs/errors.md).",
            },
            "message": STR,
        },
        "required": ["error", "message"],
    },
    "Hit": object_schema(
        {
            **HIT,
            "score": {"type": ["number", "null"]},
            "title_html": {**STR, "description": "HTML: matches in <mark>, the rest escaped."},
            "snippet": {**STR, "description": "HTML: matches in <mark>, the rest escaped."},
            "pinned": {"type": "boolean", "description": "Placed first by an editor's rule."},
            "duplicates": {
                "type": "array",
                "items": STR,
                "description": "Ids of the other matching copies (same title and body) this "
                "row stands for.",
            },
            "translations": {
                "type": "array",
                "items": ref("Translation"),
                "description": "The story's versions in other languages (any language filter).",
            },
        }
    ),
    "Translation": object_schema(HIT_LINK),
    "Facets": object_schema({"lang": COUNTS, "category": COUNTS, "year": COUNTS}),
    "SearchResponse": object_schema(
        {
            "query": STR,
            "total": INT,
            "page": INT,
            "per_page": INT,
            "took_ms": {"type": "number"},
            "search_id": {
                **STR,
                "description": "Names this answer in POST /events/click (the request id).",
            },
            "relaxed": {"type": "boolean"},
            "full_matches": {
                **INT,
                "description": "Articles with every word of the query (equal to total "
                "unless relaxed; 0 when none has them all).",
            },
            "truncated": {"type": "boolean"},
            "build": STR,
            "results": {"type": "array", "items": ref("Hit")},
            "did_you_mean": NULLABLE_STR,
            "facets": ref("Facets"),
            "partial": {"type": "boolean"},
        }
    ),
    "Suggestion": object_schema(
        {
            "text": STR,
            "kind": {"enum": ["query", "article"]},
            "id": NULLABLE_STR,
            "url": NULLABLE_STR,
            "lang": NULLABLE_STR,
        }
    ),
    "SuggestResponse": object_schema(
        {
            "query": STR,
            "took_ms": {"type": "number"},
            "suggestions": {"type": "array", "items": ref("Suggestion")},
        }
    ),
    "RelatedArticle": object_schema({**HIT, "score": {"type": "number"}}),
    "RelatedResponse": object_schema(
        {"id": STR, "lang": STR, "results": {"type": "array", "items": ref("RelatedArticle")}}
    ),
    "Health": object_schema(
        {
            "status": STR,
            "documents": INT,
            "build": STR,
            "build_created": NULLABLE_STR,
            "generation": INT,
            "replication": {
                "type": "object",
                "description": "On a follower only: its leader and how far behind it is.",
                "properties": {
                    "leader": STR,
                    "leader_reachable": {"type": "boolean"},
                    "leader_build": NULLABLE_STR,
                    "leader_generation": {"type": ["integer", "null"]},
                    "seconds_behind": {"type": ["number", "null"]},
                    "checked_seconds_ago": {"type": ["number", "null"]},
                    "error": NULLABLE_STR,
                },
            },
            "sources": {
                "type": "object",
                "description": "Present where `search-service sync` feeds the index: each "
                "source by name.",
                "additionalProperties": ref("SourceHealth"),
            },
        },
        required=["status", "documents", "build", "build_created", "generation"],
    ),
    "SourceHealth": object_schema(
        {
            "kind": {"enum": ["database", "sitemap", "feed", "pages"]},
            "watermark": {
                "type": ["object", "null"],
                "description": "Where the source's sync got to: a database's last `updated` "
                "and id applied; a site's pages known and newest lastmod; a directory's files.",
            },
            "last_success": NULLABLE_STR,
            "last_error": NULLABLE_STR,
            "rows_ahead": {
                **INT,
                "description": "Records of the last pass stamped after the source's own clock "
                "(scheduled posts, or a clock running ahead): applied, the watermark held at "
                "the clock, read again each pass until their time.",
            },
        }
    ),
    "Manifest": {
        "type": "object",
        "description": "The leader's live build, file by file (see docs/http-api.md).",
        "required": ["format", "build", "generation", "schema_version", "documents", "files"],
        "properties": {
            "format": INT,
            "build": STR,
            "generation": INT,
            "schema_version": INT,
            "documents": INT,
            "committed": {"type": "number"},
            "info": {"type": "object"},
            "bytes": INT,
            "files": {
                "type": "array",
                "items": object_schema({"name": STR, "size": INT, "sha256": STR}),
            },
            "sources": {"type": ["object", "null"]},
        },
    },
    "Article": {
        "type": "object",
        "description": "One article, as one line of the JSON Lines input (see docs/articles.md).",
        "properties": {
            **{name: NULLABLE_STR for name in ARTICLE_TEXT_FIELDS},
            "tags": {"type": ["array", "null"], "items": STR},
        },
    },
    "RecordError": object_schema(
        {"record": {"type": ["integer", "null"]}, "id": NULLABLE_STR, "reason": STR}
    ),
    "WriteResult": {
        **object_schema(
            {
                "status": {"enum": ["applied", "queued"]},
                "accepted": INT,
                "rejected": INT,
                "errors": {"type": "array", "items": ref("RecordError")},
                "ids": {"type": "array", "items": STR},
                "journal_seq": INT,
            }
        ),
        "description": "applied: searchable now; queued: durable, applied when the writer "
        "lock frees (a reindex is running).",
    },
    "Rejected": object_schema(
        {
            "error": {"const": InvalidArticles.code},
            "message": STR,
            "errors": {"type": "array", "items": ref("RecordError")},
        }
    ),
    "Job": {
        "type": "object",
        "properties": {
            "id": STR,
            "kind": STR,
            "status": {"enum": ["queued", "running", "succeeded", "failed"]},
            "progress": {"type": "object"},
            "summary": {"type": ["object", "null"]},
            "errors": {"type": "array"},
            "error": NULLABLE_STR,
        },
        "required": ["id", "kind", "status"],
    },
}
