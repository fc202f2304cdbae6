"""`tcenter attest STACK|PLAN`: is the running account the one the reviewers approved?

Reads the live account read-only through boto3 (the standard AWS environment: profiles,
`AWS_ENDPOINT_URL`, region eu-central-2; botocore's standard retry mode; every list call
paginated) and compares it with the stack's plan:

- missing:  declared, not found in the account;
- extra:    found, not declared (internet gateways, NAT gateways, peering, public IPs, extra
            security group rules, extra role policies, grants on the center's keys, buckets
            outside the plan, CloudHSM clusters the plan does not declare);
- drifted:  found, but an attribute that matters differs;
- violation: the kit's own rules (tcenter/rules.py) on what was read;
- unread:   a service that answered AccessDenied (reported, attest goes on);
- unsupported: an API the endpoint does not implement (moto: Route 53 Resolver DNS Firewall).

Declared resources are matched to live ones by their physical names and Name tags, never by
ids: a plan's ids are the mock engine's stand-ins. Live state is read into the plan's own
resource shape (type, name, inputs), so the same rules run on it.

Exit: 0 the account matches, 4 drift (anything missing, extra, drifted or violated),
3 error (including: nothing could be read). Never writes: every call is a Describe/Get/List.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

EXIT_OK = 0
EXIT_ERROR = 3
EXIT_DRIFT = 4
REGION = "eu-central-2"
KINDS = ("missing", "extra", "drifted", "violation", "unread", "unsupported")
READ_PREFIXES = ("Describe", "Get", "List")
AUTONAMED = "-*"

# What attest reads, by plan type. Everything else in the plan is listed as not attested.
ATTESTED_TYPES = (
    "aws:ec2/vpc:Vpc", "aws:ec2/subnet:Subnet", "aws:ec2/securityGroup:SecurityGroup",
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup", "aws:ec2/networkAcl:NetworkAcl",
    "aws:ec2/routeTable:RouteTable", "aws:ec2/vpcEndpoint:VpcEndpoint", "aws:ec2/instance:Instance",
    "aws:iam/role:Role", "aws:iam/rolePolicy:RolePolicy", "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    "aws:iam/instanceProfile:InstanceProfile", "aws:kms/key:Key", "aws:kms/alias:Alias",
    "aws:s3/bucket:Bucket", "aws:s3/bucketPolicy:BucketPolicy",
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration",
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketVersioning:BucketVersioning", "aws:cloudtrail/trail:Trail", "aws:cloudwatch/logGroup:LogGroup",
)

# APIs attest calls that moto's server does not implement (docs/review.md "attest").
KNOWN_UNSUPPORTED_BY_MOTO = ("route53resolver:ListFirewallRuleGroupAssociations",)


@dataclass(frozen=True)
class Finding:
    kind: str
    type: str
    name: str
    message: str


@dataclass
class Report:
    stack: str
    findings: list[Finding] = field(default_factory=list)
    unattested_types: list[str] = field(default_factory=list)
    calls: int = 0
    seconds: float = 0.0

    @property
    def drift(self) -> list[Finding]:
        return [f for f in self.findings if f.kind in ("missing", "extra", "drifted", "violation")]

    def of(self, kind: str) -> list[Finding]:
        return [f for f in self.findings if f.kind == kind]

    @property
    def exit_code(self) -> int:
        return EXIT_DRIFT if self.drift else EXIT_OK


class Unread(Exception):
    """The service answered AccessDenied (or the like); already recorded on the report."""


class AttestError(Exception):
    pass


# --- reading ------------------------------------------------------------------------------------

def client_config() -> Any:
    from botocore.config import Config

    return Config(region_name=REGION, retries={"mode": "standard", "max_attempts": 3},
                  connect_timeout=5, read_timeout=20)


class Reader:
    """Read-only calls, paginated, with AccessDenied and NotImplemented turned into findings."""

    DENIED = frozenset({"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "AuthFailure",
              "UnrecognizedClientException", "InvalidClientTokenId"})

    def __init__(self, session: Any, report: Report):
        self.session = session
        self.report = report
        self.clients: dict[str, Any] = {}
        self.unread: set[str] = set()

    def client(self, service: str) -> Any:
        if service not in self.clients:
            client = self.session.client(service, config=client_config())
            client.meta.events.register("before-call", self._count)
            self.clients[service] = client
        return self.clients[service]

    def _count(self, **_: Any) -> None:
        self.report.calls += 1

    def call(self, service: str, operation: str, key: str | None = None, **params: Any) -> Any:
        """One operation (snake_case), every page; `key` collects that list across pages."""
        from botocore.exceptions import ClientError

        if service in self.unread:
            raise Unread(service)
        client = self.client(service)
        try:
            if client.can_paginate(operation):
                pages = list(client.get_paginator(operation).paginate(**params))
            else:
                pages = [getattr(client, operation)(**params)]
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            api = f"{service}:{client.meta.method_to_api_mapping.get(operation, operation)}"
            if code in self.DENIED:
                self.unread.add(service)
                self.report.findings.append(Finding("unread", service, api, f"{service}: {code}: not read; "
                                                    "its resources are neither attested nor reported missing"))
                raise Unread(service) from None
            if code in ("NotImplemented", "InternalFailure") or status in (500, 501):
                self.report.findings.append(Finding("unsupported", service, api,
                                                    f"{api} is not implemented by this endpoint: not attested"))
                raise Unread(service) from None
            raise
        if key is None:
            return pages[0] if len(pages) == 1 else pages
        return [item for page in pages for item in page.get(key, [])]

    def optional(self, service: str, operation: str, missing_codes: tuple[str, ...], **params: Any) -> Any:
        """A Get whose 'not configured' answer is an error code: None then."""
        from botocore.exceptions import ClientError

        try:
            return self.call(service, operation, **params)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code", "") in missing_codes:
                return None
            raise


def _tags(items: Iterable[dict[str, Any]] | None) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in items or []}


def _policy(text: Any) -> Any:
    if isinstance(text, str):
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            return text
    return text


def canonical_policy(document: Any) -> Any:
    """Policies compare as data: statements in any order, one-element lists as scalars."""
    def norm(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: norm(v) for k, v in sorted(value.items())}
        if isinstance(value, list):
            items = sorted((norm(v) for v in value), key=lambda v: json.dumps(v, sort_keys=True))
            return items[0] if len(items) == 1 else items
        return value

    document = _policy(document)
    if isinstance(document, dict) and isinstance(document.get("Statement"), dict):
        document = {**document, "Statement": [document["Statement"]]}
    return norm(document)


# --- the plan side --------------------------------------------------------------------------------

def identity(resource: dict[str, Any], aliases_by_key: dict[str, list[str]],
             vpc_names: dict[str, str] | None = None) -> str | None:
    """The physical name a declared resource is found by in the account."""
    kind = resource["type"]
    inputs = resource.get("inputs") or {}
    if kind in ("aws:ec2/vpc:Vpc", "aws:ec2/subnet:Subnet", "aws:ec2/securityGroup:SecurityGroup",
                "aws:ec2/networkAcl:NetworkAcl", "aws:ec2/routeTable:RouteTable", "aws:ec2/vpcEndpoint:VpcEndpoint",
                "aws:ec2/instance:Instance"):
        return (inputs.get("tags") or {}).get("Name")
    if kind == "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup":
        return f"default@{(vpc_names or {}).get(inputs.get('vpcId', ''), inputs.get('vpcId'))}"
    if kind in ("aws:iam/role:Role", "aws:iam/instanceProfile:InstanceProfile", "aws:cloudtrail/trail:Trail",
                "aws:cloudwatch/logGroup:LogGroup", "aws:kms/alias:Alias"):
        return inputs.get("name")
    if kind == "aws:iam/rolePolicy:RolePolicy":
        # No name declared: Pulumi auto-names it after the logical name plus a random suffix.
        return f"{inputs.get('role')}/{inputs.get('name') or resource['name'] + AUTONAMED}"
    if kind == "aws:iam/rolePolicyAttachment:RolePolicyAttachment":
        return f"{inputs.get('role')}/{inputs.get('policyArn')}"
    if kind == "aws:kms/key:Key":
        key_id = (resource.get("outputs") or {}).get("keyId") or (resource.get("outputs") or {}).get("id")
        names = aliases_by_key.get(key_id or "")
        return names[0] if names else f"description:{inputs.get('description')}"
    if kind.startswith("aws:s3/bucket"):
        return inputs.get("bucket")
    return None


@dataclass
class Declared:
    by_key: dict[tuple[str, str], dict[str, Any]]
    key_arn_to_identity: dict[str, str]
    sg_id_to_name: dict[str, str]


def declared(plan: dict[str, Any]) -> Declared:
    resources = [r for r in plan.get("resources") or [] if r.get("custom")]
    aliases: dict[str, list[str]] = {}
    for r in resources:
        if r["type"] == "aws:kms/alias:Alias":
            aliases.setdefault(r["inputs"].get("targetKeyId", ""), []).append(r["inputs"]["name"])
    vpc_names = {(r.get("outputs") or {}).get("id", ""): (r["inputs"].get("tags") or {}).get("Name", "")
                 for r in resources if r["type"] == "aws:ec2/vpc:Vpc"}
    by_key: dict[tuple[str, str], dict[str, Any]] = {}
    key_arns: dict[str, str] = {}
    sg_ids: dict[str, str] = {}
    for r in resources:
        if r["type"] not in ATTESTED_TYPES:
            continue
        name = identity(r, aliases, vpc_names)
        if name is None:
            continue
        by_key[(r["type"], name)] = r
        outputs = r.get("outputs") or {}
        if r["type"] == "aws:kms/key:Key":
            key_arns[outputs.get("arn", "")] = name
            key_arns[outputs.get("id", "")] = name
        if r["type"] == "aws:ec2/securityGroup:SecurityGroup":
            sg_ids[outputs.get("id", "")] = name
    return Declared(by_key, key_arns, sg_ids)


# --- the live side ---------------------------------------------------------------------------------

@dataclass
class Live:
    """Live resources in the plan's shape, keyed like Declared.by_key; plus extras found."""

    by_key: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    extras: list[Finding] = field(default_factory=list)
    read_types: set[str] = field(default_factory=set)
    key_arn_to_identity: dict[str, str] = field(default_factory=dict)
    sg_id_to_name: dict[str, str] = field(default_factory=dict)

    def put(self, kind: str, name: str, inputs: dict[str, Any]) -> None:
        self.by_key[(kind, name)] = {"type": kind, "name": name, "inputs": inputs}


