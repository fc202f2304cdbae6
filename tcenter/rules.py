"""The center's invariants: one rule set, run in two places.

Every rule is a pure function over a normalized view of the declared resources
(`Resource`: type token, camelCase inputs, protect, provider inputs, property
dependencies) so that both entry points feed the same code:

- the CrossGuard pack (policy/__main__.py) maps `ResourceValidationArgs` and
  `StackValidationArgs` into the view during `pulumi preview` / `pulumi up`;
- `tcenter check PLAN.json` (tcenter/check.py) maps the resources of a plan file into it.

A rule has a resource check (one resource alone), a stack check (needs other resources:
which bucket a lock belongs to, which VPC a flow log watches), or both. Each names the
control it implements (AWS Security Hub FSBP, CIS AWS Foundations v3, checkov id).

Values unknown until deploy ("[unknown]", or Pulumi's unknown sentinel during preview)
never count as a violation: a rule judges what it can see, and `pulumi up` runs the pack
again with the values known.

This module imports nothing from pulumi and nothing of components but the pure facts module
(components/awsfacts.py: region, stateful types, AWS limits): the policy pack runs it in its
own virtualenv.
"""

from __future__ import annotations

import fnmatch
import json
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator, Mapping, Sequence

from components import awsfacts
from components.awsfacts import REGION
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


def as_list(value: Any) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def parse_document(value: Any) -> dict | None:
    """A JSON policy document as Pulumi sends it (a string), or None when unknown."""
    if isinstance(value, Mapping):
        return dict(value)
    if not isinstance(value, str) or is_unknown(value) or not value.strip():
        return None
    try:
        document = json.loads(value)
    except json.JSONDecodeError:
        return None
    return document if isinstance(document, dict) else None


def statements(document: Mapping | None) -> list[dict]:
    if not document:
        return []
    return [s for s in as_list(document.get("Statement")) if isinstance(s, Mapping)]


def actions_match(statement_actions: Any, action: str) -> bool:
    """Whether an IAM action list (wildcards allowed) covers `action`."""
    return any(isinstance(a, str) and fnmatch.fnmatchcase(action.lower(), a.lower()) for a in as_list(statement_actions))


def principals_of(statement: Mapping) -> list[str]:
    principal = statement.get("Principal")
    if principal is None:
        return []
    if isinstance(principal, str):
        return [principal]
    result: list[str] = []
    if isinstance(principal, Mapping):
        for value in principal.values():
            result.extend(str(v) for v in as_list(value))
    return result


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


# --- residency ----------------------------------------------------------------------------

def check_residency(resource: Resource, context: Context) -> Iterator[str]:
    if resource.type == AWS_PROVIDER:
        region = resource.inputs.get("region")
        if region is None:
            yield f"the provider sets no region (AWS_REGION would decide); set region={REGION}"
        elif not is_unknown(region) and region != REGION:
            yield f"the provider targets {region}; only {REGION} (Zurich) is allowed"
        sts_region = resource.inputs.get("stsRegion")
        if isinstance(sts_region, str) and not is_unknown(sts_region) and sts_region != REGION:
            yield f"the provider calls STS in {sts_region}; use the regional endpoint of {REGION}"
        return
    if not resource.type.startswith("aws:"):
        return
    region = resource.inputs.get("region")
    if isinstance(region, str) and not is_unknown(region) and region != REGION:
        yield f"region={region}; only {REGION} (Zurich) is allowed"
    provider_region = dig(resource.provider_inputs, "region") if resource.provider_inputs else None
    if isinstance(provider_region, str) and not is_unknown(provider_region) and provider_region != REGION:
        yield f"its provider targets {provider_region}; only {REGION} (Zurich) is allowed"
    if resource.type == "aws:kms/key:Key" and truthy(resource.inputs.get("multiRegion")):
        yield "multiRegion=true: a multi-Region key can be replicated out of Zurich"
    if resource.type in ("aws:kms/replicaKey:ReplicaKey", "aws:kms/replicaExternalKey:ReplicaExternalKey",
                         "aws:s3/bucketReplicationConfig:BucketReplicationConfig"):
        yield "replication copies keys or objects out of the stack's region"


RESIDENCY = Rule(
    "residency", "center:residency (no FSBP/CIS/checkov control covers a region allow-list)",
    "Providers and every `region` input stay in eu-central-2; no multi-Region keys, no replication.",
    resource_check=check_residency,
)


# --- no internet path ---------------------------------------------------------------------

INTERNET_GATEWAY_TYPES = {
    "aws:ec2/internetGateway:InternetGateway": "an internet gateway",
    "aws:ec2/internetGatewayAttachment:InternetGatewayAttachment": "an internet gateway attachment",
    "aws:ec2/natGateway:NatGateway": "a NAT gateway",
    "aws:ec2/egressOnlyInternetGateway:EgressOnlyInternetGateway": "an egress-only internet gateway",
    "aws:ec2/eip:Eip": "an Elastic IP",
    "aws:ec2/eipAssociation:EipAssociation": "an Elastic IP association",
    "aws:ec2/carrierGateway:CarrierGateway": "a carrier gateway",
}


def check_no_internet_gateway(resource: Resource, context: Context) -> Iterator[str]:
    what = INTERNET_GATEWAY_TYPES.get(resource.type)
    if what:
        yield f"{what} gives the center a path to the internet; AWS APIs are reached through VPC endpoints"


