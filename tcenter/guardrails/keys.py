"""Rules about keys: no wildcard principals, no grants for key administrators, Sign only for
signers; the CloudHSM cluster in the signing zone."""

from __future__ import annotations

from typing import Iterator, Mapping

from .model import (
    Context,
    Resource,
    Rule,
    Stack,
    actions_match,
    as_list,
    dig,
    is_signer_role_name,
    is_unknown,
    parse_document,
    principals_of,
    role_name_of_arn,
    statements,
)


KEY_POLICY_TYPES = ("aws:kms/key:Key", "aws:kms/keyPolicy:KeyPolicy")


def key_policy_statements(resource: Resource) -> list[dict]:
    """The statements of a key's policy (none for other resources or an unknown policy)."""
    if resource.type not in KEY_POLICY_TYPES:
        return []
    return statements(parse_document(resource.inputs.get("policy")))


def check_key_policy_principals(resource: Resource, context: Context) -> Iterator[str]:
    for statement in key_policy_statements(resource):
        if statement.get("Effect") != "Allow":
            continue
        if "*" in principals_of(statement) or statement.get("NotPrincipal") is not None:
            yield f"statement {statement.get('Sid', '?')!r} allows a wildcard principal"


KEY_POLICY_NO_WILDCARD = Rule(
    "kms-no-wildcard-principal", "CKV_AWS_33",
    "Key policies never allow a wildcard principal.",
    resource_check=check_key_policy_principals,
)


KEY_GRANT_ACTION = "kms:CreateGrant"
KEY_LIFECYCLE_ACTIONS = ("kms:DisableKey", "kms:ScheduleKeyDeletion")


def _names_roles(statement: Mapping) -> list[str]:
    """The IAM roles and users a statement names itself (not the account root, not services)."""
    principal = statement.get("Principal")
    aws_principals = as_list(principal.get("AWS")) if isinstance(principal, Mapping) else []
    return [str(p) for p in aws_principals if isinstance(p, str) and ":iam::" in p and not p.endswith(":root")]


def check_key_admin_grants(resource: Resource, context: Context) -> Iterator[str]:
    key_statements = key_policy_statements(resource)
    if not key_statements:
        return
    for statement in key_statements:
        if statement.get("Effect") != "Allow" or not _names_roles(statement):
            continue
        sid = statement.get("Sid", "?")
        wildcards = sorted(a for a in as_list(statement.get("Action")) if isinstance(a, str) and "*" in a)
        if wildcards:
            yield f"statement {sid!r} gives named principals wildcard actions {wildcards}; list administrative actions"
        elif actions_match(statement.get("Action"), KEY_GRANT_ACTION):
            yield f"statement {sid!r} lets named principals {KEY_GRANT_ACTION}, which hands out Decrypt or Sign"
    if context.is_prod:
        for action in KEY_LIFECYCLE_ACTIONS:
            if not any(s.get("Effect") == "Deny" and actions_match(s.get("Action"), action) for s in key_statements):
                yield f"no Deny statement guards {action}: in prod only the break-glass role may disable or delete a key"


KEY_NO_ADMIN_GRANTS = Rule(
    "kms-no-admin-grants", "CKV_AWS_109",
    "Key administrators get listed administrative actions only (no CreateGrant, no wildcards); "
    "prod keys deny DisableKey and ScheduleKeyDeletion to all but the break-glass role.",
    resource_check=check_key_admin_grants,
)


def _sign_grants(document: Mapping | None) -> Iterator[dict]:
    for statement in statements(document):
        if statement.get("Effect") == "Allow" and actions_match(statement.get("Action"), "kms:Sign"):
            yield statement