def _sg_rules(permissions: list[dict[str, Any]], group_names: dict[str, str]) -> list[dict[str, Any]]:
    """IpPermissions in the plan's rule shape, one rule per source, prefix lists by presence."""
    rules = []
    for p in permissions:
        base = {"protocol": "-1" if p.get("IpProtocol") == "-1" else p.get("IpProtocol"),
                "fromPort": p.get("FromPort", 0), "toPort": p.get("ToPort", 0)}
        for r in p.get("IpRanges", []):
            rules.append({**base, "cidrBlocks": [r["CidrIp"]]})
        for r in p.get("Ipv6Ranges", []):
            rules.append({**base, "ipv6CidrBlocks": [r["CidrIpv6"]]})
        for _ in p.get("PrefixListIds", []):
            rules.append({**base, "prefixListIds": ["<prefix list>"]})
        for r in p.get("UserIdGroupPairs", []):
            rules.append({**base, "securityGroups": [group_names.get(r.get("GroupId", ""), r.get("GroupId", "?"))]})
    return rules


def _split_declared_rules(rules: list[dict[str, Any]], group_names: dict[str, str]) -> list[dict[str, Any]]:
    out = []
    for rule in rules or []:
        protocol = str(rule.get("protocol"))
        base = {"protocol": "-1" if protocol in ("-1", "all") else protocol,
                "fromPort": rule.get("fromPort", 0), "toPort": rule.get("toPort", 0)}
        if base["protocol"] == "-1":
            base["fromPort"] = base["toPort"] = 0
        for cidr in rule.get("cidrBlocks") or []:
            out.append({**base, "cidrBlocks": [cidr]})
        for cidr in rule.get("ipv6CidrBlocks") or []:
            out.append({**base, "ipv6CidrBlocks": [cidr]})
        for _ in rule.get("prefixListIds") or []:
            out.append({**base, "prefixListIds": ["<prefix list>"]})
        for group in rule.get("securityGroups") or []:
            out.append({**base, "securityGroups": [group_names.get(group, group)]})
        if rule.get("self"):
            out.append({**base, "securityGroups": ["<self>"]})
    return out


