"""The one reader of IAM policy documents: identity, resource, key, trust, endpoint and
SCP documents as plans hold them (a JSON string, or an object).

Standard library only: the guardrails (and so the policy pack's own virtualenv) use it.
"""

from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Mapping
from typing import Any

PRINCIPAL_KINDS = ("AWS", "Service", "Federated", "CanonicalUser")


def as_list(value: Any) -> list:
    """IAM's 'one or a list': None -> [], a scalar -> [it], a list or tuple -> a list."""
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def parse_document(value: Any) -> dict | None:
    """A policy document as an object: from an object, or from its JSON text; None when the
    value is no JSON object (absent, unknown until deploy, a secret, not JSON)."""
    if isinstance(value, Mapping):
        return dict(value)
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        document = json.loads(value)
    except json.JSONDecodeError:
        return None
    return document if isinstance(document, dict) else None


def policy_document(value: Any) -> dict | None:
    """Like `parse_document`, but only documents with a `Statement` count as policies."""
    document = parse_document(value)
    return document if document is not None and "Statement" in document else None


def statements(value: Any) -> list[dict]:
    """The statements of a document (object or JSON text), each an object; [] when none."""
    document = parse_document(value)
    if not document:
        return []
    return [dict(s) for s in as_list(document.get("Statement")) if isinstance(s, Mapping)]


def principal_entries(statement: Mapping) -> list[tuple[str, str]]:
    """Who a statement names, as (kind, value) pairs in document order: ('*', '*') for
    `"Principal": "*"`, else one pair per value of each kind (AWS, Service, Federated,
    CanonicalUser); [] when the statement has no Principal (identity policies)."""
    principal = statement.get("Principal")
    if principal is None:
        return []
    if isinstance(principal, str):
        return [("*", principal)] if principal == "*" else [("AWS", principal)]
    if not isinstance(principal, Mapping):
        return []
    return [(str(kind), str(value)) for kind, values in principal.items() for value in as_list(values)]


def principal_values(statement: Mapping) -> list[str]:
    """The principals a statement names, values only ('*', ARNs, account ids, service names)."""
    return [value for _, value in principal_entries(statement)]


def actions(statement: Mapping) -> list[str]:
    return [str(a) for a in as_list(statement.get("Action"))]


def not_actions(statement: Mapping) -> list[str]:
    return [str(a) for a in as_list(statement.get("NotAction"))]


def resources(statement: Mapping) -> list[str]:
    return [str(r) for r in as_list(statement.get("Resource"))]


def conditions(statement: Mapping) -> dict[str, dict[str, Any]]:
    """The Condition block as {operator: {key: value}}; {} when there is none."""
    block = statement.get("Condition")
    if not isinstance(block, Mapping):
        return {}
    return {str(op): dict(pairs) for op, pairs in block.items() if isinstance(pairs, Mapping)}


def condition_keys(statement: Mapping) -> set[str]:
    """Every condition key a statement tests, lower-cased (IAM compares keys case-insensitively)."""
    return {key.lower() for pairs in conditions(statement).values() for key in pairs}


def lowered_conditions(statement: Mapping) -> dict[str, dict[str, Any]]:
    """The Condition block with operators and keys lower-cased (IAM matches both case-insensitively)."""
    block = statement.get("Condition")
    if not isinstance(block, Mapping):
        return {}
    return {str(op).lower(): ({str(k).lower(): v for k, v in pairs.items()} if isinstance(pairs, Mapping) else {})
            for op, pairs in block.items()}


ACCOUNT_ROOT = re.compile(r"arn:aws:iam::\d{12}:root|\d{12}")


def names_everyone(statement: Mapping) -> bool:
    """Principal "*", or an account itself (in a key or bucket policy, every principal of it)."""
    principal = statement.get("Principal")
    if principal == "*":
        return True
    named = as_list(principal.get("AWS")) if isinstance(principal, Mapping) else []
    return any(p == "*" or (isinstance(p, str) and ACCOUNT_ROOT.fullmatch(p)) for p in named)


def covers_resource(statement: Mapping, arn: str) -> bool:
    """The statement's Resource (or NotResource) pattern takes in ARN (IAM's `*` and `?` wildcards)."""
    if "NotResource" in statement:
        return not any(fnmatch.fnmatchcase(arn, str(p)) for p in as_list(statement["NotResource"]))
    return any(fnmatch.fnmatchcase(arn, str(p)) for p in as_list(statement.get("Resource")))
