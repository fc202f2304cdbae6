"""Rules about the stores: Object Lock on release and audit buckets, no public buckets, DynamoDB
only through the center's endpoint."""

from __future__ import annotations

from typing import Iterator, Mapping

from .model import (
    BUCKET_TYPES,
    Context,
    LOCK_TYPES,
    Resource,
    Rule,
    Stack,
    actions_match,
    bucket_name_of,
    dig,
    is_off,
    is_unknown,
    needs_object_lock,
    parse_document,
    principals_of,
    statements,
)


def check_object_lock(resource: Resource, context: Context) -> Iterator[str]:
    if resource.type in BUCKET_TYPES and needs_object_lock(resource):
        if is_off(resource.inputs.get("objectLockEnabled")):
            yield "a release or audit bucket without objectLockEnabled: its objects can be rewritten or deleted"


def stack_object_lock(stack: Stack) -> Iterator[tuple[Resource, str]]:
    locked: dict[str, Resource] = {}
    for lock in stack.of_type(*LOCK_TYPES):
        retention = dig(lock.inputs, "rule", "defaultRetention")
        if dig(retention, "mode") in ("GOVERNANCE", "COMPLIANCE") and (dig(retention, "days") or dig(retention, "years")):
            for bucket in stack.referenced(lock, "bucket", *BUCKET_TYPES):
                locked[bucket.urn] = lock
    for bucket in stack.of_type(*BUCKET_TYPES):
        if needs_object_lock(bucket) and bucket.urn not in locked:
            yield bucket, "a release or audit bucket without a default Object Lock retention (mode and days)"
        elif stack.is_prod and bucket.urn in locked and "audit" in bucket_name_of(bucket):
            mode = dig(locked[bucket.urn].inputs, "rule", "defaultRetention", "mode")
            if mode != "COMPLIANCE":
                yield bucket, f"prod's audit archive is locked in {mode}; COMPLIANCE keeps even admins from shortening it"


OBJECT_LOCK = Rule(
    "object-lock", "FSBP S3.15; CKV_AWS_143",
    "Release and audit buckets have Object Lock with a default retention (COMPLIANCE for prod's audit archive).",
    resource_check=check_object_lock, stack_check=stack_object_lock,
)


# --- no public buckets ----------------------------------------------------------------------

PUBLIC_ACCESS_BLOCK_TYPE = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
OWNERSHIP_CONTROLS_TYPE = "aws:s3/bucketOwnershipControls:BucketOwnershipControls"
BUCKET_POLICY_TYPE = "aws:s3/bucketPolicy:BucketPolicy"
PUBLIC_ACCESS_FLAGS = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
PRINCIPAL_PINNING_KEYS = frozenset(key.lower() for key in (
    "aws:PrincipalAccount", "aws:PrincipalOrgID", "aws:PrincipalArn", "aws:SourceVpce", "aws:SourceVpc",
    "aws:SourceAccount", "aws:SourceArn",
))
"""Condition keys that pin who may use a `Principal: "*"` statement to this account, its
organization or the center's endpoints."""


def _pins_principal(statement: Mapping) -> bool:
    conditions = statement.get("Condition")
    if not isinstance(conditions, Mapping):
        return False
    return any(isinstance(block, Mapping) and any(str(key).lower() in PRINCIPAL_PINNING_KEYS for key in block)
               for operator, block in conditions.items() if not str(operator).startswith(("StringNot", "ArnNot")))


def check_public_access(resource: Resource, context: Context) -> Iterator[str]:
    if resource.type == PUBLIC_ACCESS_BLOCK_TYPE:
        off = [flag for flag in PUBLIC_ACCESS_FLAGS if is_off(resource.inputs.get(flag))]
        if off:
            yield f"public access block with {', '.join(off)} not true: all four flags must be on"
    elif resource.type == OWNERSHIP_CONTROLS_TYPE:
        ownership = dig(resource.inputs, "rule", "objectOwnership")
        if not is_unknown(ownership) and ownership != "BucketOwnerEnforced":
            yield f"object ownership {ownership!r}: BucketOwnerEnforced disables ACLs, the other way to make objects public"
    elif resource.type == BUCKET_POLICY_TYPE:
        for statement in statements(parse_document(resource.inputs.get("policy"))):
            if statement.get("Effect") == "Allow" and "*" in principals_of(statement) and not _pins_principal(statement):
                yield (f"statement {statement.get('Sid', '?')!r} allows Principal '*' with no condition pinning "
                       "the account, organization or the center's endpoint: that is a public bucket")