def _rule_text(rule: dict[str, Any]) -> str:
    source = (rule.get("cidrBlocks") or rule.get("ipv6CidrBlocks") or rule.get("prefixListIds")
              or rule.get("securityGroups") or ["?"])[0]
    ports = "all" if rule["protocol"] == "-1" else f"{rule['protocol']}/{rule['fromPort']}-{rule['toPort']}"
    return f"{ports} {source}"


def read_ec2(reader: Reader, live: Live) -> None:
    vpcs = reader.call("ec2", "describe_vpcs", "Vpcs")
    live.read_types.update(t for t in ATTESTED_TYPES if t.startswith("aws:ec2/"))
    vpc_names = {v["VpcId"]: _tags(v.get("Tags")).get("Name", v["VpcId"]) for v in vpcs}
    for vpc in vpcs:
        name = _tags(vpc.get("Tags")).get("Name")
        if name:
            live.put("aws:ec2/vpc:Vpc", name, {"cidrBlock": vpc["CidrBlock"], "tags": _tags(vpc.get("Tags"))})
    for subnet in reader.call("ec2", "describe_subnets", "Subnets"):
        tags = _tags(subnet.get("Tags"))
        if tags.get("Name"):
            live.put("aws:ec2/subnet:Subnet", tags["Name"], {
                "cidrBlock": subnet["CidrBlock"], "mapPublicIpOnLaunch": subnet.get("MapPublicIpOnLaunch", False),
                "tags": tags})
    groups = reader.call("ec2", "describe_security_groups", "SecurityGroups")
    live.sg_id_to_name = {g["GroupId"]: _tags(g.get("Tags")).get("Name") or g["GroupName"] for g in groups}
    for group in groups:
        tags = _tags(group.get("Tags"))
        inputs = {"ingress": _sg_rules(group.get("IpPermissions", []), live.sg_id_to_name),
                  "egress": _sg_rules(group.get("IpPermissionsEgress", []), live.sg_id_to_name), "tags": tags}
        if group["GroupName"] == "default":
            live.put("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
                     f"default@{vpc_names.get(group.get('VpcId', ''), group.get('VpcId'))}", inputs)
        elif tags.get("Name"):
            live.put("aws:ec2/securityGroup:SecurityGroup", tags["Name"], inputs)
    for acl in reader.call("ec2", "describe_network_acls", "NetworkAcls"):
        tags = _tags(acl.get("Tags"))
        if acl.get("IsDefault") or not tags.get("Name"):
            continue
        inputs: dict[str, Any] = {"ingress": [], "egress": [], "tags": tags}
        for entry in acl.get("Entries", []):
            if entry["RuleNumber"] == 32767:
                continue  # AWS's implicit deny-all, in every NACL
            rule = {"action": entry["RuleAction"], "cidrBlock": entry.get("CidrBlock"), "ruleNo": entry["RuleNumber"],
                    "protocol": {"6": "tcp", "17": "udp", "1": "icmp"}.get(str(entry["Protocol"]), str(entry["Protocol"])),
                    "fromPort": (entry.get("PortRange") or {}).get("From", 0),
                    "toPort": (entry.get("PortRange") or {}).get("To", 0)}
            inputs["egress" if entry["Egress"] else "ingress"].append(rule)
        live.put("aws:ec2/networkAcl:NetworkAcl", tags["Name"], inputs)
    for table in reader.call("ec2", "describe_route_tables", "RouteTables"):
        tags = _tags(table.get("Tags"))
        routes = [r for r in table.get("Routes", []) if r.get("GatewayId") != "local" and r.get("Origin") != "CreateRouteTable"]
        if tags.get("Name"):
            live.put("aws:ec2/routeTable:RouteTable", tags["Name"], {"routes": routes, "tags": tags})
        for route in routes:
            target = route.get("GatewayId") or route.get("NatGatewayId") or route.get("VpcPeeringConnectionId") or "?"
            if target.startswith("vpce-"):
                continue  # the S3 gateway endpoint's own routes
            live.extras.append(Finding("extra", "aws:ec2/route:Route", f"{tags.get('Name', table['RouteTableId'])}",
                                       f"route {route.get('DestinationCidrBlock', route.get('DestinationPrefixListId'))} "
                                       f"-> {target} is not in the plan"))
    for endpoint in reader.call("ec2", "describe_vpc_endpoints", "VpcEndpoints"):
        tags = _tags(endpoint.get("Tags"))
        if tags.get("Name"):
            live.put("aws:ec2/vpcEndpoint:VpcEndpoint", tags["Name"], {
                "serviceName": endpoint["ServiceName"], "policy": endpoint.get("PolicyDocument"),
                "vpcEndpointType": endpoint.get("VpcEndpointType"), "tags": tags})
    for gateway in reader.call("ec2", "describe_internet_gateways", "InternetGateways"):
        attached = ", ".join(a["VpcId"] for a in gateway.get("Attachments", [])) or "no VPC"
        live.extras.append(Finding("extra", "aws:ec2/internetGateway:InternetGateway", gateway["InternetGatewayId"],
                                   f"internet gateway {gateway['InternetGatewayId']} (attached to {attached}): "
                                   "the center declares none"))
    for gateway in reader.call("ec2", "describe_nat_gateways", "NatGateways"):
        if gateway.get("State") not in ("deleted", "deleting"):
            live.extras.append(Finding("extra", "aws:ec2/natGateway:NatGateway", gateway["NatGatewayId"],
                                       "NAT gateway: the center declares none"))
    for peering in reader.call("ec2", "describe_vpc_peering_connections", "VpcPeeringConnections"):
        live.extras.append(Finding("extra", "aws:ec2/vpcPeeringConnection:VpcPeeringConnection",
                                   peering["VpcPeeringConnectionId"], "VPC peering: the center declares none"))
    for address in reader.call("ec2", "describe_addresses").get("Addresses", []):
        live.extras.append(Finding("extra", "aws:ec2/eip:Eip", address.get("PublicIp", "?"),
                                   f"Elastic IP {address.get('PublicIp')}: the center declares no public address"))
    for reservation in reader.call("ec2", "describe_instances", "Reservations"):
        for instance in reservation.get("Instances", []):
            if instance.get("State", {}).get("Name") in ("terminated", "shutting-down"):
                continue
            tags = _tags(instance.get("Tags"))
            name = tags.get("Name") or instance["InstanceId"]
            if instance.get("PublicIpAddress"):
                live.extras.append(Finding("extra", "aws:ec2/instance:Instance", name,
                                           f"public IP {instance['PublicIpAddress']} on {name}"))
            options = instance.get("MetadataOptions") or {}
            profile = (instance.get("IamInstanceProfile") or {}).get("Arn", "")
            live.put("aws:ec2/instance:Instance", name, {
                "metadataOptions": {"httpEndpoint": options.get("HttpEndpoint", "enabled"),
                                    "httpTokens": options.get("HttpTokens", "optional"),
                                    "httpPutResponseHopLimit": options.get("HttpPutResponseHopLimit", 1)},
                "iamInstanceProfile": profile.rsplit("/", 1)[-1] if profile else None,
                "associatePublicIpAddress": bool(instance.get("PublicIpAddress")), "tags": tags})


