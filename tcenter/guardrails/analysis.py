"""Guardrails of the analysis cells (issue 28): samples/ -> cells -> verdicts/ -> AV builds, and
no other way out of customer data.

- `analysis-samples-cells-only`: when the plan declares analysis cells, every customer data
  bucket's policy denies reading `samples/` to every principal but the cell roles;
- `analysis-cells-verdicts-only`: a cell role's own policies write nothing but `verdicts/` and
  read nothing of S3 but `samples/`; the analysis zone's S3 gateway endpoint does no more;
- `analysis-zone-isolated`: the analysis zone reaches nothing new: no route, no gateway or
  interface endpoint but its own (S3, SQS), NACL entries on HTTPS and its replies only and to
  no other zone, no security group ingress from addresses.

The cells are found by their `zone: analysis` tag (roles, endpoints, NACLs, route tables, groups).
"""

from __future__ import annotations

import ipaddress
from typing import Any, Iterator, Mapping

from components.awsfacts import EPHEMERAL_PORTS, HTTPS

from .model import (
    BUCKET_TYPES, Resource, Rule, Stack, actions_match, admitted_principals, as_list, bucket_name_of, create_only,
    holds_customer_data, is_unknown, parse_document, role_name_of_arn, statements, tags_of,
)

ZONE = "analysis"
SAMPLES, VERDICTS = "samples/", "verdicts/"
ROLE, ROLE_POLICY = "aws:iam/role:Role", "aws:iam/rolePolicy:RolePolicy"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
ENDPOINT, ROUTE_TABLE, ROUTE = "aws:ec2/vpcEndpoint:VpcEndpoint", "aws:ec2/routeTable:RouteTable", "aws:ec2/route:Route"
NACL, SUBNET, SECURITY_GROUP = "aws:ec2/networkAcl:NetworkAcl", "aws:ec2/subnet:Subnet", "aws:ec2/securityGroup:SecurityGroup"
CELL_INTERFACE_SERVICES = ("sqs",)


def in_zone(resource: Resource) -> bool:
    return tags_of(resource).get("zone") == ZONE


def cell_role_names(stack: Stack) -> set[str]:
    return {str(r.inputs.get("name")) for r in stack.of_type(ROLE) if in_zone(r) and isinstance(r.inputs.get("name"), str)}












# --- analysis-samples-cells-only ---------------------------------------------------------------

def check_samples_cells_only(stack: Stack) -> Iterator[tuple[Resource, str]]:
    cells = cell_role_names(stack)
    if not cells:
        return
    for bucket in stack.of_type(*BUCKET_TYPES):
        if not holds_customer_data(bucket):
            continue
        name = bucket_name_of(bucket) or str(bucket.state.get("bucket") or "")
        policies = [p for p in stack.of_type(BUCKET_POLICY) if bucket in stack.referenced(p, "bucket", *BUCKET_TYPES)]
        if not policies:
            yield bucket, f"{name}: no bucket policy, so every principal with an IAM grant reads {SAMPLES}"
            continue
        for policy in policies:
            readers = admitted_principals(parse_document(policy.inputs.get("policy")),
                                          f"arn:aws:s3:::{name}/{SAMPLES}0000", "s3:GetObject")
            if readers is None:
                yield policy, f"{name}: no Deny limits who reads {SAMPLES}; only the analysis cells may"
                continue
            others = sorted(r for r in readers if not is_unknown(r) and role_name_of_arn(r) not in cells)
            if others:
                yield policy, f"{name}: {others} may read {SAMPLES}; only the analysis cells {sorted(cells)} may"


ANALYSIS_SAMPLES_CELLS_ONLY = Rule(
    "analysis-samples-cells-only", "center:analysis-cells",
    "When the plan declares analysis cells, every customer data bucket denies reading samples/ to every "
    "principal but the cell roles.",
    stack_check=check_samples_cells_only,
)


# --- analysis-cells-verdicts-only --------------------------------------------------------------

