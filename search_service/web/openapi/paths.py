"""Every endpoint of the OpenAPI document (its ``paths``): parameters, bodies and responses,
errors and rate limits included."""

from __future__ import annotations

from typing import Any

from .schemas import STR, ref


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


ERROR = ref("Error")
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
ARTICLE_BODY = {"required": True, "content": {"application/json": {"schema": ref("Article")}}}
QUEUED = _json("Queued: durable, applied when the lock frees.", ref("WriteResult"))
# Replication: its own bearer token; 404 for every request while SEARCH_REPLICATION_TOKEN is unset.
REPLICATION = {"security": [{"replication": []}], "tags": ["replication"]}
REPLICATION_ERRORS = _errors(
    _401="Missing or wrong replication token.",
    _404="Replication is disabled (SEARCH_REPLICATION_TOKEN unset), or no such file.",
)
NO_INDEX = _errors(_503="No index has been built yet.")
ARTICLE_ID = _param(
    "article_id", "The article's id.", {**STR, "minLength": 1}, where="path", required=True
)


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
                "200": _json("One page of results.", ref("SearchResponse")),
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
                "200": _json("Suggestions, most useful first.", ref("SuggestResponse")),
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
                "200": _json("Related articles, best first.", ref("RelatedResponse")),
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
                "200": _json("Ready.", ref("Health")),
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
            "requestBody": ARTICLE_BODY,
            "responses": {
                "200": _json("Applied: searchable now.", ref("WriteResult")),
                "202": QUEUED,
                **_errors(_400="The body is not JSON."),
                "422": _json("The article is invalid, with the reason.", ref("Rejected")),
                **ADMIN_ERRORS,
                **NO_INDEX,
            },
        },
        "patch": {
            **ADMIN,
            "summary": "Change some fields of one article, keeping the others",
            "description": "The fields sent replace the article's (null clears one); the "
            "merged article is validated as a whole. PUT replaces the whole article.",
            "requestBody": ARTICLE_BODY,
            "responses": {
                "200": _json("Applied: searchable now.", ref("WriteResult")),
                "202": QUEUED,
                **_errors(_400="The body is not a JSON object."),
                "422": _json("The merged article is invalid, with the reason.", ref("Rejected")),
                **ADMIN_ERRORS,
                **NO_INDEX,
            },
        },
        "delete": {
            **ADMIN,
            "summary": "Delete one article",
            "responses": {
                "200": _json("Applied: gone from search now.", ref("WriteResult")),
                "202": QUEUED,
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
                    "application/json": {"schema": {"type": "array", "items": ref("Article")}},
                    "application/x-ndjson": {"schema": STR},
                },
            },
            "responses": {
                "200": _json("Applied; rejected records listed.", ref("WriteResult")),
                "202": QUEUED,
                **_errors(_400="The body is not a JSON array or JSON Lines."),
                "422": _json("No record is valid; the reason for each.", ref("Rejected")),
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
                "202": _json("The job, started.", ref("Job")),
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
            "responses": {"200": _json("The job.", ref("Job")), **ADMIN_ERRORS},
        }
    },
    "/replication/manifest": {
        "get": {
            **REPLICATION,
            "summary": "The live build's manifest, for followers",
            "responses": {
                "200": _json("The manifest.", ref("Manifest")),
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