def read_iam(reader: Reader, live: Live, prefix: str) -> None:
    roles = reader.call("iam", "list_roles", "Roles")
    live.read_types.update(t for t in ATTESTED_TYPES if t.startswith("aws:iam/"))
    for role in roles:
        name = role["RoleName"]
        if not name.startswith(prefix):
            continue  # roles outside the center (the account's own, SSO's) are not its business
        full = reader.call("iam", "get_role", RoleName=name)["Role"]
        live.put("aws:iam/role:Role", name, {
            "name": name, "assumeRolePolicy": _policy(full.get("AssumeRolePolicyDocument")),
            "permissionsBoundary": (full.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn"),
            "maxSessionDuration": full.get("MaxSessionDuration")})
        for policy_name in reader.call("iam", "list_role_policies", "PolicyNames", RoleName=name):
            document = reader.call("iam", "get_role_policy", RoleName=name, PolicyName=policy_name)["PolicyDocument"]
            live.put("aws:iam/rolePolicy:RolePolicy", f"{name}/{policy_name}",
                     {"name": policy_name, "role": name, "policy": _policy(document)})
        for attached in reader.call("iam", "list_attached_role_policies", "AttachedPolicies", RoleName=name):
            live.put("aws:iam/rolePolicyAttachment:RolePolicyAttachment", f"{name}/{attached['PolicyArn']}",
                     {"role": name, "policyArn": attached["PolicyArn"]})
    for profile in reader.call("iam", "list_instance_profiles", "InstanceProfiles"):
        if profile["InstanceProfileName"].startswith(prefix):
            roles = [r["RoleName"] for r in profile.get("Roles", [])]
            live.put("aws:iam/instanceProfile:InstanceProfile", profile["InstanceProfileName"],
                     {"name": profile["InstanceProfileName"], "role": roles[0] if roles else None})


def read_kms(reader: Reader, live: Live, plan_descriptions: set[str]) -> None:
    aliases = reader.call("kms", "list_aliases", "Aliases")
    live.read_types.update(("aws:kms/key:Key", "aws:kms/alias:Alias"))
    names_by_key: dict[str, list[str]] = {}
    for alias in aliases:
        if alias.get("TargetKeyId") and not alias["AliasName"].startswith("alias/aws/"):
            names_by_key.setdefault(alias["TargetKeyId"], []).append(alias["AliasName"])
            live.put("aws:kms/alias:Alias", alias["AliasName"], {"name": alias["AliasName"]})
    for key in reader.call("kms", "list_keys", "Keys"):
        meta = reader.call("kms", "describe_key", KeyId=key["KeyId"])["KeyMetadata"]
        if meta.get("KeyManager") == "AWS":
            continue
        names = sorted(names_by_key.get(key["KeyId"], []))
        description = meta.get("Description", "")
        name = names[0] if names else f"description:{description}"
        if not names and description not in plan_descriptions:
            live.extras.append(Finding("extra", "aws:kms/key:Key", key["KeyId"], f"KMS key {key['KeyId']} is not in the plan"))
            continue
        policy = reader.call("kms", "get_key_policy", KeyId=key["KeyId"], PolicyName="default")["Policy"]
        rotation = reader.optional("kms", "get_key_rotation_status", ("UnsupportedOperationException",), KeyId=key["KeyId"])
        live.key_arn_to_identity[meta["Arn"]] = name
        live.key_arn_to_identity[key["KeyId"]] = name
        live.put("aws:kms/key:Key", name, {
            "description": description, "policy": _policy(policy), "keyState": meta.get("KeyState"),
            "keyUsage": meta.get("KeyUsage"), "enableKeyRotation": bool((rotation or {}).get("KeyRotationEnabled"))})
        for grant in reader.call("kms", "list_grants", "Grants", KeyId=key["KeyId"]):
            live.extras.append(Finding("extra", "aws:kms/key:Key", name,
                                       f"grant {grant.get('GrantId', '?')[:12]} on {name} to "
                                       f"{grant.get('GranteePrincipal')} ({', '.join(grant.get('Operations', []))})"))


def read_s3(reader: Reader, live: Live, declared_buckets: set[str], prefix: str) -> None:
    buckets = reader.call("s3", "list_buckets", "Buckets")
    live.read_types.update(t for t in ATTESTED_TYPES if t.startswith("aws:s3/"))
    for bucket in buckets:
        name = bucket["Name"]
        if name not in declared_buckets:
            live.extras.append(Finding("extra", "aws:s3/bucket:Bucket", name, f"bucket {name} is not in the plan"))
            continue
        live.put("aws:s3/bucket:Bucket", name, {"bucket": name})
        policy = reader.optional("s3", "get_bucket_policy", ("NoSuchBucketPolicy",), Bucket=name)
        if policy:
            live.put("aws:s3/bucketPolicy:BucketPolicy", name, {"bucket": name, "policy": _policy(policy["Policy"])})
        block = reader.optional("s3", "get_public_access_block", ("NoSuchPublicAccessBlockConfiguration",), Bucket=name)
        if block:
            config = block["PublicAccessBlockConfiguration"]
            live.put("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", name, {
                "bucket": name, **{k[0].lower() + k[1:]: v for k, v in sorted(config.items())}})
        lock = reader.optional("s3", "get_object_lock_configuration", ("ObjectLockConfigurationNotFoundError",), Bucket=name)
        if lock:
            config = lock["ObjectLockConfiguration"]
            retention = (config.get("Rule") or {}).get("DefaultRetention") or {}
            live.put("aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration", name, {
                "bucket": name, "objectLockEnabled": config.get("ObjectLockEnabled"),
                "rule": {"defaultRetention": {k.lower(): v for k, v in retention.items()}}})
        encryption = reader.optional("s3", "get_bucket_encryption", ("ServerSideEncryptionConfigurationNotFoundError",),
                                     Bucket=name)
        if encryption:
            rules = []
            for rule in encryption["ServerSideEncryptionConfiguration"].get("Rules", []):
                default = rule.get("ApplyServerSideEncryptionByDefault", {})
                rules.append({"applyServerSideEncryptionByDefault": {
                    "sseAlgorithm": default.get("SSEAlgorithm"),
                    "kmsMasterKeyId": live.key_arn_to_identity.get(default.get("KMSMasterKeyID", ""),
                                                                   default.get("KMSMasterKeyID"))},
                    "bucketKeyEnabled": bool(rule.get("BucketKeyEnabled"))})
            live.put("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", name,
                     {"bucket": name, "rules": rules})
        versioning = reader.call("s3", "get_bucket_versioning", Bucket=name)
        live.put("aws:s3/bucketVersioning:BucketVersioning", name, {
            "bucket": name, "versioningConfiguration": {"status": versioning.get("Status", "Disabled")}})


# CloudTrail's field selector keys, as Pulumi's schema spells them.
SELECTOR_FIELDS = {"Field": "field", "Equals": "equals", "NotEquals": "notEquals", "StartsWith": "startsWiths",
                   "NotStartsWith": "notStartsWiths", "EndsWith": "endsWiths", "NotEndsWith": "notEndsWiths"}


def _selectors(selectors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"name": s.get("Name"), "fieldSelectors": [{SELECTOR_FIELDS.get(k, k): v for k, v in f.items()}
                                                       for f in s.get("FieldSelectors", [])]} for s in selectors]


