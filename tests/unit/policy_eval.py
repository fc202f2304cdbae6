"""A small evaluator of AWS policy documents for one request, with IAM's same-account logic
(IAM user guide, "Policy evaluation logic"): an explicit Deny in any policy wins; otherwise an
Allow in the identity policies (capped by the permissions boundary) or in the resource policy
naming the principal allows (S3); KMS needs the key policy to allow, itself or by naming the
account together with an identity Allow. It knows the condition operators the center's policies
use, Resource and NotResource, and fails loudly on anything else, so a document it cannot judge
is never judged wrong."""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from typing import Any


def _listed(value: Any) -> list:
    return value if isinstance(value, list) else [value]


def _like(patterns: Any, value: str) -> bool:
    return any(fnmatch.fnmatchcase(value, str(p)) for p in _listed(patterns))


@dataclass
class Request:
    principal: str
    """The caller's role ARN (aws:PrincipalArn), or `service:<name>` for a service principal."""
    action: str
    resource: str
    context: dict[str, str] = field(default_factory=dict)
    """Condition keys of the request, lower-case names; an absent key is null."""

    def value(self, key: str) -> str | None:
        return self.context.get(key.lower())


def _condition(operator: str, key: str, expected: Any, request: Request) -> bool:
    actual = request.value(key)
    values = [str(v) for v in _listed(expected)]
    op = operator.lower()
    if_exists = op.endswith("ifexists")
    op = op.removesuffix("ifexists")
    if op == "null":
        return (actual is None) == (values[0].lower() == "true")
    if actual is None:
        return if_exists or op.endswith("notequals") or op.endswith("notlike")
    if op == "bool":
        return actual.lower() in [v.lower() for v in values]
    if op in ("stringequals", "arnequals"):
        return actual in values
    if op in ("stringnotequals", "arnnotequals"):
        return actual not in values
    if op in ("stringlike", "arnlike"):
        return _like(values, actual)
    if op in ("stringnotlike", "arnnotlike"):
        return not _like(values, actual)
    raise AssertionError(f"the evaluator does not know condition operator {operator}")


def _conditions_hold(conditions: dict[str, dict[str, Any]], request: Request) -> bool:
    return all(_condition(op, key, expected, request) for op, pairs in conditions.items() for key, expected in pairs.items())


def _names(statement: dict[str, Any], request: Request, account: str) -> str:
    """How a resource-policy statement's Principal names the caller: direct | account | ''."""
    principal = statement.get("Principal")
    if principal == "*":
        return "direct"
    if not isinstance(principal, dict):
        return ""
    if request.principal.startswith("service:"):
        return "direct" if request.principal[8:] in _listed(principal.get("Service", [])) else ""
    for who in _listed(principal.get("AWS", [])):
        if who == "*" or who == request.principal:
            return "direct"
        if who in (f"arn:aws:iam::{account}:root", account) and f":{account}:" in request.principal:
            return "account"
    return ""


def _applies(statement: dict[str, Any], request: Request) -> bool:
    if "NotPrincipal" in statement:
        raise AssertionError(f"the evaluator does not know {statement.get('Sid')}'s NotPrincipal")
    if "NotAction" in statement:  # every action but those listed (IAM policy grammar)
        if _like(statement["NotAction"], request.action):
            return False
    elif not _like(statement.get("Action", []), request.action):
        return False
    if "NotResource" in statement:
        if _like(statement["NotResource"], request.resource):
            return False
    elif not _like(statement.get("Resource", []), request.resource):
        return False
    return _conditions_hold(statement.get("Condition", {}), request)


def _statements(document: dict[str, Any] | None) -> list[dict[str, Any]]:
    return list(document["Statement"]) if document else []


def allowed(request: Request, *, account: str, identity: list[dict[str, Any]] = (), boundary: dict[str, Any] | None = None,
            resource_policy: dict[str, Any] | None = None, kms: bool = False) -> bool:
    """Whether the request is allowed. `identity`: the principal's identity policy documents."""
    ident = [s for d in identity for s in _statements(d) if _applies(s, request)]
    bound = [s for s in _statements(boundary) if _applies(s, request)] if boundary is not None else None
    named = [(s, _names(s, request, account)) for s in _statements(resource_policy)]
    resource = [(s, how) for s, how in named if how and _applies(s, request)]
    denies = [s for s in ident if s["Effect"] == "Deny"] + [s for s, _ in resource if s["Effect"] == "Deny"]
    denies += [s for s in (bound or []) if s["Effect"] == "Deny"]
    if denies:
        return False
    identity_allows = any(s["Effect"] == "Allow" for s in ident)
    if bound is not None:
        identity_allows = identity_allows and any(s["Effect"] == "Allow" for s in bound)
    direct = any(s["Effect"] == "Allow" and how == "direct" for s, how in resource)
    via_account = any(s["Effect"] == "Allow" and how == "account" for s, how in resource)
    if kms:
        return direct or (via_account and identity_allows)
    return direct or identity_allows