def _s3_problems(statement: Mapping, where: str) -> Iterator[str]:
    if statement.get("Effect") != "Allow":
        return
    if "NotAction" in statement or "NotResource" in statement:
        yield f"{where}: statement {statement.get('Sid', '?')!r} uses NotAction/NotResource"
        return
    resources = [str(r) for r in as_list(statement.get("Resource"))]
    if actions_match(statement.get("Action"), "s3:PutObject"):
        bad = [r for r in resources if not r.endswith(f"/{VERDICTS}*")]
        if bad:
            yield f"{where}: statement {statement.get('Sid', '?')!r} writes {bad}; cells write {VERDICTS} only"
    if actions_match(statement.get("Action"), "s3:GetObject"):
        bad = [r for r in resources if not r.endswith(f"/{SAMPLES}*")]
        if bad:
            yield f"{where}: statement {statement.get('Sid', '?')!r} reads {bad}; cells read {SAMPLES} only"


def check_cells_verdicts_only(stack: Stack) -> Iterator[tuple[Resource, str]]:
    cell_roles = [r for r in stack.of_type(ROLE) if in_zone(r)]
    for policy in stack.of_type(ROLE_POLICY):
        if not any(role in cell_roles for role in stack.referenced(policy, "role", ROLE)):
            continue
        for statement in statements(parse_document(policy.inputs.get("policy"))):
            for problem in _s3_problems(statement, f"role policy {policy.inputs.get('name')}"):
                yield policy, problem
    for endpoint in stack.of_type(ENDPOINT):
        if in_zone(endpoint) and str(endpoint.inputs.get("serviceName", "")).endswith(".s3"):
            for statement in statements(parse_document(endpoint.inputs.get("policy"))):
                for problem in _s3_problems(statement, "the analysis zone's S3 endpoint policy"):
                    yield endpoint, problem
    if not cell_roles:
        return
    for bucket in stack.of_type(*BUCKET_TYPES):
        if not holds_customer_data(bucket):
            continue
        name = bucket_name_of(bucket) or str(bucket.state.get("bucket") or "")
        for policy in stack.of_type(BUCKET_POLICY):
            if bucket in stack.referenced(policy, "bucket", *BUCKET_TYPES) and not create_only(
                    parse_document(policy.inputs.get("policy")), f"arn:aws:s3:::{name}/{VERDICTS}0000.json"):
                yield policy, (f"{name}: {VERDICTS} can be overwritten; a cell a sample took over could rewrite "
                               "what other cells found (deny PutObject without If-None-Match)")


ANALYSIS_CELLS_VERDICTS_ONLY = Rule(
    "analysis-cells-verdicts-only", "center:analysis-cells",
    "A cell role's policies and the analysis zone's S3 endpoint write nothing but verdicts/ and read "
    "nothing of S3 but samples/; the stores' verdicts/ are create-only.",
    stack_check=check_cells_verdicts_only,
)


# --- analysis-zone-isolated --------------------------------------------------------------------

def _net(value: Any) -> ipaddress.IPv4Network | None:
    try:
        return ipaddress.IPv4Network(str(value), strict=False)
    except ValueError:
        return None