def read_trails_and_logs(reader: Reader, live: Live) -> None:
    try:
        trails = reader.call("cloudtrail", "describe_trails").get("trailList", [])
        live.read_types.add("aws:cloudtrail/trail:Trail")
        for trail in trails:
            status = reader.call("cloudtrail", "get_trail_status", Name=trail["TrailARN"])
            selectors = reader.call("cloudtrail", "get_event_selectors", TrailName=trail["TrailARN"])
            live.put("aws:cloudtrail/trail:Trail", trail["Name"], {
                "name": trail["Name"], "enableLogging": bool(status.get("IsLogging")),
                "enableLogFileValidation": bool(trail.get("LogFileValidationEnabled")),
                "isMultiRegionTrail": bool(trail.get("IsMultiRegionTrail")),
                "includeGlobalServiceEvents": bool(trail.get("IncludeGlobalServiceEvents")),
                "s3BucketName": trail.get("S3BucketName"),
                "kmsKeyId": live.key_arn_to_identity.get(trail.get("KmsKeyId", ""), trail.get("KmsKeyId")),
                "advancedEventSelectors": canonical_policy(_selectors(selectors.get("AdvancedEventSelectors") or []))})
    except Unread:
        pass
    try:
        groups = reader.call("logs", "describe_log_groups", "logGroups")
        live.read_types.add("aws:cloudwatch/logGroup:LogGroup")
        for group in groups:
            live.put("aws:cloudwatch/logGroup:LogGroup", group["logGroupName"], {
                "name": group["logGroupName"], "retentionInDays": group.get("retentionInDays"),
                "kmsKeyId": live.key_arn_to_identity.get(group.get("kmsKeyId", ""), group.get("kmsKeyId"))})
    except Unread:
        pass


