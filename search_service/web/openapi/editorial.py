"""The endpoints editors and readers' clicks add: the editors' rules (``/admin/rules``) and
``POST /events/click``, with their bodies."""

from __future__ import annotations

from typing import Any

from ...articles import ID_FORM, MAX_ID_LENGTH
from ...searching import rules
from ..ops import REQUEST_ID
from .paths import ADMIN, ADMIN_ERRORS, ERROR, RATE_LIMITED, _errors, _json, _param
from .schemas import INT, STR, object_schema, ref

RULE_NAME = _param(
    "name", "The rule's name.", {**STR, "pattern": rules.NAME.pattern}, where="path", required=True
)
IDS = {"type": "array", "items": {**STR, "pattern": ID_FORM.pattern}, "maxItems": rules.MAX_IDS}
NULLABLE_TIME = {"type": ["string", "null"], "format": "date-time"}
RULE = {
    "query": {**STR, "minLength": 1, "maxLength": rules.MAX_QUERY, "pattern": "\\S"},
    "lang": {"type": ["string", "null"], "pattern": rules.LANG.pattern},
    "pin": {**IDS, "description": "Articles first, in this order."},
    "hide": {**IDS, "description": "Articles never shown."},
    "starts": NULLABLE_TIME,
    "ends": NULLABLE_TIME,
}

SCHEMAS: dict[str, Any] = {
    "RuleBody": object_schema(RULE, required=["query"]),
    "Rule": object_schema({"name": STR, **RULE}),
    "Rules": object_schema({"rules": {"type": "array", "items": ref("Rule")}}),
    "Click": object_schema(
        {
            "search_id": {**STR, "pattern": REQUEST_ID.pattern},
            "id": {**STR, "maxLength": MAX_ID_LENGTH, "pattern": ID_FORM.pattern},
            "position": {**INT, "minimum": 1, "maximum": 10000},
        }
    ),
}

FOLLOWER = "This instance is a follower: it copies its leader's rules."
PATHS: dict[str, Any] = {
    "/events/click": {
        "post": {
            "summary": "A reader followed a result of a search (sent by the page's beacon)",
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": ref("Click")}},
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
            "responses": {"200": _json("The rules.", ref("Rules")), **ADMIN_ERRORS},
        }
    },
    "/admin/rules/{name}": {
        "parameters": [RULE_NAME],
        "get": {
            **ADMIN,
            "summary": "One editor's rule",
            "responses": {"200": _json("The rule.", ref("Rule")), **ADMIN_ERRORS},
        },
        "put": {
            **ADMIN,
            "summary": "Add or replace an editor's rule: articles pinned and hidden for a query",
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": ref("RuleBody")}},
            },
            "responses": {
                "200": _json("Replaced.", ref("Rule")),
                "201": _json("Added.", ref("Rule")),
                **_errors(_400="The body is not JSON.", _409=FOLLOWER),
                "422": _json("The rule is invalid; `field` names the member.", ERROR),
                **ADMIN_ERRORS,
            },
        },
        "delete": {
            **ADMIN,
            "summary": "Remove an editor's rule",
            "responses": {
                "204": {"description": "Removed."},
                **_errors(_409=FOLLOWER),
                **ADMIN_ERRORS,
            },
        },
    },
}