NO_INTERNET_GATEWAY = Rule(
    "no-internet-gateway", "center:no-internet-path (no FSBP/checkov control forbids gateways)",
    "No internet gateway, NAT gateway, egress-only gateway or Elastic IP.",
    resource_check=check_no_internet_gateway,
)


def check_no_public_ip(resource: Resource, context: Context) -> Iterator[str]:
    if resource.type == "aws:ec2/subnet:Subnet":
        if truthy(resource.inputs.get("mapPublicIpOnLaunch")):
            yield "mapPublicIpOnLaunch=true: instances launched here get public addresses (EC2.15)"
    elif resource.type in ("aws:ec2/instance:Instance", "aws:ec2/spotInstanceRequest:SpotInstanceRequest"):
        if truthy(resource.inputs.get("associatePublicIpAddress")):
            yield "associatePublicIpAddress=true (EC2.9)"
    elif resource.type == "aws:ec2/launchTemplate:LaunchTemplate":
        for index, interface in enumerate(as_list(resource.inputs.get("networkInterfaces"))):
            if truthy(dig(interface, "associatePublicIpAddress")):
                yield f"networkInterfaces[{index}].associatePublicIpAddress=true (EC2.9)"


NO_PUBLIC_IP = Rule(
    "no-public-ip", "FSBP EC2.9, EC2.15; CKV_AWS_88, CKV_AWS_130",
    "Subnets never map public IPs; instances and launch templates never ask for one.",
    resource_check=check_no_public_ip,
)


def _sg_rule_sources(rule: Mapping) -> list[Any]:
    return as_list(rule.get("cidrBlocks")) + as_list(rule.get("ipv6CidrBlocks"))


def check_no_open_ingress(resource: Resource, context: Context) -> Iterator[str]:
    if resource.type in ("aws:ec2/securityGroup:SecurityGroup", "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"):
        for index, rule in enumerate(as_list(resource.inputs.get("ingress"))):
            anywhere = cidrs_anywhere(_sg_rule_sources(rule)) if isinstance(rule, Mapping) else []
            if anywhere:
                yield f"ingress[{index}] admits {', '.join(anywhere)} (EC2.18/EC2.19)"
    elif resource.type == "aws:ec2/securityGroupRule:SecurityGroupRule":
        if resource.inputs.get("type") == "ingress":
            anywhere = cidrs_anywhere(_sg_rule_sources(resource.inputs))
            if anywhere:
                yield f"an ingress rule admits {', '.join(anywhere)} (EC2.18/EC2.19)"
    elif resource.type == "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule":
        anywhere = cidrs_anywhere([resource.inputs.get("cidrIpv4"), resource.inputs.get("cidrIpv6")])
        if anywhere:
            yield f"the ingress rule admits {', '.join(anywhere)} (EC2.18/EC2.19)"
    elif resource.type in ("aws:ec2/networkAcl:NetworkAcl", "aws:ec2/defaultNetworkAcl:DefaultNetworkAcl"):
        for index, entry in enumerate(as_list(resource.inputs.get("ingress"))):
            if isinstance(entry, Mapping) and str(entry.get("action", "")).lower() == "allow":
                anywhere = cidrs_anywhere([entry.get("cidrBlock"), entry.get("ipv6CidrBlock")])
                if anywhere:
                    yield f"NACL ingress[{index}] allows {', '.join(anywhere)} (EC2.21)"
    elif resource.type == "aws:ec2/networkAclRule:NetworkAclRule":
        if not truthy(resource.inputs.get("egress")) and str(resource.inputs.get("ruleAction", "")).lower() == "allow":
            anywhere = cidrs_anywhere([resource.inputs.get("cidrBlock"), resource.inputs.get("ipv6CidrBlock")])
            if anywhere:
                yield f"the NACL rule allows ingress from {', '.join(anywhere)} (EC2.21)"


NO_OPEN_INGRESS = Rule(
    "no-open-ingress", "FSBP EC2.18, EC2.19, EC2.21; CIS 5.1-5.3; CKV_AWS_24, CKV_AWS_25, CKV_AWS_260, CKV_AWS_277",
    "No security group or network ACL admits 0.0.0.0/0 or ::/0.",
    resource_check=check_no_open_ingress,
)


def check_no_default_route(resource: Resource, context: Context) -> Iterator[str]:
    routes: list[tuple[str, Mapping]] = []
    if resource.type == "aws:ec2/route:Route":
        routes.append(("the route", resource.inputs))
    elif resource.type in ("aws:ec2/routeTable:RouteTable", "aws:ec2/defaultRouteTable:DefaultRouteTable"):
        routes.extend((f"routes[{i}]", r) for i, r in enumerate(as_list(resource.inputs.get("routes"))) if isinstance(r, Mapping))
    for label, route in routes:
        anywhere = cidrs_anywhere([route.get("destinationCidrBlock"), route.get("destinationIpv6CidrBlock"),
                                   route.get("cidrBlock"), route.get("ipv6CidrBlock")])
        if anywhere:
            yield f"{label} sends {', '.join(anywhere)} somewhere: the center has no default route"
        gateway = route.get("gatewayId")
        if isinstance(gateway, str) and gateway.startswith("igw-"):
            yield f"{label} targets the internet gateway {gateway}"


