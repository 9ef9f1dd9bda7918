"""The OpenAPI 3.1 description of every endpoint (served at ``/openapi.json``): the reader's
JSON API, operations and the admin API (bearer token), error responses included.

Written by hand, next to the views it describes, and the only description there is:
``tests/test_reader_api.py`` validates real responses against it and
``tests/test_openapi_contract.py`` runs schemathesis against the document a real gunicorn
serves, so it cannot drift from what the service sends.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request

from .. import __name__ as package
from ..articles import FIELDS as ARTICLE_FIELDS
from ..errors import InvalidArticles, api_errors

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


def _errors(**described: str) -> dict[str, Any]:
    """Error responses by status (``_413="Query too long."``), each with the one error body."""
    return {
        status.lstrip("_"): _json(f"{text} Body: a stable machine code and a message.", ERROR)
        for status, text in described.items()
    }


ERROR = _ref("Error")
LANG = _param("lang", "Only this language (ISO 639-1 code).", {"type": "string"})
RATE_LIMITED = {
    "429": {
        **_json(
            "Over the client's budget (SEARCH_RATELIMIT; /suggest: SEARCH_SUGGEST_RATELIMIT).",
            ERROR,
        ),
        "headers": {
            "Retry-After": {"description": "Seconds to wait.", "schema": {"type": "integer"}}
        },
    }
}
# The admin API: bearer token; 404 for every request while SEARCH_ADMIN_TOKEN is unset.
ADMIN = {"security": [{"bearer": []}], "tags": ["admin"]}
ADMIN_ERRORS = _errors(
    _401="Missing or wrong bearer token.",
    _404="The admin API is disabled (SEARCH_ADMIN_TOKEN unset), or no such job.",
    _413="The body is over SEARCH_ADMIN_MAX_BODY or the batch over its size limit.",
)
# Replication: its own bearer token; 404 for every request while SEARCH_REPLICATION_TOKEN is unset.
REPLICATION = {"security": [{"replication": []}], "tags": ["replication"]}
REPLICATION_ERRORS = _errors(
    _401="Missing or wrong replication token.",
    _404="Replication is disabled (SEARCH_REPLICATION_TOKEN unset), or no such file.",
)
ARTICLE_TEXT_FIELDS = [name for name in ARTICLE_FIELDS if name != "tags"]
NO_INDEX = _errors(_503="No index has been built yet.")
ARTICLE_ID = _param(
    "article_id", "The article's id.", {**STR, "minLength": 1}, where="path", required=True
)

# An article in a list of results (searching.searcher.Hit), without its score.
RULE_NAME = _param(
    "name",
    "The rule's name.",
    {**STR, "pattern": "^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"},
    where="path",
    required=True,
)
IDS = {"type": "array", "items": {**STR, "pattern": "^\\S{1,200}$"}, "maxItems": 50}
NULLABLE_TIME = {"type": ["string", "null"], "format": "date-time"}
RULE = {
    "query": {**STR, "minLength": 1, "maxLength": 200, "pattern": "\\S"},
    "lang": {"type": ["string", "null"], "pattern": "^[a-z]{2,3}$"},
    "pin": {**IDS, "description": "Articles first, in this order."},
    "hide": {**IDS, "description": "Articles never shown."},
    "starts": NULLABLE_TIME,
    "ends": NULLABLE_TIME,
}

HIT = {name: STR for name in ("id", "title", "lang", "category", "published")}
HIT["url"] = {**NULLABLE_STR, "description": "http(s) or site-relative; null when none."}
HIT_LINK = {name: HIT[name] for name in ("id", "lang", "title", "url")}

SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "properties": {
            "error": {
                "enum": list(dict.fromkeys(kind.code for kind in api_errors())),
                "description": "A stable machine code (README.md, Error codes).",
            },
            "message": STR,
        },
        "required": ["error", "message"],
    },
    "Hit": _object(
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
                "items": _ref("Translation"),
                "description": "The story's versions in other languages (any language filter).",
            },
        }
    ),
    "Translation": _object(HIT_LINK),
    "Click": _object(
        {
            "search_id": {**STR, "pattern": "^[A-Za-z0-9._-]{1,64}$"},
            "id": {**STR, "minLength": 1, "maxLength": 200},
            "position": {**INT, "minimum": 1, "maximum": 10000},
        }
    ),
    "RuleBody": _object(RULE, required=["query"]),
    "Rule": _object({"name": STR, **RULE}),
    "Rules": _object({"rules": {"type": "array", "items": _ref("Rule")}}),
    "Facets": _object({"lang": COUNTS, "category": COUNTS, "year": COUNTS}),
    "SearchResponse": _object(
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
    "RelatedArticle": _object({**HIT, "score": {"type": "number"}}),
    "RelatedResponse": _object(
        {"id": STR, "lang": STR, "results": {"type": "array", "items": _ref("RelatedArticle")}}
    ),
    "Health": _object(
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
                "additionalProperties": _ref("SourceHealth"),
            },
        },
        required=["status", "documents", "build", "build_created", "generation"],
    ),
    "SourceHealth": _object(
        {
            "kind": {"enum": ["database", "sitemap", "feed", "pages"]},
            "watermark": {
                "type": ["object", "null"],
                "description": "Where the source's sync got to: a database's last `updated` "
                "and id applied; a site's pages known and newest lastmod; a directory's files.",
            },
            "last_success": NULLABLE_STR,
            "last_error": NULLABLE_STR,
        }
    ),
    "Manifest": {
        "type": "object",
        "description": "The leader's live build, file by file (see the README).",
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
                "items": _object({"name": STR, "size": INT, "sha256": STR}),
            },
            "sources": {"type": ["object", "null"]},
        },
    },
    "Article": {
        "type": "object",
        "description": "One article, as one line of the JSON Lines input (see the README).",
        "properties": {
            **{name: NULLABLE_STR for name in ARTICLE_TEXT_FIELDS},
            "tags": {"type": ["array", "null"], "items": STR},
        },
    },
    "RecordError": _object(
        {"record": {"type": ["integer", "null"]}, "id": NULLABLE_STR, "reason": STR}
    ),
    "WriteResult": {
        **_object(
            {
                "status": {"enum": ["applied", "queued"]},
                "accepted": INT,
                "rejected": INT,
                "errors": {"type": "array", "items": _ref("RecordError")},
                "ids": {"type": "array", "items": STR},
                "journal_seq": INT,
            }
        ),
        "description": "applied: searchable now; queued: durable, applied when the writer "
        "lock frees (a reindex is running).",
    },
    "Rejected": _object(
        {
            "error": {"const": InvalidArticles.code},
            "message": STR,
            "errors": {"type": "array", "items": _ref("RecordError")},
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

PATHS: dict[str, Any] = {
    "/search": {
        "get": {
            "summary": "Search articles",
            "parameters": [
                _param("q", "The reader's query.", STR, required=True),
                LANG,
                _param("page", "1-based page.", {"type": "integer", "minimum": 1}),
                _param(
                    "per_page",
                    "Results per page.",
                    {"type": "integer", "minimum": 1, "maximum": 100},
                ),
                _param("category", "Only this category.", STR),
                _param("tags", "Only articles with all these tags (comma-separated).", STR),
                _param("from", "Published on or after (YYYY-MM-DD).", {**STR, "format": "date"}),
                _param("to", "Published on or before (YYYY-MM-DD).", {**STR, "format": "date"}),
                _param("sort", "Order of results.", {"enum": ["relevance", "newest"]}),
            ],
            "responses": {
                "200": _json("One page of results.", _ref("SearchResponse")),
                **_errors(
                    _400="No query, or an invalid parameter.",
                    _413="The query is over SEARCH_MAX_QUERY_LENGTH.",
                ),
                **RATE_LIMITED,
                **NO_INDEX,
            },
        }
    },
    "/suggest": {
        "get": {
            "summary": "As-you-type completions, frequent phrases and matching titles",
            "parameters": [
                _param("q", "The query as typed so far (the last word may be partial).", STR),
                LANG,
                _param("limit", "Most suggestions.", {"type": "integer", "minimum": 1}),
            ],
            "responses": {
                "200": _json("Suggestions, most useful first.", _ref("SuggestResponse")),
                **_errors(
                    _400="An invalid parameter.",
                    _413="The query is over SEARCH_MAX_QUERY_LENGTH.",
                ),
                **RATE_LIMITED,
                **NO_INDEX,
            },
        }
    },
    "/articles/{article_id}/related": {
        "get": {
            "summary": "Articles like this one, same language first",
            "parameters": [
                ARTICLE_ID,
                _param("limit", "Most articles.", {"type": "integer", "minimum": 1}),
            ],
            "responses": {
                "200": _json("Related articles, best first.", _ref("RelatedResponse")),
                **_errors(_400="An invalid parameter.", _404="No article with this id."),
                **RATE_LIMITED,
                **NO_INDEX,
            },
        }
    },
    "/healthz": {
        "get": {
            "summary": "Whether a build is loaded (not rate-limited)",
            "responses": {
                "200": _json("Ready.", _ref("Health")),
                **_errors(
                    _503="No index has been built yet, or (a follower) it is further behind "
                    "its leader than SEARCH_MAX_LAG."
                ),
            },
        }
    },
    "/metrics": {
        "get": {
            "summary": "Prometheus metrics of every worker (not rate-limited)",
            "responses": {
                "200": {
                    "description": "Prometheus text format.",
                    "content": {"text/plain": {"schema": STR}},
                }
            },
        }
    },
    "/admin/articles/{article_id}": {
        "parameters": [ARTICLE_ID],
        "put": {
            **ADMIN,
            "summary": "Insert or replace one article",
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": _ref("Article")}},
            },
            "responses": {
                "200": _json("Applied: searchable now.", _ref("WriteResult")),
                "202": _json("Queued: durable, applied when the lock frees.", _ref("WriteResult")),
                **_errors(_400="The body is not JSON."),
                "422": _json("The article is invalid, with the reason.", _ref("Rejected")),
                **ADMIN_ERRORS,
                **NO_INDEX,
            },
        },
        "patch": {
            **ADMIN,
            "summary": "Change some fields of one article, keeping the others",
            "description": "The fields sent replace the article's (null clears one); the "
            "merged article is validated as a whole. PUT replaces the whole article.",
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": _ref("Article")}},
            },
            "responses": {
                "200": _json("Applied: searchable now.", _ref("WriteResult")),
                "202": _json("Queued: durable, applied when the lock frees.", _ref("WriteResult")),
                **_errors(_400="The body is not a JSON object."),
                "422": _json("The merged article is invalid, with the reason.", _ref("Rejected")),
                **ADMIN_ERRORS,
                **NO_INDEX,
            },
        },
        "delete": {
            **ADMIN,
            "summary": "Delete one article",
            "responses": {
                "200": _json("Applied: gone from search now.", _ref("WriteResult")),
                "202": _json("Queued: durable, applied when the lock frees.", _ref("WriteResult")),
                **ADMIN_ERRORS,
                **NO_INDEX,
            },
        },
    },
    "/admin/articles": {
        "post": {
            **ADMIN,
            "summary": "A batch of articles: a JSON array, or JSON Lines",
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {"schema": {"type": "array", "items": _ref("Article")}},
                    "application/x-ndjson": {"schema": STR},
                },
            },
            "responses": {
                "200": _json("Applied; rejected records listed.", _ref("WriteResult")),
                "202": _json("Queued: durable, applied when the lock frees.", _ref("WriteResult")),
                **_errors(_400="The body is not a JSON array or JSON Lines."),
                "422": _json("No record is valid; the reason for each.", _ref("Rejected")),
                **ADMIN_ERRORS,
                **NO_INDEX,
            },
        }
    },
    "/admin/reindex": {
        "post": {
            **ADMIN,
            "summary": "Start a background full rebuild from SEARCH_REINDEX_SOURCE",
            "responses": {
                "202": _json("The job, started.", _ref("Job")),
                **_errors(_409="No SEARCH_REINDEX_SOURCE, or a reindex is running."),
                **ADMIN_ERRORS,
            },
        }
    },
    "/admin/jobs/{job_id}": {
        "get": {
            **ADMIN,
            "summary": "A reindex job's progress",
            "parameters": [_param("job_id", "The job id.", STR, where="path", required=True)],
            "responses": {"200": _json("The job.", _ref("Job")), **ADMIN_ERRORS},
        }
    },
    "/events/click": {
        "post": {
            "summary": "A reader followed a result of a search (sent by the page's beacon)",
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": _ref("Click")}},
            },
            "responses": {
                "204": {"description": "Recorded (in the query log, when there is one)."},
                **_errors(
                    _400="The body is not JSON.",
                    _413="The body is over 1,024 bytes.",
                    _422="A member is missing or out of range; `field` names it.",
                ),
                **RATE_LIMITED,
            },
        }
    },
    "/admin/rules": {
        "get": {
            **ADMIN,
            "summary": "Every editor's rule, by name",
            "responses": {"200": _json("The rules.", _ref("Rules")), **ADMIN_ERRORS},
        }
    },
    "/admin/rules/{name}": {
        "parameters": [RULE_NAME],
        "get": {
            **ADMIN,
            "summary": "One editor's rule",
            "responses": {"200": _json("The rule.", _ref("Rule")), **ADMIN_ERRORS},
        },
        "put": {
            **ADMIN,
            "summary": "Add or replace an editor's rule: articles pinned and hidden for a query",
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": _ref("RuleBody")}},
            },
            "responses": {
                "200": _json("Replaced.", _ref("Rule")),
                "201": _json("Added.", _ref("Rule")),
                **_errors(_400="The body is not JSON.", _409="This instance is a follower."),
                "422": _json("The rule is invalid; `field` names the member.", ERROR),
                **ADMIN_ERRORS,
            },
        },
        "delete": {
            **ADMIN,
            "summary": "Remove an editor's rule",
            "responses": {
                "204": {"description": "Removed."},
                **_errors(_409="This instance is a follower."),
                **ADMIN_ERRORS,
            },
        },
    },
    "/replication/manifest": {
        "get": {
            **REPLICATION,
            "summary": "The live build's manifest, for followers",
            "responses": {
                "200": _json("The manifest.", _ref("Manifest")),
                **REPLICATION_ERRORS,
                **NO_INDEX,
            },
        }
    },
    "/replication/builds/{build_id}/files/{name}": {
        "get": {
            **REPLICATION,
            "summary": "One file of a build, with range support",
            "parameters": [
                _param("build_id", "The build id.", STR, where="path", required=True),
                _param("name", "The file name.", STR, where="path", required=True),
            ],
            "responses": {
                "200": {
                    "description": "The file.",
                    "content": {"application/octet-stream": {"schema": STR}},
                },
                "206": {
                    "description": "The requested byte range.",
                    "content": {"application/octet-stream": {"schema": STR}},
                },
                **_errors(_416="The byte range is outside the file."),
                **REPLICATION_ERRORS,
            },
        }
    },
    "/openapi.json": {
        "get": {
            "summary": "This description",
            "responses": {
                "200": _json("OpenAPI 3.1 document.", {"type": "object"}),
                **RATE_LIMITED,
            },
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
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "SEARCH_ADMIN_TOKEN; the admin API is off without it.",
                },
                "replication": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "SEARCH_REPLICATION_TOKEN; replication is off without it.",
                },
            },
        },
    }
    if server:
        document["servers"] = [{"url": server}]
    return document


openapi = Blueprint("openapi", __name__)


@openapi.get("/openapi.json")
def openapi_view():
    return jsonify(spec(request.host_url.rstrip("/")))