def read_unmodelled(reader: Reader, live: Live, declares_hsm: bool) -> None:
    """Services the center must not grow without a plan: CloudHSM clusters; DNS Firewall."""
    try:
        clusters = reader.call("cloudhsmv2", "describe_clusters", "Clusters")
        if not declares_hsm:
            for cluster in clusters:
                live.extras.append(Finding("extra", "aws:cloudhsmv2/cluster:Cluster", cluster["ClusterId"],
                                           "CloudHSM cluster: this stack declares none"))
    except Unread:
        pass
    try:
        reader.call("route53resolver", "list_firewall_rule_group_associations", "FirewallRuleGroupAssociations")
    except Unread:
        pass


def read_live(session: Any, plan: dict[str, Any], report: Report, decl: Declared) -> Live:
    reader = Reader(session, report)
    live = Live()
    prefix = _center_prefix(plan)
    descriptions = {r["inputs"].get("description", "") for (t, _), r in decl.by_key.items() if t == "aws:kms/key:Key"}
    buckets = {n for (t, n) in decl.by_key if t == "aws:s3/bucket:Bucket"}
    steps: list[Callable[[], None]] = [
        lambda: read_kms(reader, live, descriptions),  # first: the others name keys by ARN
        lambda: read_ec2(reader, live),
        lambda: read_iam(reader, live, prefix),
        lambda: read_s3(reader, live, buckets, prefix),
        lambda: read_trails_and_logs(reader, live),
        lambda: read_unmodelled(reader, live, any("cloudhsm" in r["type"] for r in plan.get("resources") or [])),
    ]
    from botocore.exceptions import BotoCoreError, ClientError

    for step in steps:
        try:
            step()
        except Unread:
            continue
        except (ClientError, BotoCoreError) as error:
            raise AttestError(f"reading the account failed: {error}") from None
    return live


def _center_prefix(plan: dict[str, Any]) -> str:
    """Role names of the center start with `tc-STACK-`."""
    return f"tc-{plan.get('stack', '')}-"


# --- comparing -------------------------------------------------------------------------------------

def _key_name(value: Any, decl: Declared) -> Any:
    return decl.key_arn_to_identity.get(value, value) if isinstance(value, str) else value


def _compare(kind: str, name: str, want: dict[str, Any], have: dict[str, Any], decl: Declared,
             keys_read: bool = True) -> list[str]:
    """The attributes that matter, per type: a list of human-readable differences. Without the
    keys read (KMS unread), which key encrypts what cannot be told: those attributes are skipped."""
    diffs: list[str] = []
    if not keys_read:
        decl = Declared(decl.by_key, {}, decl.sg_id_to_name)
        want, have = _without_keys(want), _without_keys(have)

    def same(label: str, expected: Any, actual: Any) -> None:
        if expected != actual:
            diffs.append(f"{label}: declared {json.dumps(expected, sort_keys=True)}, found {json.dumps(actual, sort_keys=True)}")

    if kind in ("aws:ec2/securityGroup:SecurityGroup", "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"):
        for direction in ("ingress", "egress"):
            declared_rules = _split_declared_rules(want.get(direction) or [], decl.sg_id_to_name)
            keyset = {json.dumps(r, sort_keys=True) for r in declared_rules}
            found = {json.dumps(r, sort_keys=True) for r in have.get(direction) or []}
            for rule in sorted(found - keyset):
                diffs.append(f"extra {direction} rule {_rule_text(json.loads(rule))}")
            for rule in sorted(keyset - found):
                diffs.append(f"declared {direction} rule {_rule_text(json.loads(rule))} is gone")
    elif kind == "aws:ec2/networkAcl:NetworkAcl":
        for direction in ("ingress", "egress"):
            def entries(rules: list[dict[str, Any]]) -> list[tuple]:
                return sorted((r.get("ruleNo"), r.get("action"), str(r.get("protocol")), r.get("cidrBlock"),
                               r.get("fromPort", 0), r.get("toPort", 0)) for r in rules or [])
            same(f"{direction} entries", [list(e) for e in entries(want.get(direction))],
                 [list(e) for e in entries(have.get(direction))])
    elif kind == "aws:ec2/vpcEndpoint:VpcEndpoint":
        same("service", want.get("serviceName"), have.get("serviceName"))
        if want.get("policy"):
            same("endpoint policy", canonical_policy(want.get("policy")), canonical_policy(have.get("policy")))
    elif kind == "aws:ec2/subnet:Subnet":
        same("CIDR", want.get("cidrBlock"), have.get("cidrBlock"))
        same("public IP on launch", bool(want.get("mapPublicIpOnLaunch")), have.get("mapPublicIpOnLaunch"))
    elif kind == "aws:ec2/vpc:Vpc":
        same("CIDR", want.get("cidrBlock"), have.get("cidrBlock"))
    elif kind == "aws:ec2/instance:Instance":
        options = want.get("metadataOptions") or {}
        same("metadata httpTokens (IMDSv2)", options.get("httpTokens", "optional"), have["metadataOptions"]["httpTokens"])
        same("metadata endpoint", options.get("httpEndpoint", "enabled"), have["metadataOptions"]["httpEndpoint"])
        same("instance profile", want.get("iamInstanceProfile"), have.get("iamInstanceProfile"))
    elif kind == "aws:iam/role:Role":
        same("trust policy", canonical_policy(want.get("assumeRolePolicy")), canonical_policy(have.get("assumeRolePolicy")))
        same("permissions boundary", want.get("permissionsBoundary"), have.get("permissionsBoundary"))
    elif kind == "aws:iam/rolePolicy:RolePolicy":
        same("policy", canonical_policy(want.get("policy")), canonical_policy(have.get("policy")))
    elif kind == "aws:iam/instanceProfile:InstanceProfile":
        same("role", want.get("role"), have.get("role"))
    elif kind == "aws:kms/key:Key":
        same("key policy", canonical_policy(want.get("policy")), canonical_policy(have.get("policy")))
        same("key state", "Enabled", have.get("keyState"))
        same("rotation", bool(want.get("enableKeyRotation")), have.get("enableKeyRotation"))
    elif kind == "aws:s3/bucketPolicy:BucketPolicy":
        same("bucket policy", canonical_policy(want.get("policy")), canonical_policy(have.get("policy")))
    elif kind == "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock":
        for flag in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"):
            same(flag, bool(want.get(flag)), bool(have.get(flag)))
    elif kind == "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration":
        retention = ((want.get("rule") or {}).get("defaultRetention") or {})
        found = ((have.get("rule") or {}).get("defaultRetention") or {})
        same("Object Lock", want.get("objectLockEnabled"), have.get("objectLockEnabled"))
        same("Object Lock mode", retention.get("mode"), found.get("mode"))
        same("Object Lock retention days", retention.get("days") or None, found.get("days") or None)
        same("Object Lock retention years", retention.get("years") or None, found.get("years") or None)
    elif kind == "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration":
        def rules(items: list[dict[str, Any]], translate: bool) -> list[Any]:
            out = []
            for rule in items or []:
                default = rule.get("applyServerSideEncryptionByDefault") or {}
                key = default.get("kmsMasterKeyId")
                out.append([default.get("sseAlgorithm"), _key_name(key, decl) if translate else key,
                            bool(rule.get("bucketKeyEnabled"))])
            return out
        same("encryption", rules(want.get("rules"), True), rules(have.get("rules"), False))
    elif kind == "aws:s3/bucketVersioning:BucketVersioning":
        same("versioning", (want.get("versioningConfiguration") or {}).get("status"),
             (have.get("versioningConfiguration") or {}).get("status"))
    elif kind == "aws:cloudtrail/trail:Trail":
        same("logging (trail status)", want.get("enableLogging", True), have.get("enableLogging"))
        same("log file validation", bool(want.get("enableLogFileValidation")), have.get("enableLogFileValidation"))
        same("multi-region", bool(want.get("isMultiRegionTrail")), have.get("isMultiRegionTrail"))
        same("bucket", want.get("s3BucketName"), have.get("s3BucketName"))
        same("KMS key", _key_name(want.get("kmsKeyId"), decl), have.get("kmsKeyId"))
        same("event selectors", canonical_policy(want.get("advancedEventSelectors") or []), have.get("advancedEventSelectors"))
    elif kind == "aws:cloudwatch/logGroup:LogGroup":
        same("retention days", want.get("retentionInDays"), have.get("retentionInDays"))
        same("KMS key", _key_name(want.get("kmsKeyId"), decl), have.get("kmsKeyId"))
    return diffs


