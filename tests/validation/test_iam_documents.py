"""Every policy document of every stack, checked by validators the kit did not write.

- moto's copies of IAM's own validators (`IAMTrustPolicyDocumentValidator`,
  `IAMPolicyDocumentValidator`): what `CreateRole`, `PutRolePolicy` and `CreatePolicy`
  would refuse with `MalformedPolicyDocument`.
- parliament (offline, bundled IAM catalogue): unknown actions, prefixes, principals and
  malformed statements are never accepted; any other finding needs a written reason in
  validation-suppressions.yaml.
- AWS's size limits (components/awsfacts.py), which neither tool knows.

The documents are found by walking every input of every resource (tests/validation/documents.py),
so a new policy anywhere in the program is checked without editing this file.
"""

from __future__ import annotations

import copy
import json
import re
from functools import lru_cache

import pytest
import yaml
from moto.iam.policy_validation import IAMPolicyDocumentValidator, IAMTrustPolicyDocumentValidator
from parliament import analyze_policy_string

from components import awsfacts
from tcenter.core.stackfiles import PROJECT_ROOT
from tests.conftest import STACKS, _declared

from .documents import IDENTITY, RESOURCE, TRUST, Document, documents_of

SUPPRESSIONS = PROJECT_ROOT / "validation-suppressions.yaml"
NEVER_ACCEPTED = {"UNKNOWN_ACTION", "UNKNOWN_PREFIX", "MALFORMED", "UNKNOWN_PRINCIPAL", "INVALID_ARN",
                  "UNKNOWN_OPERATOR", "MALFORMED_JSON"}


OTHER_PROJECTS = {
    "organization:zurich-org": (PROJECT_ROOT / "organization", "zurich-org"),
    "state-backend:example": (PROJECT_ROOT / "scripts" / "state-backend", "example"),
    "reviewer-account:swiss-review-lab": (PROJECT_ROOT / "reviewer_account", "swiss-review-lab"),
    "reviewer-account:eu-certification-body": (PROJECT_ROOT / "reviewer_account", "eu-certification-body"),
}
"""The kit's other Pulumi projects: their documents are checked like the center's."""

PROJECT_STACKS = (*STACKS, *OTHER_PROJECTS)


@lru_cache(maxsize=None)
def documents(stack: str) -> tuple[Document, ...]:
    if stack in OTHER_PROJECTS:
        from tcenter.plan.engine import run_program

        project_dir, name = OTHER_PROJECTS[stack]
        return tuple(documents_of(stack, run_program(name, project_dir=project_dir).resources))
    return tuple(documents_of(stack, _declared(stack).resources))


def all_documents() -> list[Document]:
    return [doc for stack in PROJECT_STACKS for doc in documents(stack)]


def test_every_stack_declares_documents_of_each_kind():
    """The walker finds the program's policies (a broken walker would make every test below vacuous)."""
    for stack in STACKS:
        kinds = {doc.kind for doc in documents(stack)}
        assert kinds == {TRUST, IDENTITY, RESOURCE}, (stack, kinds)
        roles = [r for r in _declared(stack).resources if r.type == "aws:iam/role:Role"]
        assert len([d for d in documents(stack) if d.kind == TRUST]) == len(roles)


# --- AWS's own validators (moto's copies) ---------------------------------------------------

def validate_with_iam(doc: Document) -> None:
    """Raise as IAM would for this kind of document."""
    if doc.kind == TRUST:
        IAMTrustPolicyDocumentValidator(doc.text).validate()
        return
    IAMPolicyDocumentValidator(doc.text).validate()
    for statement in doc.statements:
        has_principal = "Principal" in statement or "NotPrincipal" in statement
        if doc.kind == IDENTITY and has_principal:
            raise AssertionError(f"identity policy statement {statement.get('Sid')} names a Principal "
                                 "(IAM: 'Policy document should not specify a principal')")
        if doc.kind == RESOURCE and not has_principal:
            raise AssertionError(f"resource policy statement {statement.get('Sid')} names no Principal")


@pytest.mark.parametrize("stack", PROJECT_STACKS)
def test_every_document_passes_iams_validators(stack):
    failures = []
    for doc in documents(stack):
        try:
            validate_with_iam(doc)
        except Exception as error:  # noqa: BLE001 - the validators raise several types
            failures.append(f"{doc}: {type(error).__name__}: {error}")
    assert failures == []


def test_a_resource_in_a_trust_policy_is_refused():
    """The defect that made every role undeployable must fail the check above."""
    trust = next(doc for doc in documents("dev") if doc.kind == TRUST)
    validate_with_iam(trust)
    parsed = trust.parsed
    parsed["Statement"][0]["Resource"] = "*"
    planted = Document(trust.stack, trust.resource_type, trust.resource_name, trust.path, TRUST, json.dumps(parsed))
    with pytest.raises(Exception, match="prohibited field Resource"):
        validate_with_iam(planted)


def test_an_identity_policy_without_resource_or_with_a_principal_is_refused():
    identity = next(doc for doc in documents("dev") if doc.kind == IDENTITY)
    no_resource = identity.parsed
    del no_resource["Statement"][0]["Resource"]
    with pytest.raises(Exception, match="must contain resources"):
        validate_with_iam(Document("dev", identity.resource_type, "planted", "policy", IDENTITY, json.dumps(no_resource)))
    with_principal = identity.parsed
    with_principal["Statement"][0]["Principal"] = {"AWS": "*"}
    with pytest.raises(AssertionError, match="names a Principal"):
        validate_with_iam(Document("dev", identity.resource_type, "planted", "policy", IDENTITY, json.dumps(with_principal)))


# --- parliament --------------------------------------------------------------------------

