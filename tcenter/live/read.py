"""Reading the live account for `tcenter attest`: read-only boto3 calls (Describe/Get/List,
paginated, standard retries), AccessDenied and not-implemented answers turned into findings,
and the live resources put into the plan's own shape."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from components.awsfacts import REGION

from ..core import iamdoc

from .report import AttestError, Finding, Report

READ_PREFIXES = ("Describe", "Get", "List")
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


def _policy(text: Any) -> Any:
    """A live policy document as data (its text when it is not a JSON object)."""
    document = iamdoc.parse_document(text) if isinstance(text, str) else None
    return text if document is None else document


def canonical_policy(document: Any) -> Any:
    """Policies compare as data: statements in any order, one-element lists as scalars."""
    def norm(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: norm(v) for k, v in sorted(value.items())}
        if isinstance(value, list):
            items = sorted((norm(v) for v in value), key=lambda v: json.dumps(v, sort_keys=True))  # canonical order
            return items[0] if len(items) == 1 else items
        return value

    document = _policy(document)
    if isinstance(document, dict) and isinstance(document.get("Statement"), dict):
        document = {**document, "Statement": [document["Statement"]]}
    return norm(document)



class Unread(Exception):
    """The service answered AccessDenied (or the like); already recorded on the report."""


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


def read_live(session: Any, plan: dict[str, Any], report: Report, descriptions: set[str], buckets: set[str]) -> Live:
    """The account as far as it can be read; DESCRIPTIONS of the declared keys and the
    declared BUCKETS tell the center's own keys and buckets from the rest."""
    reader = Reader(session, report)
    live = Live()
    prefix = _center_prefix(plan)
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