def check_zone_isolated(stack: Stack) -> Iterator[tuple[Resource, str]]:
    tables = [t for t in stack.of_type(ROUTE_TABLE) if in_zone(t)]
    if not tables:
        return
    table_ids = {str(t.state.get("id")) for t in tables if t.state.get("id")}
    for table in tables:
        if as_list(table.inputs.get("routes")):
            yield table, "the analysis route table has routes: the zone reaches nothing but its own endpoints"
    for route in stack.of_type(ROUTE):
        if any(t in tables for t in stack.referenced(route, "routeTableId", ROUTE_TABLE)):
            yield route, "a route in the analysis zone: the zone reaches nothing but its own endpoints"
    zone_subnets = [s for s in stack.of_type(SUBNET) if in_zone(s)]
    subnet_ids = {str(s.state.get("id")) for s in zone_subnets if s.state.get("id")}
    zone_nets = [n for n in (_net(s.inputs.get("cidrBlock")) for s in zone_subnets) if n]
    other_nets = [n for n in (_net(s.inputs.get("cidrBlock")) for s in stack.of_type(SUBNET) if not in_zone(s)) if n]
    for endpoint in stack.of_type(ENDPOINT):
        on_tables = set(map(str, as_list(endpoint.inputs.get("routeTableIds")))) & table_ids or any(
            t in tables for t in stack.referenced(endpoint, "routeTableIds", ROUTE_TABLE))
        in_subnets = set(map(str, as_list(endpoint.inputs.get("subnetIds")))) & subnet_ids or any(
            s in zone_subnets for s in stack.referenced(endpoint, "subnetIds", SUBNET))
        service = str(endpoint.inputs.get("serviceName", "")).rsplit(".", 1)[-1]
        if on_tables and not in_zone(endpoint):
            yield endpoint, f"the {service} gateway endpoint of another zone serves the analysis route table"
        if in_subnets and (service not in CELL_INTERFACE_SERVICES or not in_zone(endpoint)):
            yield endpoint, (f"an interface endpoint for {service} in the analysis zone; the cells reach "
                             f"{list(CELL_INTERFACE_SERVICES)} only")
    allowed_ports = {(HTTPS, HTTPS), tuple(EPHEMERAL_PORTS)}
    for nacl in stack.of_type(NACL):
        if not in_zone(nacl):
            continue
        for direction in ("ingress", "egress"):
            for entry in as_list(nacl.inputs.get(direction)):
                if not isinstance(entry, Mapping) or str(entry.get("action", "")).lower() != "allow":
                    continue
                net = _net(entry.get("cidrBlock"))
                ports = (entry.get("fromPort"), entry.get("toPort"))
                if net is None or net.prefixlen == 0:
                    yield nacl, f"{direction} entry {entry.get('ruleNo')} admits {entry.get('cidrBlock')}"
                elif any(net.overlaps(o) for o in other_nets) and not any(net.subnet_of(z) for z in zone_nets):
                    yield nacl, f"{direction} entry {entry.get('ruleNo')} reaches {net}, another zone's addresses"
                elif str(entry.get("protocol")) not in ("tcp", "6") or tuple(ports) not in allowed_ports:
                    yield nacl, (f"{direction} entry {entry.get('ruleNo')} opens {entry.get('protocol')} {ports}; "
                                 "the zone speaks HTTPS and its replies only")
    for group in stack.of_type(SECURITY_GROUP):
        if not in_zone(group):
            continue
        for rule in as_list(group.inputs.get("ingress")):
            if isinstance(rule, Mapping) and (as_list(rule.get("cidrBlocks")) or as_list(rule.get("ipv6CidrBlocks"))):
                yield group, f"ingress from addresses {as_list(rule.get('cidrBlocks'))}: nothing enters the analysis zone"


ANALYSIS_ZONE_ISOLATED = Rule(
    "analysis-zone-isolated", "center:analysis-cells",
    "The analysis zone reaches nothing new: no route, no endpoint but its own S3 gateway and SQS endpoint, "
    "NACL entries on HTTPS and replies only and to no other zone, no ingress from addresses.",
    stack_check=check_zone_isolated,
)


# --- analysis-cells-ephemeral ------------------------------------------------------------------

LAUNCH_TEMPLATE, GROUP = "aws:ec2/launchTemplate:LaunchTemplate", "aws:autoscaling/group:Group"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
LIFETIME_BOUNDS = (86_400, 604_800)
"""Auto Scaling's shortest maximum instance lifetime, and the kit's longest (a week)."""


def _group_in_zone(group: Resource) -> bool:
    tags = group.inputs.get("tags")
    return any(isinstance(t, Mapping) and t.get("key") == "zone" and t.get("value") == ZONE for t in as_list(tags))


def _template_problems(template: Resource) -> Iterator[str]:
    i = template.inputs
    options = i.get("metadataOptions")
    if not is_unknown(options):  # a rule judges only what it can see (preview)
        options = options if isinstance(options, Mapping) else {}
        if options.get("httpTokens") != "required" and not is_unknown(options.get("httpTokens")):
            yield f"httpTokens {options.get('httpTokens')!r}: a cell's metadata needs IMDSv2 tokens"
        hops = options.get("httpPutResponseHopLimit")
        if str(hops) != "1" and not is_unknown(hops):
            yield f"hop limit {hops!r}: 1, so nothing nested in a cell reaches its credentials"
    shutdown = i.get("instanceInitiatedShutdownBehavior")
    if shutdown != "terminate" and not is_unknown(shutdown):
        yield (f"shutdown behavior {shutdown!r}: a cell powers off after its job "
               "and must be terminated, never kept")
    if i.get("keyName"):
        yield f"key pair {i.get('keyName')!r}: nobody logs in to a cell"
    for interface in as_list(i.get("networkInterfaces")):
        if isinstance(interface, Mapping) and str(interface.get("associatePublicIpAddress")).lower() == "true":
            yield "a public address: nothing reaches a cell"