NO_DEFAULT_ROUTE = Rule(
    "no-default-route", "center:no-internet-path (no FSBP/checkov control covers routes)",
    "No route to 0.0.0.0/0 or ::/0 and none through an internet gateway.",
    resource_check=check_no_default_route,
)


# --- hosts --------------------------------------------------------------------------------

def check_imdsv2(resource: Resource, context: Context) -> Iterator[str]:
    if resource.type == "aws:ec2/instance:Instance":
        options = resource.inputs.get("metadataOptions")
        if options is None and resource.inputs.get("launchTemplate") is not None:
            return  # the launch template it starts from is checked on its own
    elif resource.type == "aws:ec2/launchTemplate:LaunchTemplate":
        options = resource.inputs.get("metadataOptions")
    else:
        return
    tokens = dig(options, "httpTokens")
    if is_unknown(options) or is_unknown(tokens):
        return
    if dig(options, "httpEndpoint") == "disabled":
        return  # no metadata service at all is stricter than IMDSv2
    if tokens != "required":
        yield f"metadataOptions.httpTokens={tokens!r}: IMDSv1 stays reachable; set 'required'"
    hops = dig(options, "httpPutResponseHopLimit")
    if isinstance(hops, (int, float)) and hops > 1:
        yield f"metadataOptions.httpPutResponseHopLimit={int(hops)}: tokens must not leave the host (use 1)"


IMDSV2 = Rule(
    "imdsv2", "FSBP EC2.8; CIS 5.6; CKV_AWS_79, CKV_AWS_341",
    "Instances and launch templates require IMDSv2 tokens with a hop limit of 1.",
    resource_check=check_imdsv2,
)


# --- encryption at rest with customer managed keys ----------------------------------------

def _ebs_problems(label: str, device: Any) -> Iterator[str]:
    if not isinstance(device, Mapping):
        return
    encrypted = device.get("encrypted")
    if is_unknown(encrypted):
        return
    if truthy(encrypted) is not True:
        yield f"{label} is not encrypted (EC2.3)"
    elif not device.get("kmsKeyId"):
        yield f"{label} is encrypted with the AWS managed key; name a customer managed key (kmsKeyId)"


def check_ebs_cmk(resource: Resource, context: Context) -> Iterator[str]:
    if resource.type == "aws:ec2/instance:Instance":
        root = resource.inputs.get("rootBlockDevice")
        if root is None and resource.inputs.get("launchTemplate") is None:
            yield "no rootBlockDevice: the root volume would use the account default (unencrypted unless set)"
        elif root is not None:
            yield from _ebs_problems("rootBlockDevice", root)
        for index, device in enumerate(as_list(resource.inputs.get("ebsBlockDevices"))):
            yield from _ebs_problems(f"ebsBlockDevices[{index}]", device)
    elif resource.type == "aws:ebs/volume:Volume":
        yield from _ebs_problems("the volume", resource.inputs)
    elif resource.type == "aws:ec2/launchTemplate:LaunchTemplate":
        for index, mapping in enumerate(as_list(resource.inputs.get("blockDeviceMappings"))):
            if dig(mapping, "ebs") is not None:
                yield from _ebs_problems(f"blockDeviceMappings[{index}].ebs", dig(mapping, "ebs"))


EBS_CMK = Rule(
    "ebs-encryption-cmk", "FSBP EC2.3; CKV_AWS_8, CKV_AWS_189",
    "Every EBS volume (instance, launch template, standalone) is encrypted with a customer managed key.",
    resource_check=check_ebs_cmk,
)

SSE_TYPES = (
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
)
BUCKET_TYPES = ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")


def _sse_rule_problems(rules: Any) -> Iterator[str]:
    if is_unknown(rules):
        return
    rules = as_list(rules)
    if not rules:
        yield "no encryption rule"
    for index, rule in enumerate(rules):
        default = dig(rule, "applyServerSideEncryptionByDefault")
        algorithm = dig(default, "sseAlgorithm")
        if is_unknown(algorithm):
            continue
        if algorithm not in ("aws:kms", "aws:kms:dsse"):
            yield f"rules[{index}] uses {algorithm!r}; use SSE-KMS ('aws:kms') with a customer managed key (S3.17)"
        elif not dig(default, "kmsMasterKeyId"):
            yield f"rules[{index}] uses SSE-KMS without kmsMasterKeyId, i.e. the AWS managed aws/s3 key"


def check_s3_sse(resource: Resource, context: Context) -> Iterator[str]:
    if resource.type in SSE_TYPES:
        yield from _sse_rule_problems(resource.inputs.get("rules"))
    elif resource.type in BUCKET_TYPES:
        inline = resource.inputs.get("serverSideEncryptionConfiguration")
        if isinstance(inline, Mapping):
            yield from _sse_rule_problems(as_list(inline.get("rule")) or as_list(inline.get("rules")))


def stack_s3_sse(stack: Stack) -> Iterator[tuple[Resource, str]]:
    configured = {b.urn for sse in stack.of_type(*SSE_TYPES) for b in stack.referenced(sse, "bucket", *BUCKET_TYPES)}
    for bucket in stack.of_type(*BUCKET_TYPES):
        if bucket.urn not in configured and not isinstance(bucket.inputs.get("serverSideEncryptionConfiguration"), Mapping):
            yield bucket, "no server-side encryption configuration with a customer managed key"