def _find(live: Live, kind: str, name: str) -> dict[str, Any] | None:
    if name.endswith(AUTONAMED):
        stem = name[:-1]
        matches = [v for (k, n), v in live.by_key.items() if k == kind and n.startswith(stem) and len(n) == len(stem) + 7]
        return matches[0] if len(matches) == 1 else None
    return live.by_key.get((kind, name))


def _declared_live_keys(decl: Declared, live: Live) -> set[tuple[str, str]]:
    keys = set()
    for kind, name in decl.by_key:
        found = _find(live, kind, name)
        if found is not None:
            keys.add((kind, found["name"]))
    return keys


def _without_keys(inputs: dict[str, Any]) -> dict[str, Any]:
    def strip(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: (None if k in ("kmsKeyId", "kmsMasterKeyId") else strip(v)) for k, v in value.items()}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value

    return strip(inputs)


def compare(plan: dict[str, Any], decl: Declared, live: Live, report: Report) -> None:
    for (kind, name), resource in sorted(decl.by_key.items()):
        if kind not in live.read_types:
            continue  # unread service: already reported
        found = _find(live, kind, name)
        if found is None:
            report.findings.append(Finding("missing", kind, resource["name"], f"{name}: declared, not found in the account"))
            continue
        keys_read = "aws:kms/key:Key" in live.read_types
        for difference in _compare(kind, name, resource.get("inputs") or {}, found["inputs"], decl, keys_read):
            target = "extra" if difference.startswith("extra ") else "drifted"
            report.findings.append(Finding(target, kind, resource["name"], f"{name}: {difference}"))
    matched = _declared_live_keys(decl, live)
    for (kind, name), _ in sorted(live.by_key.items()):
        if (kind, name) in matched:
            continue
        if kind == "aws:iam/rolePolicy:RolePolicy":
            report.findings.append(Finding("extra", kind, name, f"inline policy {name.split('/', 1)[1]} on role "
                                           f"{name.split('/', 1)[0]} is not in the plan"))
        elif kind == "aws:iam/rolePolicyAttachment:RolePolicyAttachment":
            report.findings.append(Finding("extra", kind, name, f"managed policy attachment {name} is not in the plan"))
        elif kind in ("aws:iam/role:Role", "aws:ec2/securityGroup:SecurityGroup", "aws:ec2/instance:Instance"):
            report.findings.append(Finding("extra", kind, name, f"{name}: found in the account, not in the plan"))
    report.findings.extend(live.extras)