def check_cells_ephemeral(stack: Stack) -> Iterator[tuple[Resource, str]]:
    for template in stack.of_type(LAUNCH_TEMPLATE):
        if in_zone(template):
            for problem in _template_problems(template):
                yield template, f"launch template {template.inputs.get('name')}: {problem}"
    low, high = LIFETIME_BOUNDS
    for group in stack.of_type(GROUP):
        lifetime = group.inputs.get("maxInstanceLifetime")
        if _group_in_zone(group) and not is_unknown(lifetime) and not (
                isinstance(lifetime, int) and low <= lifetime <= high):
            yield group, (f"group {group.inputs.get('name')}: maxInstanceLifetime {lifetime!r}; a cell is replaced "
                          f"within {low}..{high} seconds whatever happens to its job")
    cell_roles = [r for r in stack.of_type(ROLE) if in_zone(r)]
    for attachment in stack.of_type(ATTACHMENT):
        if any(role in cell_roles for role in stack.referenced(attachment, "role", ROLE)):
            yield attachment, (f"{attachment.inputs.get('policyArn')} attached to a cell role: cells have no managed "
                               "policy (no Session Manager, no shell)")


ANALYSIS_CELLS_EPHEMERAL = Rule(
    "analysis-cells-ephemeral", "center:analysis-cells",
    "Cells are ephemeral and unreachable: IMDSv2 with hop limit 1, terminated on shutdown, no key pair or "
    "public address, replaced within a week, no managed policy on their roles.",
    stack_check=check_cells_ephemeral,
)


# --- analysis-jobs-cells-only ------------------------------------------------------------------

QUEUE, QUEUE_POLICY = "aws:sqs/queue:Queue", "aws:sqs/queuePolicy:QueuePolicy"
JOB_ACTIONS = ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility")


def check_jobs_cells_only(stack: Stack) -> Iterator[tuple[Resource, str]]:
    cells = cell_role_names(stack)
    queues = [q for q in stack.of_type(QUEUE) if in_zone(q)]
    queue_arns = {str(q.state.get("arn")) for q in queues if q.state.get("arn")}
    for policy in stack.of_type(QUEUE_POLICY):
        targets = [q for q in stack.referenced(policy, "queueUrl", QUEUE) if q in queues]
        document = parse_document(policy.inputs.get("policy"))
        for queue in targets:
            arn, name = str(queue.state.get("arn", "")), queue.inputs.get("name")
            for action in JOB_ACTIONS:
                admitted = admitted_principals(document, arn, action)
                others = None if admitted is None else sorted(
                    a for a in admitted if not is_unknown(a) and role_name_of_arn(a) not in cells)
                if admitted is None or others:
                    yield policy, f"queue {name}: {others or 'any principal'} may {action}; only the analysis cells may"
            if admitted_principals(document, arn, "sqs:SendMessage") != set():
                yield policy, f"queue {name}: a principal may send jobs; only S3 (the store's sample events) may"
    for endpoint in stack.of_type(ENDPOINT):
        if not (in_zone(endpoint) and str(endpoint.inputs.get("serviceName", "")).endswith(".sqs")):
            continue
        for statement in statements(parse_document(endpoint.inputs.get("policy"))):
            if statement.get("Effect") != "Allow":
                continue
            if "NotAction" in statement or "NotResource" in statement or actions_match(statement.get("Action"), "sqs:SendMessage"):
                yield endpoint, f"the analysis zone's SQS endpoint lets {statement.get('Sid', '?')!r} send messages or more"
            foreign = [r for r in map(str, as_list(statement.get("Resource"))) if r not in queue_arns and not is_unknown(r)]
            if foreign:
                yield endpoint, f"the analysis zone's SQS endpoint reaches {foreign}; the cells' job queues only"


ANALYSIS_JOBS_CELLS_ONLY = Rule(
    "analysis-jobs-cells-only", "center:analysis-cells",
    "Only the analysis cells take jobs of the job queues and nobody sends any (S3 does); the zone's SQS "
    "endpoint reaches the cells' job queues only and sends nothing.",
    stack_check=check_jobs_cells_only,
)