S3_SSE_CMK = Rule(
    "s3-sse-kms-cmk", "FSBP S3.17; CKV_AWS_145",
    "Every bucket has SSE-KMS by default with the ARN of a customer managed key.",
    resource_check=check_s3_sse, stack_check=stack_s3_sse,
)


def check_log_group_cmk(resource: Resource, context: Context) -> Iterator[str]:
    if resource.type == "aws:cloudwatch/logGroup:LogGroup" and not resource.inputs.get("kmsKeyId"):
        yield "no kmsKeyId: log events are encrypted only with a CloudWatch-owned key"


LOG_GROUP_CMK = Rule(
    "log-group-cmk", "CKV_AWS_158 (CloudWatch log groups encrypted by KMS)",
    "Every log group is encrypted with a customer managed key.",
    resource_check=check_log_group_cmk,
)


def check_dynamodb_cmk(resource: Resource, context: Context) -> Iterator[str]:
    if resource.type != "aws:dynamodb/table:Table":
        return
    sse = resource.inputs.get("serverSideEncryption")
    if is_unknown(sse):
        return
    if is_off(dig(sse, "enabled")):
        yield "serverSideEncryption is off: the table uses an AWS owned key"
    elif not dig(sse, "kmsKeyArn"):
        yield "serverSideEncryption has no kmsKeyArn: the AWS managed aws/dynamodb key"


DYNAMODB_CMK = Rule(
    "dynamodb-cmk", "CKV_AWS_119 (DynamoDB encrypted with a customer managed key)",
    "Every DynamoDB table is encrypted with a customer managed key.",
    resource_check=check_dynamodb_cmk,
)


def check_cloudtrail_cmk(resource: Resource, context: Context) -> Iterator[str]:
    if resource.type == "aws:cloudtrail/trail:Trail" and not resource.inputs.get("kmsKeyId"):
        yield "no kmsKeyId: log files are encrypted only with SSE-S3"


CLOUDTRAIL_CMK = Rule(
    "cloudtrail-cmk", "FSBP CloudTrail.2; CIS 3.5; CKV_AWS_35",
    "CloudTrail log files are encrypted with a customer managed key.",
    resource_check=check_cloudtrail_cmk,
)


def check_secret_cmk(resource: Resource, context: Context) -> Iterator[str]:
    if resource.type == "aws:secretsmanager/secret:Secret" and not resource.inputs.get("kmsKeyId"):
        yield "no kmsKeyId: the secret uses the AWS managed aws/secretsmanager key"


SECRET_CMK = Rule(
    "secret-cmk", "CKV_AWS_149",
    "Secrets Manager secrets are encrypted with a customer managed key.",
    resource_check=check_secret_cmk,
)


# --- Object Lock on release and audit buckets ---------------------------------------------

