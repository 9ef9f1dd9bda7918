"""The OpenAPI 3.1 description of every public endpoint (served at ``/openapi.json``).

Written by hand, next to the views it describes; ``tests/test_openapi.py`` validates real
responses against it, so it cannot drift from what the service sends.
"""

from __future__ import annotations

from typing import Any

from .. import __name__ as package

STR = {"type": "string"}
NULLABLE_STR = {"type": ["string", "null"]}
INT = {"type": "integer"}
COUNTS = {"type": "object", "additionalProperties": {"type": "integer", "minimum": 1}}


def _object(properties: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties) if required is None else required,
        "additionalProperties": False,
    }


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _param(name: str, description: str, schema: dict[str, Any], **extra: Any) -> dict[str, Any]:
    where = extra.pop("where", "query")
    return {"name": name, "in": where, "description": description, "schema": schema, **extra}


def _json(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


ERROR = _json("An error: a stable machine code and a message.", _ref("Error"))
LANG = _param("lang", "Only this language (ISO 639-1 code).", {"type": "string"})

SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "properties": {"error": STR, "message": STR},
        "required": ["error", "message"],
    },
    "Hit": _object(
        {
            "id": STR,
            "title": STR,
            "title_html": {**STR, "description": "HTML: matches in <mark>, the rest escaped."},
            "url": STR,
            "lang": STR,
            "category": STR,
            "published": STR,
            "snippet": {**STR, "description": "HTML: matches in <mark>, the rest escaped."},
            "score": {"type": ["number", "null"]},
        }
    ),
    "Facets": _object({"lang": COUNTS, "category": COUNTS, "year": COUNTS}),
    "SearchResponse": _object(
        {
            "query": STR,
            "total": INT,
            "page": INT,
            "per_page": INT,
            "took_ms": {"type": "number"},
            "relaxed": {"type": "boolean"},
            "truncated": {"type": "boolean"},
            "build": STR,
            "results": {"type": "array", "items": _ref("Hit")},
            "did_you_mean": NULLABLE_STR,
            "facets": _ref("Facets"),
            "partial": {"type": "boolean"},
        }
    ),
    "Suggestion": _object(
        {
            "text": STR,
            "kind": {"enum": ["query", "article"]},
            "id": NULLABLE_STR,
            "url": NULLABLE_STR,
            "lang": NULLABLE_STR,
        }
    ),
    "SuggestResponse": _object(
        {
            "query": STR,
            "took_ms": {"type": "number"},
            "suggestions": {"type": "array", "items": _ref("Suggestion")},
        }
    ),
    "RelatedArticle": _object(
        {
            "id": STR,
            "title": STR,
            "url": STR,
            "lang": STR,
            "category": STR,
            "published": STR,
            "score": {"type": "number"},
        }
    ),
    "RelatedResponse": _object(
        {"id": STR, "lang": STR, "results": {"type": "array", "items": _ref("RelatedArticle")}}
    ),
    "Health": _object(
        {"status": STR, "documents": INT, "build": STR, "build_created": NULLABLE_STR}
    ),
}

