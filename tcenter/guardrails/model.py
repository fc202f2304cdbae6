"""The view every rule judges: declared resources normalized the same way for both entry
points (the policy pack, `tcenter check`), and the small helpers rules share.

A rule has a resource check (one resource alone), a stack check (needs other resources:
which bucket a lock belongs to, which VPC a flow log watches), or both. Each names the
control it implements (AWS Security Hub FSBP, CIS AWS Foundations v3, checkov id).

Values unknown until deploy ("[unknown]", or Pulumi's unknown sentinel during preview)
never count as a violation: a rule judges what it can see, and `pulumi up` runs the pack
again with the values known.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping, Sequence

from ..core import iamdoc

UNKNOWN = "[unknown]"
SECRET = "[secret]"
PULUMI_UNKNOWN_SENTINELS = frozenset({
    # How the engine marks values unknown during preview, one per type (string, bool, number,
    # array, asset, archive, object); the string one is also the SDK's rpc.UNKNOWN.
    "04da6b54-80e4-46f7-96ec-b56ff0331ba9", "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7",
    "3eeb2bf0-c639-47a8-9e75-3b44932eb421", "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2",
    "030794c1-ac77-496b-92df-f27374a8bd58", "e48ece36-62e2-4504-bad9-02848725956a",
    "dd056dcd-154b-4c76-9bd3-c8f88648b5ff",
})
AWS_PROVIDER = "pulumi:providers:aws"
BUCKET_TYPES = ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")
LOCK_TYPES = (
    "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration",
    "aws:s3/bucketObjectLockConfigurationV2:BucketObjectLockConfigurationV2",
)
ANYWHERE_V4 = "0.0.0.0/0"
ANYWHERE_V6 = "::/0"

# Role and bucket classes, by the names the components give them (and a `role`/`purpose` tag).
SIGNER_ROLE = re.compile(r"(^|[-_/])signer([-_/]|$)")
REVIEWER_ROLE = re.compile(r"(^|[-_/])reviewers?([-_/]|$)")
LOCKED_BUCKET = re.compile(r"(^|-)(release|releases|audit|audit-archive)(-|$)")
CUSTOMER_DATA_BUCKET = re.compile(r"(^|-)(data|customer-data)-[a-z0-9-]+$|(^|-)customer-data(-|$)")


# --- the normalized view ------------------------------------------------------------------

@dataclass(frozen=True)
class Resource:
    """One declared resource as every rule sees it."""

    urn: str
    type: str
    name: str
    inputs: Mapping[str, Any]
    """camelCase, as Pulumi sends them; JSON documents are strings; unknowns are UNKNOWN."""
    protect: bool = False
    provider: str = ""
    """URN of the provider resource (empty for providers and components)."""
    provider_inputs: Mapping[str, Any] | None = None
    """The inputs of that provider, when the entry point knows them."""
    property_dependencies: Mapping[str, Sequence[str]] = field(default_factory=dict)
    """input key -> URNs the value came from (how a lock config names its bucket)."""
    state: Mapping[str, Any] = field(default_factory=dict)
    """inputs and outputs (ids, ARNs), for cross-resource lookups."""


@dataclass(frozen=True)
class Stack:
    name: str
    environment: str
    resources: tuple[Resource, ...]

    @property
    def is_prod(self) -> bool:
        return self.environment == "prod"

    def of_type(self, *types: str) -> list[Resource]:
        return [r for r in self.resources if r.type in types]

    def by_urn(self, urn: str) -> Resource | None:
        for resource in self.resources:
            if resource.urn == urn:
                return resource
        return None

    def referenced(self, resource: Resource, key: str, *types: str) -> list[Resource]:
        """The resources of `types` that `resource.inputs[key]` refers to: through the
        recorded property dependency, or by id/name/ARN equality (plan files, outputs)."""
        found: dict[str, Resource] = {}
        for urn in resource.property_dependencies.get(key, ()):
            target = self.by_urn(urn)
            if target is not None and target.type in types:
                found[target.urn] = target
        wanted_values = {v for v in as_list(resource.inputs.get(key)) if isinstance(v, str) and v and not is_unknown(v)}
        if wanted_values:
            for candidate in self.of_type(*types):
                names = {candidate.state.get(k) for k in ("id", "arn", "bucket", "name")} | \
                        {candidate.inputs.get(k) for k in ("bucket", "name")}
                if names & wanted_values:
                    found[candidate.urn] = candidate
        return list(found.values())


@dataclass(frozen=True)
class Violation:
    rule: str
    control: str
    urn: str
    message: str

    @property
    def resource_name(self) -> str:
        return self.urn.rsplit("::", 1)[-1]

    def __str__(self) -> str:
        return f"[{self.rule}] ({self.control}) {self.resource_name}: {self.message}"


ResourceCheck = Callable[[Resource, "Context"], Iterable[str]]
StackCheck = Callable[[Stack], Iterable[tuple[Resource, str]]]


@dataclass(frozen=True)
class Context:
    """What a single-resource check may know beyond the resource: the environment."""

    environment: str = "dev"

    @property
    def is_prod(self) -> bool:
        return self.environment == "prod"


@dataclass(frozen=True)
class Rule:
    id: str
    control: str
    description: str
    resource_check: ResourceCheck | None = None
    stack_check: StackCheck | None = None

    @property
    def references(self) -> dict[str, list[str]]:
        """The control ids in `control`, by catalogue: {"securityHub": ["S3.1"], "cis": ["v3 1.8"],
        "checkov": ["CKV_AWS_93"], "center": ["residency"]}; catalogues not named are left out."""
        found: dict[str, list[str]] = {}
        for part in self.control.split(";"):
            part = re.sub(r"\(.*?\)", "", part).strip()
            if part.startswith("center:"):
                found.setdefault("center", []).append(part.removeprefix("center:").strip())
            elif part.startswith("FSBP "):
                found.setdefault("securityHub", []).extend(c.strip() for c in part[5:].split(","))
            elif part.startswith("CIS "):
                version = "v3 " if part.startswith("CIS v3 ") else ""
                found.setdefault("cis", []).extend(version + c.strip() for c in part.removeprefix("CIS v3 ")
                                                   .removeprefix("CIS ").split(","))
            elif part.startswith(("CKV_", "CKV2_")):
                found.setdefault("checkov", []).extend(c.strip() for c in part.split(","))
        return found

    def check_resource(self, resource: Resource, context: Context) -> list[Violation]:
        if self.resource_check is None:
            return []
        return [Violation(self.id, self.control, resource.urn, message)
                for message in self.resource_check(resource, context)]

    def check_stack(self, stack: Stack) -> list[Violation]:
        if self.stack_check is None:
            return []
        return [Violation(self.id, self.control, resource.urn, message)
                for resource, message in self.stack_check(stack)]


# --- value helpers ------------------------------------------------------------------------

def dig(value: Any, *path: str | int) -> Any:
    for part in path:
        if isinstance(part, int):
            value = value[part] if isinstance(value, list) and -len(value) <= part < len(value) else None
        else:
            value = value.get(part) if isinstance(value, Mapping) else None
        if value is None:
            return None
    return value


def is_unknown(value: Any) -> bool:
    return isinstance(value, str) and (value in (UNKNOWN, SECRET) or value in PULUMI_UNKNOWN_SENTINELS)


def normalize(value: Any) -> Any:
    """Plain JSON values with Pulumi's unknown sentinels turned into UNKNOWN."""
    if isinstance(value, Mapping):
        return {str(k): normalize(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [normalize(v) for v in value]
    if isinstance(value, str) and value in PULUMI_UNKNOWN_SENTINELS:
        return UNKNOWN
    return value


def truthy(value: Any) -> bool | None:
    """True/False for booleans and the strings "true"/"false" (launch templates, providers
    send booleans as strings); None when unknown or absent."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return None


def is_off(value: Any) -> bool:
    """A known value that is not true (absent counts as off; unknown never does)."""
    return not is_unknown(value) and truthy(value) is not True


as_list = iamdoc.as_list


def parse_document(value: Any) -> dict | None:
    """A JSON policy document as Pulumi sends it (a string), or None when unknown."""
    return None if is_unknown(value) else iamdoc.parse_document(value)


statements = iamdoc.statements


def actions_match(statement_actions: Any, action: str) -> bool:
    """Whether an IAM action list (wildcards allowed) covers `action`."""
    return any(isinstance(a, str) and fnmatch.fnmatchcase(action.lower(), a.lower()) for a in as_list(statement_actions))


principals_of = iamdoc.principal_values
lowered_conditions = iamdoc.lowered_conditions
names_everyone = iamdoc.names_everyone
covers_resource = iamdoc.covers_resource


def spared_principals(statement: Mapping) -> set[str] | None:
    """The principals a Deny spares when it names them (`ArnNotEquals` or `StringNotEquals` on
    aws:PrincipalArn, besides sparing AWS services); an empty set for a Deny of every principal;
    None when the Deny depends on anything else (it does not limit who acts)."""
    conditions = lowered_conditions(statement)
    bool_block = conditions.pop("bool", None)
    if bool_block is not None and {k: str(v).lower() for k, v in bool_block.items()} != {"aws:principalisawsservice": "false"}:
        return None
    if not conditions:
        return set()
    if len(conditions) != 1:
        return None
    (operator, pairs), = conditions.items()
    if operator not in ("arnnotequals", "stringnotequals") or set(pairs) != {"aws:principalarn"}:
        return None
    return {str(v) for v in as_list(pairs["aws:principalarn"])}


def denies_to_everyone(document: Mapping | None, action: str, arn: str) -> list[dict]:
    """The document's Denies of `action` on `arn` whose principal is everyone."""
    return [s for s in statements(document) if s.get("Effect") == "Deny" and names_everyone(s)
            and actions_match(s.get("Action"), action) and covers_resource(s, arn)]


def is_create_only_deny(statement: Mapping) -> bool:
    """A Deny whose only conditions are `s3:if-none-match` null and `s3:ObjectCreationOperation`
    true: every PutObject or CompleteMultipartUpload that could replace an object is refused."""
    conditions = lowered_conditions(statement)
    return (conditions.get("null") == {"s3:if-none-match": "true"}
            and str((conditions.get("bool") or {}).get("s3:objectcreationoperation")).lower() == "true"
            and set(conditions) == {"null", "bool"})


def create_only(document: Mapping | None, arn: str) -> bool:
    """The policy denies everyone an upload to `arn` that could overwrite it."""
    return any(is_create_only_deny(s) for s in denies_to_everyone(document, "s3:PutObject", arn))


def admitted_principals(document: Mapping | None, arn: str, action: str = "s3:PutObject") -> set[str] | None:
    """Who may still `action` on `arn` after the policy's naming Denies: a set of principal ARNs,
    or None when no Deny limits the principal (any principal with an IAM grant may)."""
    admitted: set[str] | None = None
    for statement in denies_to_everyone(document, action, arn):
        spared = spared_principals(statement)
        if spared is not None:
            admitted = spared if admitted is None else admitted & spared
    return admitted


def resource_patterns_cover(patterns: Any, arn: str) -> bool:
    return any(isinstance(p, str) and fnmatch.fnmatchcase(arn, p) for p in as_list(patterns))


def tags_of(resource: Resource) -> dict[str, str]:
    tags = resource.inputs.get("tags")
    return {str(k): str(v) for k, v in tags.items()} if isinstance(tags, Mapping) else {}


def role_name_of_arn(arn: str) -> str:
    return arn.split(":role/", 1)[1].rsplit("/", 1)[-1] if ":role/" in arn else ""


def is_signer_role_name(name: str) -> bool:
    return bool(name) and bool(SIGNER_ROLE.search(name))


def is_reviewer_role(resource: Resource) -> bool:
    tags = tags_of(resource)
    name = resource.inputs.get("name")
    return tags.get("role") == "reviewer" or (isinstance(name, str) and bool(REVIEWER_ROLE.search(name)))


def bucket_name_of(resource: Resource) -> str:
    name = resource.inputs.get("bucket")
    return name if isinstance(name, str) and not is_unknown(name) else ""


def needs_object_lock(bucket: Resource) -> bool:
    """Release and audit buckets: named so, or tagged `purpose: release|audit`."""
    purpose = tags_of(bucket).get("purpose", "")
    return purpose in ("release", "audit") or bool(LOCKED_BUCKET.search(bucket_name_of(bucket)))


def holds_customer_data(bucket: Resource) -> bool:
    tags = tags_of(bucket)
    return tags.get("purpose") == "customer-data" or "customer-region" in tags \
        or bool(CUSTOMER_DATA_BUCKET.search(bucket_name_of(bucket)))


def cidrs_anywhere(values: Iterable[Any]) -> list[str]:
    return sorted({str(v) for v in values if v in (ANYWHERE_V4, ANYWHERE_V6)})


# --- environment --------------------------------------------------------------------------

def environment_of_stack(stack_name: str, declared: Any = None) -> str:
    """The stack's environment: what the program exported, else read from the stack name
    (`prod` or `*-prod` is prod). Unknown stacks are judged as prod: stricter, never looser."""
    if declared in ("dev", "staging", "prod"):
        return str(declared)
    if stack_name in ("dev", "staging", "local"):
        return "dev" if stack_name == "local" else stack_name
    if stack_name.endswith("-dev"):
        return "dev"
    if stack_name.endswith("-staging"):
        return "staging"
    return "prod"


def stack_of_urn(urn: str) -> str:
    return urn.split("::", 1)[0].removeprefix("urn:pulumi:") if urn.startswith("urn:pulumi:") else ""