LOCK_TYPES = (
    "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration",
    "aws:s3/bucketObjectLockConfigurationV2:BucketObjectLockConfigurationV2",
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


# --- what AWS itself would refuse -------------------------------------------------------------

TAGGED_INPUTS = ("tags",)


def _document_size(value: Any) -> int | None:
    document = parse_document(value)
    return None if document is None else len(json.dumps(document, separators=(",", ":")))


def check_aws_limits(resource: Resource, context: Context) -> Iterator[str]:
    """Rules AWS enforces at deploy time that the mock engine and preview never see."""
    for (type_, key), limit in awsfacts.POLICY_SIZE_LIMITS.items():
        if resource.type == type_:
            size = _document_size(resource.inputs.get(key))
            if size is not None and size > limit:
                yield f"{key} is {size} characters; AWS accepts at most {limit}"
    if resource.type in BUCKET_TYPES:
        name = bucket_name_of(resource)
        problem = awsfacts.bucket_name_problem(name) if name else None
        if problem:
            yield f"bucket name {name!r} would be refused by S3: {problem}"
    if resource.type == "aws:kms/key:Key":
        usage = resource.inputs.get("keyUsage") or "ENCRYPT_DECRYPT"
        spec = resource.inputs.get("customerMasterKeySpec") or resource.inputs.get("keySpec") or "SYMMETRIC_DEFAULT"
        if not is_unknown(usage) and not is_unknown(spec):
            allowed = awsfacts.KEY_SPECS_BY_USAGE.get(usage)
            if allowed is None:
                yield f"key usage {usage!r} is not one KMS knows: {sorted(awsfacts.KEY_SPECS_BY_USAGE)}"
            elif spec not in allowed:
                yield f"KMS refuses key spec {spec} for usage {usage}; allowed: {list(allowed)}"
            if truthy(resource.inputs.get("enableKeyRotation")) and spec not in awsfacts.ROTATABLE_KEY_SPECS:
                yield f"KMS rotates only {list(awsfacts.ROTATABLE_KEY_SPECS)} keys; {spec} refuses enableKeyRotation"
        window = resource.inputs.get("deletionWindowInDays")
        low, high = awsfacts.KEY_DELETION_WINDOW_DAYS
        if isinstance(window, int) and not low <= window <= high:
            yield f"deletionWindowInDays {window} is outside KMS's {low}-{high}"
    tags = resource.inputs.get("tags")
    if isinstance(tags, Mapping):
        if len(tags) > awsfacts.TAGS_PER_RESOURCE_MAX:
            yield f"{len(tags)} tags; AWS allows {awsfacts.TAGS_PER_RESOURCE_MAX} per resource"
        for key, value in tags.items():
            if len(str(key)) > awsfacts.TAG_KEY_MAX or str(key).lower().startswith("aws:"):
                yield f"tag key {str(key)[:40]!r} is longer than {awsfacts.TAG_KEY_MAX} or uses the reserved aws: prefix"
            if isinstance(value, str) and not is_unknown(value) and len(value) > awsfacts.TAG_VALUE_MAX:
                yield f"tag {key!r} has a value longer than {awsfacts.TAG_VALUE_MAX} characters"


def stack_aws_limits(stack: Stack) -> Iterator[tuple[Resource, str]]:
    """Object Lock needs versioning: a locked bucket whose versioning is declared anything but
    Enabled is refused by S3."""
    versioning = {}
    for each in stack.of_type("aws:s3/bucketVersioning:BucketVersioning", "aws:s3/bucketVersioningV2:BucketVersioningV2"):
        for bucket in stack.referenced(each, "bucket", *BUCKET_TYPES):
            versioning[bucket.urn] = dig(each.inputs, "versioningConfiguration", "status")
    for lock in stack.of_type(*LOCK_TYPES):
        for bucket in stack.referenced(lock, "bucket", *BUCKET_TYPES):
            status = versioning.get(bucket.urn)
            if status != "Enabled" and not is_unknown(status):
                yield bucket, f"Object Lock needs versioning Enabled (declared: {status or 'no versioning resource'})"


AWS_LIMITS = Rule(
    "aws-limits", "AWS service quotas and validation (IAM, KMS, S3, tagging)",
    "What AWS would refuse at deploy time: policy sizes, bucket names, KMS key spec/usage pairs, rotation and "
    "deletion windows, tag limits, Object Lock without versioning.",
    resource_check=check_aws_limits, stack_check=stack_aws_limits,
)


# --- key policies -------------------------------------------------------------------------

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


# --- reviewer roles -----------------------------------------------------------------------

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
            if not _denies(documents, "s3:GetObject", f"arn:aws:s3:::{bucket}/any-object"):
                yield role, f"no unconditional explicit Deny of s3:GetObject on customer data bucket {bucket}"
        for table in data_tables:
            if not _denies(documents, "dynamodb:GetItem", table):
                yield role, f"no unconditional explicit Deny of dynamodb:GetItem on customer data table {table}"


REVIEWER_DENIES = Rule(
    "reviewer-denied-data-and-signing", "center:reviewer-isolation (no FSBP/checkov control)",
    "Reviewer roles carry explicit Denies of kms:Sign and of reading every customer data bucket and table.",
    stack_check=stack_reviewer_denies,
)


# --- protection of keys and stores in prod ------------------------------------------------

def check_prod_protect(resource: Resource, context: Context) -> Iterator[str]:
    what = awsfacts.STATEFUL_TYPES.get(resource.type, {}).get("what")
    if what and context.is_prod and not resource.protect:
        yield f"a prod {what} without protect: `pulumi destroy` or a replacement would erase it"


PROD_PROTECT = Rule(
    "prod-protect-stateful", "center:teardown (Pulumi protect; no FSBP/checkov control)",
    "In prod, keys, buckets, tables and HSM clusters are protected.",
    resource_check=check_prod_protect,
)


# --- VPC flow logs ------------------------------------------------------------------------

def stack_flow_logs(stack: Stack) -> Iterator[tuple[Resource, str]]:
    watched = {vpc.urn for log in stack.of_type("aws:ec2/flowLog:FlowLog")
               for vpc in stack.referenced(log, "vpcId", "aws:ec2/vpc:Vpc")}
    for vpc in stack.of_type("aws:ec2/vpc:Vpc"):
        if vpc.urn not in watched:
            yield vpc, "no flow log watches this VPC"


def check_flow_log(resource: Resource, context: Context) -> Iterator[str]:
    if resource.type == "aws:ec2/flowLog:FlowLog" and resource.inputs.get("trafficType") not in (None, "ALL", UNKNOWN):
        yield f"trafficType={resource.inputs.get('trafficType')!r}; record ALL traffic"


VPC_FLOW_LOGS = Rule(
    "vpc-flow-logs", "FSBP EC2.6; CIS 3.7; CKV2_AWS_11",
    "Every VPC has a flow log recording all traffic.",
    resource_check=check_flow_log, stack_check=stack_flow_logs,
)


# --- DNS firewall -------------------------------------------------------------------------

DNS_ASSOCIATION = "aws:route53/resolverFirewallRuleGroupAssociation:ResolverFirewallRuleGroupAssociation"
DNS_FIREWALL_CONFIG = "aws:route53/resolverFirewallConfig:ResolverFirewallConfig"
DNS_RULE = "aws:route53/resolverFirewallRule:ResolverFirewallRule"
DNS_DOMAIN_LIST = "aws:route53/resolverFirewallDomainList:ResolverFirewallDomainList"


def stack_dns_firewall(stack: Stack) -> Iterator[tuple[Resource, str]]:
    closed = {vpc.urn for c in stack.of_type(DNS_FIREWALL_CONFIG) if c.inputs.get("firewallFailOpen") == "DISABLED"
              for vpc in stack.referenced(c, "resourceId", "aws:ec2/vpc:Vpc")}
    catch_all_lists = {d.urn for d in stack.of_type(DNS_DOMAIN_LIST) if "*" in as_list(d.inputs.get("domains"))}
    blocking_groups = {r.inputs.get("firewallRuleGroupId") for r in stack.of_type(DNS_RULE)
                       if r.inputs.get("action") == "BLOCK"
                       and any(d.urn in catch_all_lists for d in stack.referenced(r, "firewallDomainListId", DNS_DOMAIN_LIST))}
    for vpc in stack.of_type("aws:ec2/vpc:Vpc"):
        groups = {a.inputs.get("firewallRuleGroupId") for a in stack.of_type(DNS_ASSOCIATION)
                  if vpc in stack.referenced(a, "vpcId", "aws:ec2/vpc:Vpc")}
        if not groups:
            yield vpc, "no DNS Firewall rule group is associated with this VPC: any host can tunnel data through DNS"
        elif vpc.urn not in closed:
            yield vpc, "the VPC's DNS Firewall fails open (firewallFailOpen must be DISABLED)"
        elif not groups & blocking_groups:
            yield vpc, "no rule group of this VPC blocks the catch-all domain `*`: names outside the allow list resolve"


DNS_FIREWALL = Rule(
    "dns-firewall", "center:dns-exfiltration (Route 53 Resolver DNS Firewall; no FSBP/checkov control)",
    "Every VPC has a fail-closed DNS Firewall that blocks every name outside the allow list.",
    stack_check=stack_dns_firewall,
)


# --- CloudTrail ---------------------------------------------------------------------------

def check_cloudtrail(resource: Resource, context: Context) -> Iterator[str]:
    if resource.type != "aws:cloudtrail/trail:Trail":
        return
    if is_off(resource.inputs.get("enableLogFileValidation")):
        yield "enableLogFileValidation is off: nobody can prove the log files were not altered (CloudTrail.4)"
    if is_off(resource.inputs.get("isMultiRegionTrail")):
        yield "isMultiRegionTrail is off: calls in other regions go unrecorded (CloudTrail.1)"


CLOUDTRAIL_VALIDATION = Rule(
    "cloudtrail-validation", "FSBP CloudTrail.1, CloudTrail.4; CIS 3.1, 3.2; CKV_AWS_67, CKV_AWS_36",
    "Trails are multi-Region with log file validation.",
    resource_check=check_cloudtrail,
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


# --- VPC endpoints ------------------------------------------------------------------------

def check_vpc_endpoint(resource: Resource, context: Context) -> Iterator[str]:
    if resource.type != "aws:ec2/vpcEndpoint:VpcEndpoint":
        return
    kind = resource.inputs.get("vpcEndpointType") or "Gateway"
    policy = resource.inputs.get("policy")
    if not policy:
        yield "no endpoint policy: any principal may reach any resource of the service through it"
    if kind == "Interface":
        if is_off(resource.inputs.get("privateDnsEnabled")):
            yield "privateDnsEnabled is off: SDKs resolve the public endpoint, which has no route"
        if not as_list(resource.inputs.get("securityGroupIds")):
            yield "no security group: the VPC's default group would guard the endpoint"


VPC_ENDPOINTS = Rule(
    "vpc-endpoint-hardening", "center:endpoints (no FSBP/checkov check covers endpoint policies)",
    "Endpoints carry a policy; interface endpoints use private DNS and a security group.",
    resource_check=check_vpc_endpoint,
)


def _pinned(statement: Mapping, key: str, org_key: str) -> bool:
    equals = statement.get("Condition", {}).get("StringEquals", {})
    return bool(equals.get(key) or equals.get(org_key))


def check_endpoint_pinned(resource: Resource, context: Context) -> Iterator[str]:
    """Every Allow of an endpoint policy pins the caller's account; and the resource's account,
    except the actions awsfacts documents as carrying no resource for that service."""
    if resource.type != "aws:ec2/vpcEndpoint:VpcEndpoint":
        return
    policy = resource.inputs.get("policy")
    if is_unknown(policy) or not policy:
        return  # vpc-endpoint-hardening reports a missing policy
    service = str(resource.inputs.get("serviceName", "")).rsplit(".", 1)[-1]
    exempt = awsfacts.ENDPOINT_ACTIONS_WITHOUT_RESOURCE_ACCOUNT.get(service, ((), ""))[0]
    for s in statements(parse_document(policy)):
        if s.get("Effect") != "Allow":
            continue
        sid = s.get("Sid", "?")
        if not _pinned(s, "aws:PrincipalAccount", "aws:PrincipalOrgID"):
            yield f"statement {sid} admits principals of any account (pin aws:PrincipalAccount)"
        actions = as_list(s.get("Action"))
        if not _pinned(s, "aws:ResourceAccount", "aws:ResourceOrgID") and \
                not (actions and all(any(fnmatch.fnmatchcase(a, e) for e in exempt) for a in actions)):
            yield (f"statement {sid} admits resources of any account (pin aws:ResourceAccount): a host could use "
                   "another account's key, role or secret through the center's endpoint")


ENDPOINT_POLICIES_PINNED = Rule(
    "endpoint-policies-pinned", "center:data-perimeter (AWS data perimeter: identity and resource perimeter on endpoints)",
    "Endpoint policies admit only this account's principals acting on this account's resources "
    "(documented exceptions in awsfacts.ENDPOINT_ACTIONS_WITHOUT_RESOURCE_ACCOUNT).",
    resource_check=check_endpoint_pinned,
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


# --- detective controls ---------------------------------------------------------------------

ALARMED_EVENTS = ("StopLogging", "DeleteTrail", "PutEventSelectors", "PutKeyPolicy", "CreateGrant", "DisableKey",
                  "ScheduleKeyDeletion", "UpdateDocument", "PutBucketPolicy", "StopConfigurationRecorder",
                  "DeleteDetector", "DisableSecurityHub")
"""Events that quietly weaken the center's evidence or keys: each must fire an alarm that notifies someone."""
SECURITY_HUB_STANDARD_PATHS = tuple(f"standards/{s}" for s in awsfacts.SECURITY_HUB_STANDARDS.values())


def _detective_gaps(stack: Stack) -> Iterator[str]:
    recorders = [r for r in stack.of_type("aws:cfg/recorder:Recorder")
                 if dig(r.inputs, "recordingGroup", "allSupported") is True
                 and dig(r.inputs, "recordingGroup", "includeGlobalResourceTypes") is True]
    if not recorders:
        yield "no AWS Config recorder records all supported resource types, global ones included"
    if not any(truthy(s.inputs.get("isEnabled")) is True for s in stack.of_type("aws:cfg/recorderStatus:RecorderStatus")):
        yield "the AWS Config recorder is not switched on (aws:cfg/recorderStatus isEnabled)"
    if not stack.of_type("aws:cfg/deliveryChannel:DeliveryChannel"):
        yield "AWS Config has no delivery channel: its history goes nowhere"
    if not any(truthy(d.inputs.get("enable")) is not False for d in stack.of_type("aws:guardduty/detector:Detector")):
        yield "no enabled GuardDuty detector"
    if not any(f.inputs.get("name") == "S3_DATA_EVENTS" and f.inputs.get("status") == "ENABLED"
               for f in stack.of_type("aws:guardduty/detectorFeature:DetectorFeature")):
        yield "GuardDuty S3 protection (S3_DATA_EVENTS) is not enabled"
    if not stack.of_type("aws:securityhub/account:Account"):
        yield "Security Hub is not enabled"
    subscribed = [str(s.inputs.get("standardsArn", "")) for s in
                  stack.of_type("aws:securityhub/standardsSubscription:StandardsSubscription")]
    for standard in SECURITY_HUB_STANDARD_PATHS:
        if not any(standard in arn for arn in subscribed):
            yield f"Security Hub is not subscribed to {standard.removeprefix('standards/')} (FSBP and CIS v3 are required)"
    analyzers = {a.inputs.get("type") for a in stack.of_type("aws:accessanalyzer/analyzer:Analyzer")}
    for kind in ("ACCOUNT", "ACCOUNT_UNUSED_ACCESS"):
        if kind not in analyzers:
            yield f"no IAM Access Analyzer of type {kind}"
    alarmed_metrics = {(a.inputs.get("namespace"), a.inputs.get("metricName")) for a in
                       stack.of_type("aws:cloudwatch/metricAlarm:MetricAlarm") if as_list(a.inputs.get("alarmActions"))}
    patterns = " ".join(str(f.inputs.get("pattern", "")) for f in stack.of_type("aws:cloudwatch/logMetricFilter:LogMetricFilter")
                        if (dig(f.inputs, "metricTransformation", "namespace"),
                            dig(f.inputs, "metricTransformation", "name")) in alarmed_metrics)
    silent = [e for e in ALARMED_EVENTS if not re.search(rf"\b{e}\b", patterns)]
    if silent:
        yield f"no metric filter with an alarm that notifies anyone fires on {', '.join(silent)}"


def _baseline_gaps(stack: Stack) -> Iterator[str]:
    flags = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    if not any(all(truthy(b.inputs.get(f)) is True for f in flags)
               for b in stack.of_type("aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock")):
        yield "no S3 account-level public access block with all four flags (S3.1)"
    if not any(truthy(e.inputs.get("enabled")) is not False for e in stack.of_type("aws:ebs/encryptionByDefault:EncryptionByDefault")):
        yield "EBS encryption by default is off (EC2.7)"
    if not stack.of_type("aws:ebs/defaultKmsKey:DefaultKmsKey"):
        yield "EBS encryption by default uses the AWS managed key, not a center key"
    if not any(d.inputs.get("httpTokens") == "required" for d in
               stack.of_type("aws:ec2/instanceMetadataDefaults:InstanceMetadataDefaults")):
        yield "IMDSv2 is not the account default (instance metadata defaults httpTokens: required)"
    if not stack.of_type("aws:iam/accountPasswordPolicy:AccountPasswordPolicy"):
        yield "no IAM account password policy (IAM.7, CIS 1.8)"


def _center_account(stack: Stack) -> Resource | None:
    """The center's own trail: what marks a stack as the center's account (not the organization's)."""
    trails = [t for t in stack.of_type("aws:cloudtrail/trail:Trail") if not truthy(t.inputs.get("isOrganizationTrail"))]
    return trails[0] if trails and stack.environment != "dev" else None


def stack_detective_controls(stack: Stack) -> Iterator[tuple[Resource, str]]:
    anchor = _center_account(stack)
    if anchor is not None:
        for gap in _detective_gaps(stack):
            yield anchor, gap


def stack_account_baseline(stack: Stack) -> Iterator[tuple[Resource, str]]:
    anchor = _center_account(stack)
    if anchor is not None:
        for gap in _baseline_gaps(stack):
            yield anchor, gap


DETECTIVE_CONTROLS = Rule(
    "detective-controls", "FSBP Config.1, GuardDuty.1, SecurityHub.1, IAM.28; CIS v3 3.3, 4.1-4.16",
    "Outside dev the center's account records with AWS Config, runs GuardDuty (S3 protection), Security Hub "
    "(FSBP, CIS v3) and Access Analyzer (external, unused), and alarms on every event that weakens its evidence or keys.",
    stack_check=stack_detective_controls,
)

ACCOUNT_BASELINE = Rule(
    "account-baseline", "FSBP S3.1, EC2.7, IAM.7; CIS v3 1.8, 2.2.1, 5.6",
    "Outside dev the center's account blocks public S3 access, encrypts EBS by default with a center key, "
    "defaults to IMDSv2 and has a password policy.",
    stack_check=stack_account_baseline,
)

# --- SSM session logging ------------------------------------------------------------------

SESSION_DOCUMENT_NAME = "SSM-SessionManagerRunShell"


def _session_inputs(resource: Resource) -> Mapping | None:
    content = resource.inputs.get("content")
    if not isinstance(content, str) or is_unknown(content):
        return None
    try:
        document = json.loads(content)
    except json.JSONDecodeError:
        try:
            import yaml  # the pack's requirements include PyYAML

            document = yaml.safe_load(content)
        except Exception:  # noqa: BLE001 - unreadable content is reported below
            return {}
    return dig(document, "inputs") or {}


def check_session_document(resource: Resource, context: Context) -> Iterator[str]:
    if resource.type != "aws:ssm/document:Document" or resource.inputs.get("documentType") != "Session":
        return
    inputs = _session_inputs(resource)
    if inputs is None:
        return
    s3 = bool(inputs.get("s3BucketName")) and truthy(inputs.get("s3EncryptionEnabled")) is True
    logs = bool(inputs.get("cloudWatchLogGroupName")) and truthy(inputs.get("cloudWatchEncryptionEnabled")) is True
    if not (s3 or logs):
        yield "sessions are not logged to an encrypted S3 bucket or log group (s3EncryptionEnabled/cloudWatchEncryptionEnabled)"
    if not inputs.get("kmsKeyId"):
        yield "no kmsKeyId: session data is not encrypted with a customer managed key"


def stack_session_document(stack: Stack) -> Iterator[tuple[Resource, str]]:
    hosts = stack.of_type("aws:ec2/instance:Instance", "aws:ec2/launchTemplate:LaunchTemplate")
    documents = [d for d in stack.of_type("aws:ssm/document:Document")
                 if d.inputs.get("documentType") == "Session" and d.inputs.get("name") == SESSION_DOCUMENT_NAME]
    if hosts and not documents:
        yield hosts[0], (f"hosts are reached through Session Manager, but no Session document "
                         f"{SESSION_DOCUMENT_NAME!r} sets logging preferences")


SSM_SESSION_LOGGING = Rule(
    "ssm-session-logging", "CKV_AWS_112, CKV_AWS_113",
    "Session Manager preferences log every session, encrypted with a customer managed key.",
    resource_check=check_session_document, stack_check=stack_session_document,
)


RULES: tuple[Rule, ...] = (
    RESIDENCY, NO_INTERNET_GATEWAY, NO_PUBLIC_IP, NO_OPEN_INGRESS, NO_DEFAULT_ROUTE, IMDSV2,
    EBS_CMK, S3_SSE_CMK, LOG_GROUP_CMK, DYNAMODB_CMK, CLOUDTRAIL_CMK, SECRET_CMK, OBJECT_LOCK, S3_NO_PUBLIC_ACCESS, AWS_LIMITS,
    KEY_POLICY_NO_WILDCARD, KEY_NO_ADMIN_GRANTS, KMS_SIGN_SIGNERS_ONLY, REVIEWER_DENIES, PROD_PROTECT, VPC_FLOW_LOGS, DNS_FIREWALL,
    CLOUDTRAIL_VALIDATION, CLOUDHSM, VPC_ENDPOINTS, ENDPOINT_POLICIES_PINNED, DYNAMODB_THROUGH_ENDPOINT,
    SSM_SESSION_LOGGING, DETECTIVE_CONTROLS, ACCOUNT_BASELINE,
)


def rule(rule_id: str) -> Rule:
    for candidate in RULES:
        if candidate.id == rule_id:
            return candidate
    raise KeyError(rule_id)


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


def check_all(stack: Stack) -> list[Violation]:
    """Every rule over every resource, then every stack rule; sorted for stable output."""
    context = Context(stack.environment)
    violations: list[Violation] = []
    for each in RULES:
        for resource in stack.resources:
            violations.extend(each.check_resource(resource, context))
        violations.extend(each.check_stack(stack))
    return sorted(set(violations), key=lambda v: (v.rule, v.urn, v.message))