PATHS: dict[str, Any] = {
    "/search": {
        "get": {
            "summary": "Search articles",
            "parameters": [
                _param("q", "The reader's query.", STR, required=True),
                LANG,
                _param("page", "1-based page.", {"type": "integer", "minimum": 1}),
                _param("per_page", "Results per page.", {"type": "integer", "minimum": 1}),
                _param("category", "Only this category.", STR),
                _param("tags", "Only articles with all these tags (comma-separated).", STR),
                _param("from", "Published on or after (YYYY-MM-DD).", {**STR, "format": "date"}),
                _param("to", "Published on or before (YYYY-MM-DD).", {**STR, "format": "date"}),
                _param("sort", "Order of results.", {"enum": ["relevance", "newest"]}),
            ],
            "responses": {
                "200": _json("One page of results.", _ref("SearchResponse")),
                "400": ERROR,
                "413": ERROR,
                "503": ERROR,
            },
        }
    },
    "/suggest": {
        "get": {
            "summary": "As-you-type completions and matching titles",
            "parameters": [
                _param("q", "The query as typed so far (the last word may be partial).", STR),
                LANG,
                _param("limit", "Most suggestions.", {"type": "integer", "minimum": 1}),
            ],
            "responses": {
                "200": _json("Suggestions, most useful first.", _ref("SuggestResponse")),
                "400": ERROR,
                "413": ERROR,
                "503": ERROR,
            },
        }
    },
    "/articles/{article_id}/related": {
        "get": {
            "summary": "Articles like this one, same language first",
            "parameters": [
                _param("article_id", "The article's id.", STR, where="path", required=True),
                _param("limit", "Most articles.", {"type": "integer", "minimum": 1}),
            ],
            "responses": {
                "200": _json("Related articles, best first.", _ref("RelatedResponse")),
                "400": ERROR,
                "404": ERROR,
                "503": ERROR,
            },
        }
    },
    "/healthz": {
        "get": {
            "summary": "Whether a build is loaded",
            "responses": {"200": _json("Ready.", _ref("Health")), "503": ERROR},
        }
    },
    "/metrics": {
        "get": {
            "summary": "Prometheus metrics of every worker",
            "responses": {
                "200": {"description": "Prometheus text format.", "content": {"text/plain": {}}}
            },
        }
    },
    # The admin API (bearer token; 404 when SEARCH_ADMIN_TOKEN is unset). Detailed bodies:
    # openapi/search-service.json, which tests/test_openapi_contract.py checks.
    "/admin/articles/{article_id}": {
        "parameters": [_param("article_id", "The article's id.", STR, where="path", required=True)],
        "put": {
            "summary": "Insert or replace one article (JSON Lines object as the body)",
            "responses": {
                "200": _json("Applied.", {"type": "object"}),
                "202": _json("Durable, applied when the writer lock frees.", {"type": "object"}),
                "401": ERROR,
                "422": _json("Rejected, with a reason per record.", {"type": "object"}),
            },
        },
        "delete": {
            "summary": "Delete one article",
            "responses": {
                "200": _json("Applied.", {"type": "object"}),
                "202": _json("Durable, applied when the writer lock frees.", {"type": "object"}),
                "401": ERROR,
            },
        },
    },
    "/admin/articles": {
        "post": {
            "summary": "A batch: JSON array or JSON Lines",
            "responses": {
                "200": _json("Applied; rejected records listed.", {"type": "object"}),
                "202": _json("Durable, applied when the writer lock frees.", {"type": "object"}),
                "401": ERROR,
                "413": ERROR,
                "422": _json("No valid record.", {"type": "object"}),
            },
        }
    },
    "/admin/reindex": {
        "post": {
            "summary": "Start a background full rebuild from SEARCH_REINDEX_SOURCE",
            "responses": {"202": _json("The job.", {"type": "object"}), "409": ERROR},
        }
    },
    "/admin/jobs/{job_id}": {
        "get": {
            "summary": "A reindex job's progress",
            "parameters": [_param("job_id", "The job id.", STR, where="path", required=True)],
            "responses": {"200": _json("The job.", {"type": "object"}), "404": ERROR},
        }
    },
    "/openapi.json": {
        "get": {
            "summary": "This description",
            "responses": {"200": _json("OpenAPI 3.1 document.", {"type": "object"})},
        }
    },
}


def spec(server: str | None = None) -> dict[str, Any]:
    """The OpenAPI document; ``server`` is the base URL it is served from."""
    document: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {
            "title": package,
            "version": "1",
            "description": "Full-text search for a trilingual (en, ru, az) news site.",
        },
        "paths": PATHS,
        "components": {"schemas": SCHEMAS},
    }
    if server:
        document["servers"] = [{"url": server}]
    return document
