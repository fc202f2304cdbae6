"""Resource-policy evaluation for one request, with IAM's documented rules: a statement applies
when its principal, action (or NotAction), resource (or NotResource) and every condition match;
a missing condition key fails a positive operator and satisfies a negated one (`...Not...`),
`...IfExists` operators hold when the key is missing, `Null` tests presence. It knows the
operators the center's bucket policies use and fails loudly on any other."""

from __future__ import annotations

import fnmatch
from typing import Any


def _listed(value: Any) -> list:
    return value if isinstance(value, list) else [value]


def _match(patterns: Any, value: str) -> bool:
    return any(fnmatch.fnmatchcase(value, str(p)) for p in _listed(patterns))


def _holds(operator: str, expected: Any, actual: str | None) -> bool:
    base, if_exists = (operator[:-8], True) if operator.endswith("IfExists") else (operator, False)
    if base == "Null":
        return (actual is None) == (str(_listed(expected)[0]).lower() == "true")
    negated = "Not" in base
    if actual is None:
        return True if if_exists else negated
    values = [str(v) for v in _listed(expected)]
    if base in ("StringEquals", "ArnEquals", "StringNotEquals", "ArnNotEquals"):
        hit = actual in values
    elif base in ("StringLike", "ArnLike", "StringNotLike", "ArnNotLike"):
        hit = _match(values, actual)
    elif base == "Bool":
        hit = actual.lower() in [v.lower() for v in values]
    elif base == "NumericGreaterThan":
        return any(float(actual) > float(v) for v in values)
    elif base == "NumericLessThanEquals":
        return any(float(actual) <= float(v) for v in values)
    else:
        raise AssertionError(f"the evaluator does not know condition operator {operator}")
    return not hit if negated else hit


def applies(statement: dict, principal: str, action: str, resource: str, context: dict[str, str]) -> bool:
    who = statement.get("Principal")
    if who is not None and who != "*":
        if not _match(who.get("AWS", []), principal):
            return False
    if "Action" in statement and not _match(statement["Action"], action):
        return False
    if "NotAction" in statement and _match(statement["NotAction"], action):
        return False
    if "Resource" in statement and not _match(statement["Resource"], resource):
        return False
    if "NotResource" in statement and _match(statement["NotResource"], resource):
        return False
    for operator, pairs in (statement.get("Condition") or {}).items():
        for key, expected in pairs.items():
            value = context.get("aws:PrincipalArn" if key == "aws:PrincipalArn" else key)
            if not _holds(operator, expected, value):
                return False
    return True


def denying(policy: dict, principal: str, action: str, resource: str, context: dict[str, str]) -> list[str]:
    """The Sids of the Deny statements that apply to the request."""
    return [s.get("Sid", "?") for s in policy["Statement"]
            if s["Effect"] == "Deny" and applies(s, principal, action, resource, {**context, "aws:PrincipalArn": principal})]
