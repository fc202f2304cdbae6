"""The intake broker writes samples and reads no customer data (issue 27).

A broker (components/intake.py: a Lambda function whose environment names `SAMPLES_BUCKET`, its
region's store, and `RULES_BUCKET`, the intake bucket) signs presigned uploads with its own
role's credentials, so what that role may do is what any client holding a presigned URL may do.
`intake-broker-write-only` holds every policy of a broker's role to:

- S3: `s3:PutObject` only under `samples/` of its own region's store, `s3:GetObject` only of the
  published rule set (`rules/approved.json` of the intake bucket), nothing else (no list, no
  delete, no wildcard);
- DynamoDB: `PutItem` and `UpdateItem` only (a conditional put answers "already have it"
  without reading anything); no read, query, scan or wildcard;
- KMS: no decrypt with the store's key (it would read the samples it let in);
- no managed policy attached to the role, and no Allow with NotAction (either can grant
  anything the statements above refuse).

Registered in tcenter/guardrails/__init__.py RULES.
"""

from __future__ import annotations

from typing import Any, Iterator

from .model import Resource, Rule, Stack, actions_match, as_list, dig, is_unknown, parse_document, \
    resource_patterns_cover, role_name_of_arn, statements

FUNCTION = "aws:lambda/function:Function"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
ATTACHMENTS = ("aws:iam/rolePolicyAttachment:RolePolicyAttachment",
               "aws:iam/policyAttachment:PolicyAttachment")
SAMPLES_PREFIX = "samples/"
APPROVED_RULE_SET = "rules/approved.json"
BROKER_VARIABLES = ("SAMPLES_BUCKET", "RULES_BUCKET")
"""What makes a function an intake broker (functions/intake_broker reads them)."""
ALLOWED_TABLE_ACTIONS = frozenset({"dynamodb:putitem", "dynamodb:updateitem"})


def _brokers(stack: Stack) -> Iterator[tuple[Resource, dict[str, str]]]:
    for function in stack.of_type(FUNCTION):
        variables = dig(function.inputs, "environment", "variables")
        if isinstance(variables, dict) and all(isinstance(variables.get(k), str) and not is_unknown(variables.get(k))
                                               for k in BROKER_VARIABLES):
            yield function, variables


def _role_of(stack: Stack, function: Resource) -> tuple[set[str], set[str]]:
    """(role names, role URNs) of FUNCTION's execution role."""
    roles = stack.referenced(function, "role", ROLE)
    names = {r.inputs.get("name") for r in roles}
    arn = function.inputs.get("role")
    if isinstance(arn, str) and not is_unknown(arn):
        names.add(role_name_of_arn(arn))
    return {n for n in names if isinstance(n, str) and n}, {r.urn for r in roles}


def _attached_to(resource: Resource, names: set[str], urns: set[str]) -> bool:
    values = [*as_list(resource.inputs.get("role")), *as_list(resource.inputs.get("roles"))]
    depends = {u for key in ("role", "roles") for u in resource.property_dependencies.get(key, ())}
    return bool(names & {v for v in values if isinstance(v, str)}) or bool(urns & depends)


def _statement_problems(statement: dict[str, Any], variables: dict[str, str]) -> Iterator[str]:
    if statement.get("Effect") != "Allow":
        return
    sid = statement.get("Sid") or "a statement"
    if "NotAction" in statement:
        yield f"{sid} allows with NotAction: it grants everything it does not list"
        return
    resources = [r for r in as_list(statement.get("Resource")) if isinstance(r, str)]
    samples = f"arn:aws:s3:::{variables['SAMPLES_BUCKET']}/{SAMPLES_PREFIX}"
    rule_set = f"arn:aws:s3:::{variables['RULES_BUCKET']}/{APPROVED_RULE_SET}"
    for action in (a for a in as_list(statement.get("Action")) if isinstance(a, str)):
        lowered = action.lower()
        service = lowered.partition(":")[0]
        if lowered == "*" or (service in ("s3", "dynamodb") and "*" in lowered):
            yield f"{sid} allows {action}: the broker's role names each action it needs"
        elif lowered == "s3:putobject":
            outside = [r for r in resources if not r.startswith(samples)]
            if outside:
                yield f"{sid} lets the broker write {outside}: only {samples}* of its own region's store"
        elif lowered == "s3:getobject":
            other = [r for r in resources if r != rule_set]
            if other:
                yield f"{sid} lets the broker read {other}: it reads the published rule set ({rule_set}) and nothing else"
        elif service == "s3":
            yield f"{sid} allows {action}: the broker only writes samples/ and reads the published rule set"
        elif service == "dynamodb" and lowered not in ALLOWED_TABLE_ACTIONS:
            yield f"{sid} allows {action}: the broker puts and updates items, it never reads the intake table"
    key = variables.get("SAMPLES_KEY_ARN")
    if isinstance(key, str) and not is_unknown(key) and actions_match(statement.get("Action"), "kms:Decrypt") \
            and resource_patterns_cover(resources, key):
        yield f"{sid} lets the broker decrypt with its store's key: it could read the samples it lets in"


def stack_broker_write_only(stack: Stack) -> Iterator[tuple[Resource, str]]:
    for function, variables in _brokers(stack):
        names, urns = _role_of(stack, function)
        if not names and not urns:
            continue
        for attachment in stack.of_type(*ATTACHMENTS):
            if _attached_to(attachment, names, urns):
                yield attachment, (f"a managed policy on the role of intake broker {function.name} can grant reads of "
                                   "customer data; its role has inline policies only")
        documents: list[tuple[Resource, Any]] = [(p, p.inputs.get("policy")) for p in stack.of_type(ROLE_POLICY)
                                                 if _attached_to(p, names, urns)]
        for role in stack.of_type(ROLE):
            if role.urn in urns or role.inputs.get("name") in names:
                documents += [(role, inline.get("policy")) for inline in as_list(role.inputs.get("inlinePolicies"))
                              if isinstance(inline, dict)]
                if [a for a in as_list(role.inputs.get("managedPolicyArns")) if a]:
                    yield role, (f"managed policies on the role of intake broker {function.name} can grant reads of "
                                 "customer data; its role has inline policies only")
        for holder, document in documents:
            parsed = parse_document(document)
            for statement in statements(parsed) if parsed else []:
                for problem in _statement_problems(statement, variables):
                    yield holder, f"intake broker {function.name}: {problem}"


INTAKE_BROKER_WRITE_ONLY = Rule(
    "intake-broker-write-only", "center:intake-broker (no FSBP/checkov control)",
    "An intake broker's role writes only samples/ of its region's store, reads only the published rule set, puts "
    "and updates intake table items without reading any, never decrypts with the store's key, and has no managed "
    "policy or NotAction Allow.",
    stack_check=stack_broker_write_only,
)