def stack_public_access(stack: Stack) -> Iterator[tuple[Resource, str]]:
    blocked = {b.urn for pab in stack.of_type(PUBLIC_ACCESS_BLOCK_TYPE)
               if not any(is_off(pab.inputs.get(flag)) for flag in PUBLIC_ACCESS_FLAGS)
               for b in stack.referenced(pab, "bucket", *BUCKET_TYPES)}
    enforced = {b.urn for oc in stack.of_type(OWNERSHIP_CONTROLS_TYPE)
                if dig(oc.inputs, "rule", "objectOwnership") == "BucketOwnerEnforced"
                for b in stack.referenced(oc, "bucket", *BUCKET_TYPES)}
    for bucket in stack.of_type(*BUCKET_TYPES):
        if bucket.urn not in blocked:
            yield bucket, "a bucket without a public access block that has all four flags on"
        if bucket.urn not in enforced:
            yield bucket, "a bucket without ownership controls BucketOwnerEnforced (ACLs still work)"


S3_NO_PUBLIC_ACCESS = Rule(
    "s3-no-public-access", "FSBP S3.1, S3.8, S3.12; CKV2_AWS_6, CKV_AWS_93",
    "Every bucket blocks public access (all four flags), enforces bucket-owner ownership (no ACLs), "
    "and no bucket policy allows Principal '*' without pinning account or endpoint.",
    resource_check=check_public_access, stack_check=stack_public_access,
)


# --- DynamoDB through the center ------------------------------------------------------------

DYNAMODB_TABLE = "aws:dynamodb/table:Table"
DYNAMODB_RESOURCE_POLICY = "aws:dynamodb/resourcePolicy:ResourcePolicy"


def _requires_source_vpce(statement: Mapping) -> bool:
    """A Deny of item reads that applies whenever the request did not come through a named endpoint."""
    return (statement.get("Effect") == "Deny" and actions_match(statement.get("Action"), "dynamodb:GetItem")
            and bool(statement.get("Condition", {}).get("StringNotEquals", {}).get("aws:SourceVpce")))


def stack_dynamodb_through_endpoint(stack: Stack) -> Iterator[tuple[Resource, str]]:
    tables = stack.of_type(DYNAMODB_TABLE)
    if not tables or not stack.of_type("aws:ec2/vpc:Vpc"):
        return  # the perimeter is the center's network; a stack without one has no endpoint to require
    if not any(str(e.inputs.get("serviceName", "")).endswith(".dynamodb") and e.inputs.get("vpcEndpointType") == "Gateway"
               for e in stack.of_type("aws:ec2/vpcEndpoint:VpcEndpoint")):
        yield tables[0], ("no DynamoDB gateway endpoint: hosts reach the tables over DynamoDB's public endpoint, "
                          "outside the center's network")
    for table in tables:
        if any(is_unknown(p.inputs.get("policy")) for p in stack.of_type(DYNAMODB_RESOURCE_POLICY)):
            continue  # judged once the policy is known
        guarded = any(_requires_source_vpce(s)
                      for p in stack.of_type(DYNAMODB_RESOURCE_POLICY) if table in stack.referenced(p, "resourceArn", DYNAMODB_TABLE)
                      for s in statements(parse_document(p.inputs.get("policy"))))
        if not guarded:
            yield table, ("no resource policy denies item access outside the center's DynamoDB endpoint "
                          "(aws:SourceVpce): the table's items can be read from anywhere with credentials")


DYNAMODB_THROUGH_ENDPOINT = Rule(
    "dynamodb-through-endpoint", "center:data-perimeter (no FSBP/checkov check covers DynamoDB resource policies)",
    "DynamoDB tables are reached only through the center's DynamoDB gateway endpoint.",
    stack_check=stack_dynamodb_through_endpoint,
)


