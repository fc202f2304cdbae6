"""Guardrails against the center's own owner (issue 29): customer data admits named principals only.

The account's administrators are not in the plan. A customer data key that delegates use to the
account root, or a bucket or table policy that limits writers and endpoints but not readers,
lets any of them in through their own IAM policies. These rules hold the plan to:

- `customer-data-named-principals`: every customer data bucket's policy denies object reads, and
  every customer data table's resource policy denies item reads, to every principal whose
  `aws:PrincipalArn` is not named; every customer data key (the key of such a table or bucket)
  lets no account root or wildcard use it (Decrypt) and denies Decrypt to every principal not
  named.

Registered in tcenter/guardrails/__init__.py RULES.
"""

from __future__ import annotations

from typing import Iterator, Mapping

from .model import (
    BUCKET_TYPES, Resource, Rule, Stack, actions_match, bucket_name_of, dig, holds_customer_data, is_unknown,
    parse_document, principals_of, resource_patterns_cover, statements, tags_of,
)

BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
TABLE = "aws:dynamodb/table:Table"
TABLE_POLICY = "aws:dynamodb/resourcePolicy:ResourcePolicy"
KEY = "aws:kms/key:Key"
NAMING_OPERATORS = ("ArnNotEquals", "ArnNotLike", "StringNotEquals", "StringNotLike")
NAMING_ONLY_KEYS = frozenset({"aws:principalarn", "aws:principalisawsservice"})
"""The only condition keys a naming Deny may carry: who the principal is, and that AWS services
(which carry no aws:PrincipalArn of the account) are exempt. A Deny that also asks where the
request comes from (aws:SourceVpce) names nobody for requests from the named place."""


def _covers(statement: Mapping, action: str) -> bool:
    if "NotAction" in statement:
        return not actions_match(statement.get("NotAction"), action)
    return actions_match(statement.get("Action"), action)


def denies_unless_named(document: Mapping | None, action: str, resource: str | None = None) -> bool:
    """A Deny of `action` that applies to every principal whose ARN is not listed (and, given
    `resource`, whose Resource covers it: a Deny of one prefix, such as the analysis cells'
    `samples/`, names nobody for the rest of the bucket)."""
    for statement in statements(document):
        if statement.get("Effect") != "Deny" or not _covers(statement, action):
            continue
        if resource is not None and not resource_patterns_cover(statement.get("Resource"), resource):
            continue
        conditions = statement.get("Condition") or {}
        keys = {str(k).lower() for pairs in conditions.values() if isinstance(pairs, Mapping) for k in pairs}
        if any("aws:PrincipalArn" in (conditions.get(op) or {}) for op in NAMING_OPERATORS) and keys <= NAMING_ONLY_KEYS:
            return True
    return False


def _root_or_anyone(principal: str) -> bool:
    return principal == "*" or principal.endswith(":root") or (principal.isdigit() and len(principal) == 12)


def _customer_tables(stack: Stack) -> list[Resource]:
    return [t for t in stack.of_type(TABLE) if "customer-region" in tags_of(t)
            or tags_of(t).get("data-class") == "customer-data"]


def _customer_keys(stack: Stack) -> list[tuple[Resource, str]]:
    """(key, what it encrypts): the keys of customer data tables and buckets."""
    wanted: dict[str, str] = {}
    for table in _customer_tables(stack):
        arn = dig(table.inputs, "serverSideEncryption", "kmsKeyArn")
        if isinstance(arn, str) and not is_unknown(arn):
            wanted[arn] = f"table {table.inputs.get('name')}"
    keys = []
    for key in stack.of_type(KEY):
        arn = key.state.get("arn")
        if isinstance(arn, str) and arn in wanted:
            keys.append((key, wanted[arn]))
    return keys


def stack_customer_data_named_principals(stack: Stack) -> Iterator[tuple[Resource, str]]:
    bucket_policies = {p.inputs.get("bucket"): p for p in stack.of_type(BUCKET_POLICY)}
    for bucket in stack.of_type(*BUCKET_TYPES):
        if not holds_customer_data(bucket):
            continue
        name = bucket_name_of(bucket)
        policy = bucket_policies.get(name)
        if policy is None:
            policies = [p for p in stack.of_type(BUCKET_POLICY) if bucket in stack.referenced(p, "bucket", *BUCKET_TYPES)]
            policy = policies[0] if policies else None
        document = parse_document(policy.inputs.get("policy")) if policy is not None else None
        if policy is not None and is_unknown(policy.inputs.get("policy")):
            continue
        if not denies_unless_named(document, "s3:GetObject", f"arn:aws:s3:::{name}/any-object" if name else None):
            yield bucket, (f"the policy of customer data bucket {name} does not deny object reads to every principal "
                           "it does not name (aws:PrincipalArn): any administrator of the account reads through IAM")
    table_policies = [p for p in stack.of_type(TABLE_POLICY)]
    for table in _customer_tables(stack):
        attached = [p for p in table_policies if table in stack.referenced(p, "resourceArn", TABLE)]
        if any(is_unknown(p.inputs.get("policy")) for p in attached):
            continue
        if not any(denies_unless_named(parse_document(p.inputs.get("policy")), "dynamodb:Scan") for p in attached):
            yield table, (f"customer data table {table.inputs.get('name')} has no resource policy denying item reads to "
                          "every principal it does not name (aws:PrincipalArn)")
    for key, what in _customer_keys(stack):
        if is_unknown(key.inputs.get("policy")):
            continue
        document = parse_document(key.inputs.get("policy"))
        for statement in statements(document):
            if statement.get("Effect") == "Allow" and _covers(statement, "kms:Decrypt") and \
                    any(_root_or_anyone(p) for p in principals_of(statement)):
                yield key, (f"the key of {what} lets the account root (or anyone) use it (statement "
                            f"{statement.get('Sid', '?')!r}): every administrator whose IAM policy allows it decrypts")
        if not denies_unless_named(document, "kms:Decrypt"):
            yield key, f"the key of {what} does not deny Decrypt to every principal it does not name (aws:PrincipalArn)"


CUSTOMER_DATA_NAMED_PRINCIPALS = Rule(
    "customer-data-named-principals", "center:owner-powers (issue 29; no FSBP/checkov control reads these)",
    "Customer data keys, buckets and tables admit exactly the principals the plan names: no use through the "
    "account root, and an explicit Deny for every principal not named.",
    stack_check=stack_customer_data_named_principals,
)


