"""A minimal SCP Deny-statement matcher: written from the IAM policy evaluation docs,
independently of organization/scps.py. Supports Action/NotAction with wildcards and the
conditions the SCPs use: ArnLike/ArnNotLike, StringEquals/StringNotEquals, Bool."""

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


def _condition_holds(op: str, key_values: dict[str, Any], context: dict[str, str]) -> bool:
    for key, expected in key_values.items():
        actual = context.get(key)
        patterns = _as_list(expected)
        if op == "ArnLike":
            ok = actual is not None and any(_glob(p, actual, False) for p in patterns)
        elif op == "ArnNotLike":
            ok = actual is None or not any(_glob(p, actual, False) for p in patterns)
        elif op == "StringEquals":
            ok = actual is not None and actual in patterns
        elif op == "StringNotEquals":
            ok = actual is None or actual not in patterns
        elif op == "Bool":
            ok = actual is not None and actual.lower() in [p.lower() for p in patterns]
        else:
            raise ValueError(f"unsupported condition operator {op}")
        if not ok:
            return False
    return True


def denied_by(document: dict[str, Any], action: str, resource: str, context: dict[str, str]) -> list[str]:
    """Sids of Deny statements that match the request."""
    hits = []
    for stmt in document["Statement"]:
        if stmt["Effect"] != "Deny" or not _action_matches(stmt, action):
            continue
        if not any(_glob(p, resource, False) for p in _as_list(stmt.get("Resource", "*"))):
            continue
        if all(_condition_holds(op, kv, context) for op, kv in stmt.get("Condition", {}).items()):
            hits.append(stmt.get("Sid", "?"))
    return hits
