"""The editors' rules over HTTP: ``/admin/rules`` lists them, ``/admin/rules/<name>`` puts,
reads and deletes one. Behind the admin token, like the rest of the admin API; a follower
refuses changes (it copies its leader's rules)."""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from ..errors import FollowerReadOnly, IndexUnavailable, RuleNotFound
from ..replication.health import leader_of
from ..searching import rules
from . import bearer, jsonbody, state

editorial = Blueprint("rules", __name__, url_prefix="/admin/rules")
bearer.guard(editorial, lambda: state().config.admin_token, "admin")


@editorial.before_request
def check_write() -> None:
    settings = state().config
    request.max_content_length = settings.admin_max_body
    if request.method in ("PUT", "DELETE"):
        leader = leader_of(state().store.root, settings.leader_url)
        if leader:
            raise FollowerReadOnly(
                f"this instance is a follower of {leader} and copies its rules: send "
                f"changes to the leader ({leader}/admin/rules/...)"
            )


@editorial.get("")
def list_rules():
    book = rules.load(state().store.root)
    return jsonify({"rules": [rule.as_dict() for rule in book.rules]})


@editorial.get("/<name>")
def get_rule(name: str):
    return jsonify(_existing(name).as_dict())


@editorial.put("/<name>")
def put_rule(name: str):
    body = jsonbody.decode(request.get_data(cache=True) or b"null")
    rule = rules.parse(name, body)
    try:
        schema = state().handle.searcher()[1].schema
    except IndexUnavailable:
        schema = None  # no build yet: the rule's words are checked against the first one
    if schema is not None:
        rules.check_words(schema, rule)
    created = rules.put(state().store.root, rule)
    return jsonify(rule.as_dict()), 201 if created else 200


@editorial.delete("/<name>")
def delete_rule(name: str):
    if not rules.delete(state().store.root, name):
        raise RuleNotFound(f"no rule named {name!r}")
    return "", 204


def _existing(name: str) -> rules.Rule:
    rule = rules.load(state().store.root).get(name)
    if rule is None:
        raise RuleNotFound(f"no rule named {name!r}")
    return rule
