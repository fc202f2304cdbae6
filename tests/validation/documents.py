"""Every policy document a plan declares, found by walking every input of every resource.

Nothing here lists documents by hand: a new resource type or property that carries a policy
is found because it *is* a policy (a JSON object with `Statement`), and classified by where
it sits: a role's trust policy, an identity policy (inline, managed, boundary), or a
resource policy (keys, buckets, endpoints and anything else that names principals).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Iterator

TRUST = "trust"
IDENTITY = "identity"
RESOURCE = "resource"

TRUST_POLICY_PROPERTIES = {("aws:iam/role:Role", "assumeRolePolicy")}
IDENTITY_POLICY_TYPES = {
    "aws:iam/rolePolicy:RolePolicy", "aws:iam/policy:Policy", "aws:iam/userPolicy:UserPolicy",
    "aws:iam/groupPolicy:GroupPolicy", "aws:organizations/policy:Policy",
}
"""Identity policies (and SCPs, which have the same grammar: no Principal)."""


@dataclass(frozen=True)
class Document:
    stack: str
    resource_type: str
    resource_name: str
    path: str
    kind: str
    text: str

    @property
    def parsed(self) -> dict[str, Any]:
        return json.loads(self.text)

    @property
    def statements(self) -> list[dict[str, Any]]:
        statements = self.parsed.get("Statement", [])
        return statements if isinstance(statements, list) else [statements]

    def __str__(self) -> str:
        return f"{self.stack}: {self.resource_type} {self.resource_name} {self.path}"


def classify(resource_type: str, path: str) -> str:
    top = path.split(".", 1)[0].split("[", 1)[0]
    if (resource_type, top) in TRUST_POLICY_PROPERTIES:
        return TRUST
    if resource_type in IDENTITY_POLICY_TYPES or (resource_type == "aws:iam/role:Role" and top == "inlinePolicies"):
        return IDENTITY
    return RESOURCE


def _as_document(value: Any) -> str | None:
    if isinstance(value, str) and '"Statement"' in value:
        try:
            parsed = json.loads(value)
        except json.JSONDecodeError:
            return None
        return value if isinstance(parsed, dict) and "Statement" in parsed else None
    if isinstance(value, dict) and "Statement" in value:
        return json.dumps(value)
    return None


def _walk(value: Any, path: str) -> Iterator[tuple[str, str]]:
    text = _as_document(value)
    if text is not None:
        yield path, text
        return
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _walk(item, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _walk(item, f"{path}[{index}]")


def documents_of(stack: str, resources: Any) -> list[Document]:
    """`resources`: RecordedResource objects or plan-file resource dicts."""
    found = []
    for resource in resources:
        get = resource.get if isinstance(resource, dict) else lambda key, r=resource: getattr(r, key)
        for path, text in _walk(get("inputs") or {}, ""):
            found.append(Document(stack, get("type"), get("name"), path, classify(get("type"), path), text))
    return found
