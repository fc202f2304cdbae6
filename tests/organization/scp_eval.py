"""A minimal Deny-statement matcher for SCPs and resource policies: written from the IAM
policy evaluation docs ("Condition operators", "Multivalued context keys"), independently of
organization/scps.py and components/policies.py. Supports Action/NotAction and Resource/
NotResource with wildcards and the condition operators the kit's Denies use: ArnLike/
ArnEquals and their negations, StringEquals/StringLike and their negations, Bool, Null, the
`...IfExists` forms and `ForAnyValue:` over multivalued keys (a context value may be a list).
An operator it does not know raises, so a statement is never silently taken as matching."""

from __future__ import annotations

from fnmatch import fnmatchcase
from typing import Any


def _as_list(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _glob(pattern: str, value: str, case_insensitive: bool) -> bool:
    if case_insensitive:
        pattern, value = pattern.lower(), value.lower()
    # IAM wildcards are only * and ?; escape fnmatch's [].
    pattern = pattern.replace("[", "[[]")
    return fnmatchcase(value, pattern)


def _action_matches(stmt: dict[str, Any], action: str) -> bool:
    if "Action" in stmt:
        return any(_glob(p, action, True) for p in _as_list(stmt["Action"]))
    return not any(_glob(p, action, True) for p in _as_list(stmt["NotAction"]))


def _resource_matches(stmt: dict[str, Any], resource: str) -> bool:
    if "NotResource" in stmt:
        return not any(_glob(p, resource, False) for p in _as_list(stmt["NotResource"]))
    return any(_glob(p, resource, False) for p in _as_list(stmt.get("Resource", "*")))


_POSITIVE = {
    "ArnLike": lambda p, v: _glob(p, v, False),
    "ArnEquals": lambda p, v: _glob(p, v, False),  # IAM treats ArnEquals like ArnLike
    "StringEquals": lambda p, v: p == v,
    "StringEqualsIgnoreCase": lambda p, v: p.lower() == v.lower(),
    "StringLike": lambda p, v: _glob(p, v, False),
}
_NEGATED = {"ArnNotLike": "ArnLike", "ArnNotEquals": "ArnEquals", "StringNotEquals": "StringEquals",
            "StringNotLike": "StringLike", "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase"}


def _key_holds(op: str, expected: Any, actual: Any) -> bool:
    """One key of one operator: `actual` is None (absent), a string, or a list (multivalued)."""
    patterns = [str(p) for p in _as_list(expected)]
    if_exists = op.endswith("IfExists")
    base = op.removesuffix("IfExists")
    if base.startswith("ForAnyValue:"):
        inner = base.split(":", 1)[1]
        if inner not in _POSITIVE:
            raise ValueError(f"unsupported condition operator {op}")
        values = [] if actual is None else _as_list(actual)
        return any(_POSITIVE[inner](p, v) for p in patterns for v in values)
    if base.startswith("ForAllValues:"):
        inner = base.split(":", 1)[1]
        if inner not in _POSITIVE:
            raise ValueError(f"unsupported condition operator {op}")
        values = [] if actual is None else _as_list(actual)
        return all(any(_POSITIVE[inner](p, v) for p in patterns) for v in values)
    if base == "Null":
        return (actual is None) == (patterns[0].lower() == "true")
    if actual is None:
        # A missing key: negated operators hold, positive ones do not, ...IfExists always holds.
        return if_exists or base in _NEGATED
    values = _as_list(actual)
    if base == "Bool":
        return any(v.lower() in [p.lower() for p in patterns] for v in values)
    if base in _POSITIVE:
        return any(_POSITIVE[base](p, v) for p in patterns for v in values)
    if base in _NEGATED:
        return not any(_POSITIVE[_NEGATED[base]](p, v) for p in patterns for v in values)
    raise ValueError(f"unsupported condition operator {op}")


def _condition_holds(op: str, key_values: dict[str, Any], context: dict[str, Any]) -> bool:
    return all(_key_holds(op, expected, context.get(key)) for key, expected in key_values.items())


def denied_by(document: dict[str, Any], action: str, resource: str, context: dict[str, Any]) -> list[str]:
    """Sids of Deny statements that match the request. Context values are strings, lists of
    strings (multivalued keys such as aws:TagKeys) or absent."""
    hits = []
    for stmt in document["Statement"]:
        if stmt["Effect"] != "Deny" or not _action_matches(stmt, action):
            continue
        if not _resource_matches(stmt, resource):
            continue
        if all(_condition_holds(op, kv, context) for op, kv in stmt.get("Condition", {}).items()):
            hits.append(stmt.get("Sid", "?"))
    return hits