def check_sign_only_signers(resource: Resource, context: Context) -> Iterator[str]:
    if resource.type in KEY_POLICY_TYPES:
        for statement in _sign_grants(parse_document(resource.inputs.get("policy"))):
            others = [p for p in principals_of(statement) if not is_signer_role_name(role_name_of_arn(p))]
            if others:
                yield f"statement {statement.get('Sid', '?')!r} lets {sorted(others)} sign; only signer roles may"
    elif resource.type == "aws:iam/rolePolicy:RolePolicy":
        role = resource.inputs.get("role")
        if isinstance(role, str) and not is_unknown(role) and not is_signer_role_name(role):
            for statement in _sign_grants(parse_document(resource.inputs.get("policy"))):
                yield f"grants kms:Sign (statement {statement.get('Sid', '?')!r}) to {role}, which is not a signer role"
    elif resource.type == "aws:iam/policy:Policy":
        # A managed policy can be attached to any role: only a signer's own may grant Sign.
        name = resource.inputs.get("name")
        if isinstance(name, str) and not is_unknown(name) and not is_signer_role_name(name):
            for statement in _sign_grants(parse_document(resource.inputs.get("policy"))):
                yield f"managed policy {name} grants kms:Sign (statement {statement.get('Sid', '?')!r}); only signer policies may"
    elif resource.type == "aws:iam/role:Role":
        name = resource.inputs.get("name")
        if isinstance(name, str) and not is_signer_role_name(name):
            for policy in as_list(resource.inputs.get("inlinePolicies")):
                for statement in _sign_grants(parse_document(dig(policy, "policy"))):
                    yield f"inline policy grants kms:Sign (statement {statement.get('Sid', '?')!r}) to a non-signer role"


KMS_SIGN_SIGNERS_ONLY = Rule(
    "kms-sign-signers-only", "center:signing-separation (FSBP KMS.1/KMS.2 cover Decrypt, not Sign)",
    "kms:Sign is allowed only to signer roles, in key policies and in IAM policies.",
    resource_check=check_sign_only_signers,
)


# --- CloudHSM -----------------------------------------------------------------------------

def check_cloudhsm_cluster(resource: Resource, context: Context) -> Iterator[str]:
    if resource.type != "aws:cloudhsmv2/cluster:Cluster":
        return
    hsm_type = resource.inputs.get("hsmType")
    if not is_unknown(hsm_type) and hsm_type != "hsm2m.medium":
        yield f"hsmType={hsm_type!r}; only hsm2m.medium (hsm1.medium is end-of-life)"
    mode = resource.inputs.get("mode")
    if not is_unknown(mode) and mode != "FIPS":
        yield f"mode={mode!r}; the cluster must run in FIPS mode"


def stack_cloudhsm_zones(stack: Stack) -> Iterator[tuple[Resource, str]]:
    if not stack.is_prod:
        return
    for cluster in stack.of_type("aws:cloudhsmv2/cluster:Cluster"):
        zones: set[str] = set()
        members = [h for h in stack.of_type("aws:cloudhsmv2/hsm:Hsm")
                   if cluster.urn in {c.urn for c in stack.referenced(h, "clusterId", "aws:cloudhsmv2/cluster:Cluster")}]
        for hsm in members:
            zone = hsm.inputs.get("availabilityZone")
            if not zone:
                for subnet in stack.referenced(hsm, "subnetId", "aws:ec2/subnet:Subnet"):
                    zone = subnet.inputs.get("availabilityZoneId") or subnet.inputs.get("availabilityZone")
            if zone and not is_unknown(zone):
                zones.add(str(zone))
        if len(zones) < 2:
            yield cluster, f"prod needs HSMs in at least 2 availability zones; found {len(members)} HSM(s) in {sorted(zones) or 'none'}"


CLOUDHSM = Rule(
    "cloudhsm", "center:signing-hsm (no FSBP/checkov check covers CloudHSM)",
    "CloudHSM clusters are hsm2m.medium in FIPS mode; in prod their HSMs span at least 2 AZs.",
    resource_check=check_cloudhsm_cluster, stack_check=stack_cloudhsm_zones,
)