def _suppressions() -> list[dict]:
    return yaml.safe_load(SUPPRESSIONS.read_text())["parliament"]


def _for_parliament(doc: Document) -> str:
    """parliament reads every statement as an identity or resource statement; a trust
    statement has no Resource (IAM refuses one), so it is linted with the role itself as a
    stand-in resource: actions, principals and conditions are what it checks there."""
    if doc.kind != TRUST:
        return doc.text
    parsed = copy.deepcopy(doc.parsed)
    for statement in parsed["Statement"]:
        statement["Resource"] = awsfacts.role_arn("123456789012", "stand-in")
    return json.dumps(parsed)


@lru_cache(maxsize=None)
def findings(stack: str) -> tuple[tuple[Document, str, str], ...]:
    out = []
    for doc in documents(stack):
        for finding in analyze_policy_string(_for_parliament(doc)).findings:
            out.append((doc, finding.issue, json.dumps(finding.detail, sort_keys=True, default=str)))
    return tuple(out)


def _matches(entry: dict, doc: Document, issue: str, detail: str) -> bool:
    return (entry["issue"] == issue
            and doc.kind in entry.get("kinds", (TRUST, IDENTITY, RESOURCE))
            and re.fullmatch(entry.get("types", ".*"), doc.resource_type) is not None
            and re.search(entry.get("detail", ""), detail) is not None)


@pytest.mark.parametrize("stack", PROJECT_STACKS)
def test_parliament_finds_nothing_unexplained(stack):
    entries = _suppressions()
    fatal = [f"{doc}: {issue} {detail}" for doc, issue, detail in findings(stack) if issue in NEVER_ACCEPTED]
    assert fatal == [], "AWS would refuse or ignore these; fix them in components/:\n" + "\n".join(fatal)
    unexplained = sorted({f"{doc}: {issue} {detail}" for doc, issue, detail in findings(stack)
                          if not any(_matches(e, doc, issue, detail) for e in entries)})
    assert unexplained == [], "fix these, or accept them with a reason in validation-suppressions.yaml:\n" + \
        "\n".join(unexplained)


def test_no_suppression_accepts_a_finding_aws_would_refuse():
    assert {e["issue"] for e in _suppressions()} & NEVER_ACCEPTED == set()
    assert all(len(e.get("reason", "").split()) >= 8 for e in _suppressions()), "every suppression needs a reason"


def test_every_suppression_still_matches_something():
    every = [f for stack in PROJECT_STACKS for f in findings(stack)]
    stale = [e for e in _suppressions() if not any(_matches(e, *f) for f in every)]
    assert stale == []


def test_parliament_catches_an_unknown_action():
    """The check can fail: a misspelled action is an UNKNOWN_ACTION finding."""
    identity = next(doc for doc in documents("dev") if doc.kind == IDENTITY)
    parsed = identity.parsed
    parsed["Statement"][0]["Action"] = ["s3:GetObjekt"]
    issues = {f.issue for f in analyze_policy_string(json.dumps(parsed)).findings}
    assert "UNKNOWN_ACTION" in issues


# --- AWS's size limits -----------------------------------------------------------------------

def policy_size(text: str) -> int:
    """IAM counts characters without white space."""
    return len(json.dumps(json.loads(text), separators=(",", ":")))


@pytest.mark.parametrize("stack", STACKS)
def test_every_document_fits_awss_size_limits(stack):
    over = []
    inline_per_role: dict[str, int] = {}
    for doc in documents(stack):
        limit = awsfacts.POLICY_SIZE_LIMITS.get((doc.resource_type, doc.path.split(".")[0]))
        size = policy_size(doc.text)
        if limit is not None and size > limit:
            over.append(f"{doc}: {size} > {limit}")
    for resource in _declared(stack).resources:
        if resource.type == "aws:iam/rolePolicy:RolePolicy":
            role = str(resource.inputs.get("role"))
            inline_per_role[role] = inline_per_role.get(role, 0) + policy_size(resource.inputs["policy"])
    over += [f"role {role}: inline policies {size} > {awsfacts.ROLE_INLINE_POLICIES_TOTAL}"
             for role, size in inline_per_role.items() if size > awsfacts.ROLE_INLINE_POLICIES_TOTAL]
    assert over == []
    assert inline_per_role, "no inline policies found: the size check would be vacuous"


# IAM API reference (PutRolePolicy PolicyName, CreateRole RoleName, CreatePolicy PolicyName):
# pattern [\w+=,.@-]+; lengths 1-128, 1-64, 1-128. Written here from the reference, not from awsfacts.
IAM_NAME_RULES = {
    ("aws:iam/rolePolicy:RolePolicy", "name"): 128,
    ("aws:iam/role:Role", "name"): 64,
    ("aws:iam/policy:Policy", "name"): 128,
    ("aws:iam/instanceProfile:InstanceProfile", "name"): 128,
}


@pytest.mark.parametrize("stack", STACKS)
def test_every_iam_name_is_one_iam_accepts(stack):
    bad = []
    for resource in _declared(stack).resources:
        for (type_, key), longest in IAM_NAME_RULES.items():
            if resource.type == type_ and key in resource.inputs:
                name = str(resource.inputs[key])
                if not re.fullmatch(r"[\w+=,.@-]+", name) or not 1 <= len(name) <= longest:
                    bad.append(f"{type_} {name!r}")
    assert bad == []


def test_a_role_refuses_an_inline_policy_name_iam_would_refuse():
    from components.iam import Role

    role = Role.__new__(Role)  # the name check runs before anything is declared
    role._name, role._grants = "case", set()
    with pytest.raises(ValueError, match="refused by IAM"):
        role.add_policy("write-releases/products", [])
