"""Rules about identities: reviewer roles carry explicit Denies of signing and customer data."""

from __future__ import annotations

from typing import Iterator

from components import awsfacts

from .model import (
    BUCKET_TYPES,
    CUSTOMER_DATA_BUCKET,
    Resource,
    Rule,
    Stack,
    actions_match,
    as_list,
    bucket_name_of,
    dig,
    holds_customer_data,
    is_reviewer_role,
    is_unknown,
    parse_document,
    resource_patterns_cover,
    statements,
    tags_of,
)


def _role_documents(stack: Stack, role: Resource) -> list[dict]:
    """Inline policies, inline policy resources and the permissions boundary of a role."""
    documents: list[dict] = []
    for policy in as_list(role.inputs.get("inlinePolicies")):
        document = parse_document(dig(policy, "policy"))
        if document:
            documents.append(document)
    role_name = role.inputs.get("name")
    for policy in stack.of_type("aws:iam/rolePolicy:RolePolicy"):
        linked = role.urn in policy.property_dependencies.get("role", ()) or (
            isinstance(role_name, str) and policy.inputs.get("role") == role_name)
        if linked:
            document = parse_document(policy.inputs.get("policy"))
            if document:
                documents.append(document)
    boundary = role.inputs.get("permissionsBoundary")
    managed = [boundary] + [a.inputs.get("policyArn") for a in stack.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
                            if role.urn in a.property_dependencies.get("role", ()) or a.inputs.get("role") == role_name]
    boundary_urns = set(role.property_dependencies.get("permissionsBoundary", ()))
    for policy in stack.of_type("aws:iam/policy:Policy"):
        arn = policy.state.get("arn")
        if policy.urn in boundary_urns or (arn and arn in managed):
            document = parse_document(policy.inputs.get("policy"))
            if document:
                documents.append(document)
    return documents


def _denies(documents: list[dict], action: str, resource_arn: str | None = None) -> bool:
    for document in documents:
        for statement in statements(document):
            if statement.get("Effect") != "Deny" or statement.get("Condition"):
                continue
            covered = (actions_match(statement.get("Action"), action) if "NotAction" not in statement
                       else not actions_match(statement.get("NotAction"), action))
            if not covered:
                continue
            if resource_arn is None or resource_patterns_cover(statement.get("Resource"), resource_arn):
                return True
    return False


def _customer_data_tables(stack: Stack) -> list[str]:
    """ARNs (where known) of DynamoDB tables of the data zone."""
    arns = []
    for table in stack.of_type("aws:dynamodb/table:Table"):
        name, arn = table.inputs.get("name"), table.state.get("arn")
        tagged = "customer-region" in tags_of(table) or tags_of(table).get("purpose") == "customer-data"
        if (tagged or (isinstance(name, str) and CUSTOMER_DATA_BUCKET.search(name))) and isinstance(arn, str) \
                and not is_unknown(arn):
            arns.append(arn)
    return sorted(arns)


def stack_reviewer_denies(stack: Stack) -> Iterator[tuple[Resource, str]]:
    data_buckets = sorted(bucket_name_of(b) for b in stack.of_type(*BUCKET_TYPES) if holds_customer_data(b))
    data_tables = _customer_data_tables(stack)
    for role in stack.of_type("aws:iam/role:Role"):
        if not is_reviewer_role(role):
            continue
        documents = _role_documents(stack, role)
        if not _denies(documents, "kms:Sign"):
            yield role, "no unconditional explicit Deny of kms:Sign for this reviewer role"
        for bucket in data_buckets:
            if not _denies(documents, "s3:GetObject", awsfacts.bucket_arn(bucket) + "/any-object"):
                yield role, f"no unconditional explicit Deny of s3:GetObject on customer data bucket {bucket}"
        for table in data_tables:
            if not _denies(documents, "dynamodb:GetItem", table):
                yield role, f"no unconditional explicit Deny of dynamodb:GetItem on customer data table {table}"


REVIEWER_DENIES = Rule(
    "reviewer-denied-data-and-signing", "center:reviewer-isolation (no FSBP/checkov control)",
    "Reviewer roles carry explicit Denies of kms:Sign and of reading every customer data bucket and table.",
    stack_check=stack_reviewer_denies,
)