def live_plan(plan: dict[str, Any], decl: Declared, live: Live) -> dict[str, Any]:
    """The plan with what was read laid over each declared resource's attested attributes:
    the rules then judge the account, in the shape they know."""
    overlay = {
        "aws:ec2/instance:Instance": ("metadataOptions", "associatePublicIpAddress"),
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": (
            "blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"),
        "aws:cloudtrail/trail:Trail": ("enableLogging", "enableLogFileValidation", "isMultiRegionTrail"),
        "aws:cloudwatch/logGroup:LogGroup": ("retentionInDays",),
        "aws:ec2/subnet:Subnet": ("mapPublicIpOnLaunch",),
        "aws:s3/bucketVersioning:BucketVersioning": ("versioningConfiguration",),
        "aws:kms/key:Key": ("enableKeyRotation",),
        "aws:iam/rolePolicy:RolePolicy": ("policy",),
        "aws:iam/role:Role": ("assumeRolePolicy",),
        "aws:s3/bucketPolicy:BucketPolicy": ("policy",),
    }
    by_urn = {r["urn"]: (key, r) for key, r in decl.by_key.items()}
    resources = []
    for entry in plan.get("resources") or []:
        if entry["urn"] in by_urn:
            key, _ = by_urn[entry["urn"]]
            found = _find(live, *key)
            if found is not None and key[0] in overlay:
                inputs = dict(entry.get("inputs") or {})
                for attribute in overlay[key[0]]:
                    value = found["inputs"].get(attribute)
                    if isinstance(value, (dict, list)) and attribute in ("policy", "assumeRolePolicy"):
                        value = json.dumps(value, sort_keys=True)
                    inputs[attribute] = value
                entry = {**entry, "inputs": inputs}
        resources.append(entry)
    return {**plan, "resources": resources}


def attest(plan: dict[str, Any], session: Any) -> Report:
    from .check import check_plan

    started = time.monotonic()
    report = Report(stack=str(plan.get("stack", "?")))
    report.unattested_types = sorted({r["type"] for r in plan.get("resources") or []
                                      if r.get("custom") and r["type"] not in ATTESTED_TYPES
                                      and not r["type"].startswith("pulumi:providers:")})
    decl = declared(plan)
    live = read_live(session, plan, report, decl)
    if not live.read_types:
        raise AttestError("no service could be read: " + "; ".join(f.message for f in report.of("unread")))
    compare(plan, decl, live, report)
    planned = {(v.rule, v.urn, v.message) for v in check_plan(plan)}
    for violation in check_plan(live_plan(plan, decl, live)):
        if (violation.rule, violation.urn, violation.message) not in planned:
            report.findings.append(Finding("violation", violation.rule, violation.resource_name,
                                           f"[{violation.control}] {violation.message}"))
    report.findings.sort(key=lambda f: (KINDS.index(f.kind), f.type, f.name, f.message))
    report.seconds = time.monotonic() - started
    return report


# --- output ------------------------------------------------------------------------------------------

def as_json(report: Report) -> str:
    return json.dumps({
        "format": "transparency-center-attestation", "version": 1, "stack": report.stack,
        "result": "drift" if report.drift else "match", "exitCode": report.exit_code,
        "counts": {kind: len(report.of(kind)) for kind in KINDS},
        "findings": [asdict(f) for f in report.findings], "notAttested": report.unattested_types,
        "apiCalls": report.calls,
    }, indent=2, sort_keys=True) + "\n"


def render_markdown(report: Report) -> str:
    verdict = "**drift**" if report.drift else "**match**"
    lines = [f"## tcenter attest {report.stack}: {verdict}", "",
             " · ".join(f"{kind}: {len(report.of(kind))}" for kind in KINDS) + f" · API calls: {report.calls}", ""]
    if report.findings:
        lines += ["| class | type | resource | finding |", "|---|---|---|---|"]
        lines += [f"| {f.kind} | `{f.type}` | `{f.name}` | {f.message.replace('|', '/')} |" for f in report.findings]
        lines.append("")
    if report.unattested_types:
        lines.append("Not attested (declared, not read): " + ", ".join(f"`{t}`" for t in report.unattested_types))
    return "\n".join(lines) + "\n"


def render_terminal(report: Report, out: Any) -> None:
    for finding in report.findings:
        print(f"{finding.kind:11} {finding.type}  {finding.name}\n{'':11} {finding.message}", file=out)
    counts = ", ".join(f"{len(report.of(k))} {k}" for k in KINDS)
    verdict = "DRIFT" if report.drift else "matches the plan"
    print(f"{report.stack}: {verdict} ({counts}; {report.calls} API calls, {report.seconds:.1f} s)", file=out)
    if report.unattested_types:
        print(f"not attested: {', '.join(report.unattested_types)}", file=out)


# --- command ------------------------------------------------------------------------------------------

def configure_parser(parser: argparse.ArgumentParser) -> None:
    parser.description = ("Compare the live account (read-only, standard AWS environment) with a stack's plan. "
                          "Exit: 0 match, 4 drift, 3 error.")
    parser.add_argument("target", metavar="STACK|PLAN")
    parser.add_argument("--profile", help="AWS profile (default: the standard environment)")
    parser.add_argument("--format", choices=("terminal", "markdown", "json"), default="terminal")
    parser.add_argument("-o", "--output")


def run(args: argparse.Namespace) -> int:
    import boto3
    from botocore.exceptions import BotoCoreError

    from . import cli

    plan = cli.plan_for(args.target)
    try:
        session = boto3.Session(profile_name=args.profile, region_name=REGION)
        report = attest(plan, session)
    except AttestError as error:
        raise cli.CliError(f"attest: {error}") from None
    except BotoCoreError as error:
        raise cli.CliError(f"attest: {error}") from None
    if args.format == "json":
        cli._write(as_json(report), args.output)
    elif args.format == "markdown":
        cli._write(render_markdown(report), args.output)
    elif args.output and args.output != "-":
        with open(args.output, "w", encoding="utf-8") as handle:
            render_terminal(report, handle)
    else:
        render_terminal(report, sys.stdout)
    return report.exit_code
