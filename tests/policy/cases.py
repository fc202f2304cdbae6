"""Minimal passing and failing resources for every rule of tcenter/guardrails/.

Each case is written the way a plan file records resources (tcenter/plan/format.py): type token,
camelCase inputs, JSON policy documents as strings, options, provider URN and property
dependencies. The tests feed the same cases to `tcenter check` and to the policy pack.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from tcenter.guardrails.audit import ALARMED_EVENTS

PROJECT = "transparency-center"
ACCOUNT = "111111111111"
KEY_ARN = f"arn:aws:kms:eu-central-2:{ACCOUNT}:key/00000000-0000-0000-0000-000000000001"


def urn(stack: str, type_: str, name: str) -> str:
    return f"urn:pulumi:{stack}::{PROJECT}::{type_}::{name}"


def provider_urn(stack: str, name: str = "case-aws") -> str:
    return urn(stack, "pulumi:providers:aws", name)


def resource(stack: str, type_: str, name: str, inputs: dict[str, Any], *, protect: bool = False,
             deps: dict[str, list[str]] | None = None, outputs: dict[str, Any] | None = None,
             provider: str | None = None) -> dict[str, Any]:
    is_provider = type_.startswith("pulumi:providers:")
    return {
        "urn": urn(stack, type_, name),
        "type": type_,
        "name": name,
        "custom": True,
        "parent": "",
        "provider": "" if is_provider else (provider if provider is not None else provider_urn(stack)),
        "dependencies": sorted({u for us in (deps or {}).values() for u in us}),
        "propertyDependencies": deps or {},
        "options": {"protect": protect, "retainOnDelete": protect, "deleteBeforeReplace": False, "ignoreChanges": [],
                    "replaceOnChanges": [], "additionalSecretOutputs": [], "deletedWith": ""},
        "inputs": inputs,
        "outputs": outputs or {},
    }


def aws_provider(stack: str, region: str = "eu-central-2", name: str = "case-aws") -> dict[str, Any]:
    return resource(stack, "pulumi:providers:aws", name,
                    {"region": region, "stsRegion": region, "allowedAccountIds": json.dumps([ACCOUNT])})


def doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


@dataclass(frozen=True)
class Case:
    id: str
    rule: str
    passing: list[dict[str, Any]]
    failing: list[dict[str, Any]]
    stack: str = "dev"
    extra: list[dict[str, Any]] = field(default_factory=list)
    """Resources both variants need (a provider is always added)."""
    plantable: bool = True
    """False when the failing variant is an absence the real plan itself decides."""


def _bucket(stack: str, name: str, **inputs: Any) -> dict[str, Any]:
    return resource(stack, "aws:s3/bucket:Bucket", name, {"bucket": name, **inputs},
                    outputs={"arn": f"arn:aws:s3:::{name}"})


def _sse(stack: str, bucket: dict[str, Any], rules: list[dict[str, Any]]) -> dict[str, Any]:
    return resource(stack, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
                    f"{bucket['name']}-sse", {"bucket": bucket["name"], "rules": rules},
                    deps={"bucket": [bucket["urn"]]})


def _lock(stack: str, bucket: dict[str, Any], mode: str = "GOVERNANCE") -> dict[str, Any]:
    return resource(stack, "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration", f"{bucket['name']}-lock",
                    {"bucket": bucket["name"], "objectLockEnabled": "Enabled",
                     "rule": {"defaultRetention": {"mode": mode, "days": 1}}},
                    deps={"bucket": [bucket["urn"]]})


def _pab(stack: str, bucket: dict[str, Any], **flags: bool) -> dict[str, Any]:
    inputs = {"bucket": bucket["name"], "blockPublicAcls": True, "blockPublicPolicy": True,
              "ignorePublicAcls": True, "restrictPublicBuckets": True, **flags}
    return resource(stack, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", f"{bucket['name']}-pab", inputs,
                    deps={"bucket": [bucket["urn"]]})


def _ownership(stack: str, bucket: dict[str, Any], ownership: str = "BucketOwnerEnforced") -> dict[str, Any]:
    return resource(stack, "aws:s3/bucketOwnershipControls:BucketOwnershipControls", f"{bucket['name']}-own",
                    {"bucket": bucket["name"], "rule": {"objectOwnership": ownership}}, deps={"bucket": [bucket["urn"]]})


def _role(stack: str, name: str, **inputs: Any) -> dict[str, Any]:
    return resource(stack, "aws:iam/role:Role", name, {"name": name, "assumeRolePolicy": doc(), **inputs},
                    outputs={"arn": f"arn:aws:iam::{ACCOUNT}:role/{name}"})


def _role_policy(stack: str, role: dict[str, Any], name: str, *statements: dict[str, Any]) -> dict[str, Any]:
    return resource(stack, "aws:iam/rolePolicy:RolePolicy", name,
                    {"role": role["inputs"]["name"], "name": name, "policy": doc(*statements)},
                    deps={"role": [role["urn"]]})


def _key(stack: str, name: str, *statements: dict[str, Any], protect: bool = False) -> dict[str, Any]:
    return resource(stack, "aws:kms/key:Key", name, {"keyUsage": "ENCRYPT_DECRYPT", "multiRegion": False,
                                                     "policy": doc(*statements)}, protect=protect)


ADMIN = {"Sid": "Admin", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/tc-platform-admin"},
         "Action": ["kms:DescribeKey"], "Resource": "*"}


def _vpc(stack: str) -> dict[str, Any]:
    return resource(stack, "aws:ec2/vpc:Vpc", "case-vpc", {"cidrBlock": "10.40.0.0/16"}, outputs={"id": "vpc-case"})


def _instance(stack: str, name: str = "case-host", **inputs: Any) -> dict[str, Any]:
    base = {"ami": "ami-0a1b2c3d4e5f60718", "instanceType": "t3.medium",
            "metadataOptions": {"httpTokens": "required", "httpPutResponseHopLimit": 1, "httpEndpoint": "enabled"},
            "rootBlockDevice": {"encrypted": True, "kmsKeyId": KEY_ARN, "volumeSize": 40}}
    return resource(stack, "aws:ec2/instance:Instance", name, {**base, **inputs})


def _session_document(stack: str, **session_inputs: Any) -> dict[str, Any]:
    content = {"schemaVersion": "1.0", "sessionType": "Standard_Stream", "inputs": session_inputs}
    return resource(stack, "aws:ssm/document:Document", "case-session-prefs",
                    {"name": "SSM-SessionManagerRunShell", "documentType": "Session", "documentFormat": "JSON",
                     "content": json.dumps(content)})


def _hsm_subnet(stack: str, az: str) -> dict[str, Any]:
    return resource(stack, "aws:ec2/subnet:Subnet", f"case-signing-{az}",
                    {"availabilityZoneId": az, "cidrBlock": "10.42.32.0/24", "mapPublicIpOnLaunch": False},
                    outputs={"id": f"subnet-{az}"})


def _hsm(stack: str, cluster: dict[str, Any], subnet: dict[str, Any], index: int) -> dict[str, Any]:
    return resource(stack, "aws:cloudhsmv2/hsm:Hsm", f"case-hsm-{index}",
                    {"clusterId": "cluster-case", "subnetId": subnet["outputs"]["id"]},
                    deps={"clusterId": [cluster["urn"]], "subnetId": [subnet["urn"]]})


def _cluster(stack: str, hsm_type: str = "hsm2m.medium", mode: str = "FIPS") -> dict[str, Any]:
    return resource(stack, "aws:cloudhsmv2/cluster:Cluster", "case-cluster",
                    {"hsmType": hsm_type, "mode": mode, "subnetIds": ["subnet-a", "subnet-b"]},
                    protect=stack == "zurich-prod", outputs={"id": "cluster-case", "clusterId": "cluster-case"})


def build_cases() -> list[Case]:
    d, p = "dev", "zurich-prod"
    cases: list[Case] = []
    add = cases.append

    add(Case("residency-provider", "residency", [aws_provider(d)], [aws_provider(d, "eu-central-1")]))
    add(Case("residency-region-input", "residency",
             [_bucket(d, "tc-1-dev-x", region="eu-central-2")], [_bucket(d, "tc-1-dev-x", region="us-east-1")]))
    add(Case("residency-multi-region-key", "residency",
             [_key(d, "case-key", ADMIN)],
             [resource(d, "aws:kms/key:Key", "case-key", {"multiRegion": True, "policy": doc(ADMIN)})]))

    add(Case("no-internet-gateway", "no-internet-gateway",
             [resource(d, "aws:ec2/routeTable:RouteTable", "case-rt", {"vpcId": "vpc-case"})],
             [resource(d, "aws:ec2/internetGateway:InternetGateway", "case-igw", {"vpcId": "vpc-case"})]))
    add(Case("no-nat-gateway", "no-internet-gateway", [],
             [resource(d, "aws:ec2/natGateway:NatGateway", "case-nat", {"subnetId": "subnet-a"})]))

    add(Case("no-public-ip-subnet", "no-public-ip",
             [resource(d, "aws:ec2/subnet:Subnet", "case-subnet", {"cidrBlock": "10.40.0.0/24", "mapPublicIpOnLaunch": False})],
             [resource(d, "aws:ec2/subnet:Subnet", "case-subnet", {"cidrBlock": "10.40.0.0/24", "mapPublicIpOnLaunch": True})]))
    add(Case("no-public-ip-instance", "no-public-ip",
             [_instance(d, associatePublicIpAddress=False)], [_instance(d, associatePublicIpAddress=True)]))

    ingress = {"protocol": "tcp", "fromPort": 443, "toPort": 443}
    add(Case("no-open-ingress-sg", "no-open-ingress",
             [resource(d, "aws:ec2/securityGroup:SecurityGroup", "case-sg", {"ingress": [{**ingress, "cidrBlocks": ["10.40.0.0/16"]}]})],
             [resource(d, "aws:ec2/securityGroup:SecurityGroup", "case-sg", {"ingress": [{**ingress, "cidrBlocks": ["0.0.0.0/0"]}]})]))
    add(Case("no-open-ingress-nacl", "no-open-ingress",
             [resource(d, "aws:ec2/networkAcl:NetworkAcl", "case-nacl",
                       {"ingress": [{**ingress, "action": "allow", "ruleNo": 100, "cidrBlock": "10.40.0.0/16"}]})],
             [resource(d, "aws:ec2/networkAcl:NetworkAcl", "case-nacl",
                       {"ingress": [{**ingress, "action": "allow", "ruleNo": 100, "cidrBlock": "0.0.0.0/0"}]})]))
    add(Case("no-open-ingress-rule", "no-open-ingress",
             [resource(d, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "case-in",
                       {"cidrIpv4": "10.40.0.0/16", "ipProtocol": "tcp", "fromPort": 22, "toPort": 22})],
             [resource(d, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "case-in",
                       {"cidrIpv6": "::/0", "ipProtocol": "tcp", "fromPort": 22, "toPort": 22})]))

    add(Case("no-default-route", "no-default-route",
             [resource(d, "aws:ec2/route:Route", "case-route", {"destinationCidrBlock": "10.50.0.0/16", "routeTableId": "rtb-a",
                                                               "transitGatewayId": "tgw-a"})],
             [resource(d, "aws:ec2/route:Route", "case-route", {"destinationCidrBlock": "0.0.0.0/0", "routeTableId": "rtb-a",
                                                               "transitGatewayId": "tgw-a"})]))
    add(Case("no-default-route-inline", "no-default-route",
             [resource(d, "aws:ec2/routeTable:RouteTable", "case-rt", {"routes": []})],
             [resource(d, "aws:ec2/routeTable:RouteTable", "case-rt", {"routes": [{"cidrBlock": "0.0.0.0/0", "gatewayId": "igw-1"}]})]))

    template = {"imageId": "ami-0a1b2c3d4e5f60718",
                "metadataOptions": {"httpTokens": "required", "httpPutResponseHopLimit": 1, "httpEndpoint": "enabled"}}
    add(Case("imdsv2-launch-template", "imdsv2",
             [resource(d, "aws:ec2/launchTemplate:LaunchTemplate", "case-lt", template)],
             [resource(d, "aws:ec2/launchTemplate:LaunchTemplate", "case-lt",
                       {**template, "metadataOptions": {"httpTokens": "optional"}})]))
    add(Case("imdsv2-instance", "imdsv2", [_instance(d)],
             [_instance(d, metadataOptions={"httpTokens": "required", "httpPutResponseHopLimit": 2})]))

    add(Case("ebs-instance-root", "ebs-encryption-cmk", [_instance(d)],
             [_instance(d, rootBlockDevice={"encrypted": True, "volumeSize": 40})]))
    add(Case("ebs-volume", "ebs-encryption-cmk",
             [resource(d, "aws:ebs/volume:Volume", "case-vol", {"encrypted": True, "kmsKeyId": KEY_ARN, "size": 10})],
             [resource(d, "aws:ebs/volume:Volume", "case-vol", {"encrypted": False, "size": 10})]))
    add(Case("ebs-launch-template", "ebs-encryption-cmk",
             [resource(d, "aws:ec2/launchTemplate:LaunchTemplate", "case-lt",
                       {**template, "blockDeviceMappings": [{"deviceName": "/dev/xvda", "ebs": {"encrypted": "true", "kmsKeyId": KEY_ARN}}]})],
             [resource(d, "aws:ec2/launchTemplate:LaunchTemplate", "case-lt",
                       {**template, "blockDeviceMappings": [{"deviceName": "/dev/xvda", "ebs": {"encrypted": "false"}}]})]))

    bucket = _bucket(d, "tc-1-dev-case")
    kms_rule = [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": KEY_ARN}, "bucketKeyEnabled": True}]
    private = [_pab(d, bucket), _ownership(d, bucket)]
    add(Case("s3-sse-algorithm", "s3-sse-kms-cmk", [bucket, _sse(d, bucket, kms_rule)],
             [bucket, _sse(d, bucket, [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}])], extra=private))
    add(Case("s3-sse-aws-managed-key", "s3-sse-kms-cmk", [bucket, _sse(d, bucket, kms_rule)],
             [bucket, _sse(d, bucket, [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms"}}])], extra=private))
    add(Case("s3-sse-missing", "s3-sse-kms-cmk", [bucket, _sse(d, bucket, kms_rule)], [bucket], extra=private))

    add(Case("log-group-cmk", "log-group-cmk",
             [resource(d, "aws:cloudwatch/logGroup:LogGroup", "case-lg", {"name": "/x", "kmsKeyId": KEY_ARN})],
             [resource(d, "aws:cloudwatch/logGroup:LogGroup", "case-lg", {"name": "/x"})]))
    add(Case("dynamodb-cmk", "dynamodb-cmk",
             [resource(d, "aws:dynamodb/table:Table", "case-table",
                       {"hashKey": "id", "serverSideEncryption": {"enabled": True, "kmsKeyArn": KEY_ARN}})],
             [resource(d, "aws:dynamodb/table:Table", "case-table", {"hashKey": "id", "serverSideEncryption": {"enabled": True}})]))
    trail = {"name": "case-trail", "s3BucketName": "tc-1-dev-audit-archive", "isMultiRegionTrail": True,
             "enableLogFileValidation": True, "kmsKeyId": KEY_ARN}
    add(Case("cloudtrail-cmk", "cloudtrail-cmk",
             [resource(d, "aws:cloudtrail/trail:Trail", "case-trail", trail)],
             [resource(d, "aws:cloudtrail/trail:Trail", "case-trail", {k: v for k, v in trail.items() if k != "kmsKeyId"})]))
    add(Case("secret-cmk", "secret-cmk",
             [resource(d, "aws:secretsmanager/secret:Secret", "case-secret", {"name": "x", "kmsKeyId": KEY_ARN})],
             [resource(d, "aws:secretsmanager/secret:Secret", "case-secret", {"name": "x"})]))

    release = _bucket(d, "tc-1-dev-releases", objectLockEnabled=True)
    add(Case("object-lock-release", "object-lock", [release, _lock(d, release)],
             [_bucket(d, "tc-1-dev-releases", objectLockEnabled=False)]))
    add(Case("object-lock-config-missing", "object-lock", [release, _lock(d, release)], [release]))
    prod_archive = _bucket(p, "tc-3-zurich-prod-audit-archive", objectLockEnabled=True)
    add(Case("object-lock-prod-compliance", "object-lock", [prod_archive, _lock(p, prod_archive, "COMPLIANCE")],
             [prod_archive, _lock(p, prod_archive, "GOVERNANCE")], stack=p))

    add(Case("kms-no-wildcard-principal", "kms-no-wildcard-principal",
             [_key(d, "case-key", ADMIN)],
             [_key(d, "case-key", ADMIN, {"Sid": "Everyone", "Effect": "Allow", "Principal": {"AWS": "*"},
                                          "Action": ["kms:Decrypt"], "Resource": "*"})]))

    admin_role = f"arn:aws:iam::{ACCOUNT}:role/tc-platform-admin"
    listed_admin = {"Sid": "KeyAdministration", "Effect": "Allow", "Principal": {"AWS": admin_role},
                    "Action": ["kms:DescribeKey", "kms:PutKeyPolicy"], "Resource": "*"}
    lifecycle_guard = {"Sid": "DenyDisableOrDelete", "Effect": "Deny", "Principal": {"AWS": "*"},
                       "Action": ["kms:DisableKey", "kms:ScheduleKeyDeletion"], "Resource": "*"}
    add(Case("kms-admin-wildcards", "kms-no-admin-grants", [_key(d, "case-key", listed_admin)],
             [_key(d, "case-key", {**listed_admin, "Action": ["kms:Create*", "kms:Describe*"]})]))
    add(Case("kms-admin-create-grant", "kms-no-admin-grants", [_key(d, "case-key", listed_admin)],
             [_key(d, "case-key", {**listed_admin, "Action": ["kms:CreateGrant", "kms:DescribeKey"]})]))
    add(Case("kms-prod-lifecycle-guard", "kms-no-admin-grants",
             [_key(p, "case-key", listed_admin, lifecycle_guard, protect=True)],
             [_key(p, "case-key", listed_admin, protect=True)], stack=p))

    def sign(role_name: str) -> dict[str, Any]:
        return {"Sid": "Sign", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/{role_name}"},
                "Action": ["kms:Sign"], "Resource": "*"}
    add(Case("kms-sign-key-policy", "kms-sign-signers-only",
             [_key(d, "case-key", ADMIN, sign("tc-dev-signer-products"))],
             [_key(d, "case-key", ADMIN, sign("tc-dev-builder-products"))]))
    builder = _role(d, "tc-dev-builder-products")
    signer = _role(d, "tc-dev-signer-products")
    sign_statement = {"Sid": "SignReleases", "Effect": "Allow", "Action": ["kms:Sign"], "Resource": [KEY_ARN]}
    add(Case("kms-sign-role-policy", "kms-sign-signers-only",
             [signer, _role_policy(d, signer, "sign", sign_statement)],
             [builder, _role_policy(d, builder, "sign", sign_statement)]))

    add(Case("kms-sign-managed-policy", "kms-sign-signers-only",
             [resource(d, "aws:iam/policy:Policy", "case-policy", {"name": "tc-dev-signer-products-sign", "policy": doc(sign_statement)})],
             [resource(d, "aws:iam/policy:Policy", "case-policy", {"name": "tc-dev-release-tools", "policy": doc(sign_statement)})]))

    data_bucket = _bucket(d, "tc-1-dev-data-europe", tags={"customer-region": "europe"})
    reviewer = _role(d, "tc-dev-reviewer-case-lab", tags={"reviewer-organization": "case-lab"})
    denies = _role_policy(d, reviewer, "deny-customer-data-and-signing",
                          {"Sid": "DenySigning", "Effect": "Deny", "Action": ["kms:Sign"], "Resource": "*"},
                          {"Sid": "DenyCustomerData", "Effect": "Deny", "Action": ["s3:*"],
                           "Resource": ["arn:aws:s3:::tc-1-dev-data-europe", "arn:aws:s3:::tc-1-dev-data-europe/*"]})
    sign_only = _role_policy(d, reviewer, "deny-customer-data-and-signing",
                             {"Sid": "DenySigning", "Effect": "Deny", "Action": ["kms:Sign"], "Resource": "*"})
    table_arn = f"arn:aws:dynamodb:eu-central-2:{ACCOUNT}:table/tc-dev-data-case-metadata"
    data_table = resource(d, "aws:dynamodb/table:Table", "case-table", {"name": "tc-dev-data-case-metadata",
                          "tags": {"customer-region": "europe"}}, outputs={"arn": table_arn})
    table_denied = _role_policy(d, reviewer, "deny-customer-data-and-signing",
                                {"Sid": "DenySigning", "Effect": "Deny", "Action": ["kms:Sign"], "Resource": "*"},
                                {"Sid": "DenyCustomerData", "Effect": "Deny", "Action": ["*"], "Resource": [table_arn]})
    add(Case("reviewer-denies", "reviewer-denied-data-and-signing", [reviewer, denies], [reviewer], extra=[data_bucket]))
    add(Case("reviewer-denies-table", "reviewer-denied-data-and-signing", [reviewer, table_denied], [reviewer, sign_only],
             extra=[data_table]))
    add(Case("reviewer-denies-data", "reviewer-denied-data-and-signing", [reviewer, denies], [reviewer, sign_only],
             extra=[data_bucket]))

    add(Case("prod-protect-key", "prod-protect-stateful", [_key(p, "case-key", ADMIN, protect=True)],
             [_key(p, "case-key", ADMIN, protect=False)], stack=p))
    add(Case("prod-protect-bucket", "prod-protect-stateful",
             [resource(p, "aws:s3/bucket:Bucket", "case-bucket", {"bucket": "tc-3-zurich-prod-x"}, protect=True)],
             [resource(p, "aws:s3/bucket:Bucket", "case-bucket", {"bucket": "tc-3-zurich-prod-x"}, protect=False)], stack=p))

    vpc = _vpc(d)
    flow_log = resource(d, "aws:ec2/flowLog:FlowLog", "case-flow-log",
                        {"vpcId": "vpc-case", "trafficType": "ALL", "logDestination": "arn:aws:logs:x"},
                        deps={"vpcId": [vpc["urn"]]})
    add(Case("vpc-flow-logs", "vpc-flow-logs", [vpc, flow_log], [vpc]))
    add(Case("vpc-flow-logs-traffic", "vpc-flow-logs", [vpc, flow_log],
             [vpc, {**flow_log, "inputs": {**flow_log["inputs"], "trafficType": "REJECT"}}]))

    everything = resource(d, "aws:route53/resolverFirewallDomainList:ResolverFirewallDomainList", "case-dns-everything",
                          {"domains": ["*"]}, outputs={"id": "rfdl-everything"})
    allowed_names = resource(d, "aws:route53/resolverFirewallDomainList:ResolverFirewallDomainList", "case-dns-allowed",
                             {"domains": ["kms.eu-central-2.amazonaws.com"]}, outputs={"id": "rfdl-allowed"})
    allow_rule = resource(d, "aws:route53/resolverFirewallRule:ResolverFirewallRule", "case-dns-allow",
                          {"action": "ALLOW", "priority": 100, "firewallDomainListId": "rfdl-allowed", "firewallRuleGroupId": "rfrg-case"})
    block_rule = resource(d, "aws:route53/resolverFirewallRule:ResolverFirewallRule", "case-dns-block",
                          {"action": "BLOCK", "blockResponse": "NXDOMAIN", "priority": 200,
                           "firewallDomainListId": "rfdl-everything", "firewallRuleGroupId": "rfrg-case"})
    dns_association = resource(d, "aws:route53/resolverFirewallRuleGroupAssociation:ResolverFirewallRuleGroupAssociation",
                               "case-dns-association", {"vpcId": "vpc-case", "firewallRuleGroupId": "rfrg-case", "priority": 101})
    fail_closed = resource(d, "aws:route53/resolverFirewallConfig:ResolverFirewallConfig", "case-dns-config",
                           {"resourceId": "vpc-case", "firewallFailOpen": "DISABLED"})
    dns_firewall = [vpc, everything, allowed_names, allow_rule, block_rule, dns_association, fail_closed]
    add(Case("dns-firewall-missing", "dns-firewall", dns_firewall, [vpc]))
    add(Case("dns-firewall-fail-open", "dns-firewall", dns_firewall,
             [*dns_firewall[:-1], {**fail_closed, "inputs": {**fail_closed["inputs"], "firewallFailOpen": "ENABLED"}}]))
    add(Case("dns-firewall-allow-list-only", "dns-firewall", dns_firewall,
             [vpc, allowed_names, allow_rule, dns_association, fail_closed]))

    add(Case("cloudtrail-validation", "cloudtrail-validation",
             [resource(d, "aws:cloudtrail/trail:Trail", "case-trail", trail)],
             [resource(d, "aws:cloudtrail/trail:Trail", "case-trail", {**trail, "enableLogFileValidation": False})]))
    add(Case("cloudtrail-multi-region", "cloudtrail-validation",
             [resource(d, "aws:cloudtrail/trail:Trail", "case-trail", trail)],
             [resource(d, "aws:cloudtrail/trail:Trail", "case-trail", {**trail, "isMultiRegionTrail": False})]))

    add(Case("cloudhsm-type", "cloudhsm", [_cluster(d)], [_cluster(d, "hsm1.medium")]))
    add(Case("cloudhsm-mode", "cloudhsm", [_cluster(d)], [_cluster(d, mode="NON_FIPS")]))
    cluster = _cluster(p)
    az1, az2 = _hsm_subnet(p, "euc2-az1"), _hsm_subnet(p, "euc2-az2")
    add(Case("cloudhsm-prod-zones", "cloudhsm",
             [cluster, az1, az2, _hsm(p, cluster, az1, 1), _hsm(p, cluster, az2, 2)],
             [cluster, az1, _hsm(p, cluster, az1, 1), _hsm(p, cluster, az1, 2)], stack=p))

    endpoint = {"vpcId": "vpc-case", "serviceName": "com.amazonaws.eu-central-2.kms", "vpcEndpointType": "Interface",
                "privateDnsEnabled": True, "securityGroupIds": ["sg-1"], "policy": doc(ADMIN)}
    add(Case("vpc-endpoint-private-dns", "vpc-endpoint-hardening",
             [resource(d, "aws:ec2/vpcEndpoint:VpcEndpoint", "case-ep", endpoint)],
             [resource(d, "aws:ec2/vpcEndpoint:VpcEndpoint", "case-ep", {**endpoint, "privateDnsEnabled": False})]))
    add(Case("vpc-endpoint-policy", "vpc-endpoint-hardening",
             [resource(d, "aws:ec2/vpcEndpoint:VpcEndpoint", "case-ep", endpoint)],
             [resource(d, "aws:ec2/vpcEndpoint:VpcEndpoint", "case-ep", {k: v for k, v in endpoint.items() if k != "policy"})]))

    def endpoint_doc(resource_account: bool, extra: list | None = None) -> str:
        conditions = {"aws:PrincipalAccount": ACCOUNT, **({"aws:ResourceAccount": ACCOUNT} if resource_account else {})}
        return doc({"Sid": "Perimeter", "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "*", "Resource": "*",
                    "Condition": {"StringEquals": conditions}}, *(extra or []))
    pinned = {**endpoint, "policy": endpoint_doc(True)}
    add(Case("endpoint-resource-account", "endpoint-policies-pinned",
             [resource(d, "aws:ec2/vpcEndpoint:VpcEndpoint", "case-ep", pinned)],
             [resource(d, "aws:ec2/vpcEndpoint:VpcEndpoint", "case-ep", {**endpoint, "policy": endpoint_doc(False)})]))
    any_caller = {"Sid": "AnyCaller", "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "kms:Decrypt", "Resource": "*"}
    add(Case("endpoint-principal-account", "endpoint-policies-pinned",
             [resource(d, "aws:ec2/vpcEndpoint:VpcEndpoint", "case-ep", pinned)],
             [resource(d, "aws:ec2/vpcEndpoint:VpcEndpoint", "case-ep", {**pinned, "policy": endpoint_doc(True, [any_caller])})]))
    no_resource = {"Sid": "NoResource", "Effect": "Allow", "Principal": {"AWS": "*"}, "Resource": "*",
                   "Condition": {"StringEquals": {"aws:PrincipalAccount": ACCOUNT}}}
    sts = {**pinned, "serviceName": "com.amazonaws.eu-central-2.sts"}
    add(Case("endpoint-exception-only-for-its-actions", "endpoint-policies-pinned",
             [resource(d, "aws:ec2/vpcEndpoint:VpcEndpoint", "case-ep",
                       {**sts, "policy": endpoint_doc(True, [{**no_resource, "Action": "sts:GetCallerIdentity"}])})],
             [resource(d, "aws:ec2/vpcEndpoint:VpcEndpoint", "case-ep",
                       {**sts, "policy": endpoint_doc(True, [{**no_resource, "Action": "sts:AssumeRole"}])})]))

    table_arn_case = f"arn:aws:dynamodb:eu-central-2:{ACCOUNT}:table/tc-dev-data-case-metadata"
    table = resource(d, "aws:dynamodb/table:Table", "case-metadata", {"name": "tc-dev-data-case-metadata"},
                     outputs={"arn": table_arn_case})
    dynamodb_gateway = resource(d, "aws:ec2/vpcEndpoint:VpcEndpoint", "case-dynamodb-gateway",
                                {"vpcId": "vpc-case", "serviceName": "com.amazonaws.eu-central-2.dynamodb",
                                 "vpcEndpointType": "Gateway", "policy": doc(ADMIN)})
    outside = {"Sid": "DenyItemAccessOutsideCenterEndpoint", "Effect": "Deny", "Principal": {"AWS": "*"},
               "Action": ["dynamodb:GetItem", "dynamodb:Scan"], "Resource": [table_arn_case],
               "Condition": {"StringNotEquals": {"aws:SourceVpce": "vpce-dynamodb"}}}
    table_policy = resource(d, "aws:dynamodb/resourcePolicy:ResourcePolicy", "case-metadata-policy",
                            {"resourceArn": table_arn_case, "policy": doc(outside)})
    add(Case("dynamodb-gateway-missing", "dynamodb-through-endpoint",
             [table, dynamodb_gateway, table_policy], [table, table_policy], extra=[vpc], plantable=False))
    add(Case("dynamodb-table-policy-missing", "dynamodb-through-endpoint",
             [table, dynamodb_gateway, table_policy], [table, dynamodb_gateway], extra=[vpc]))
    unconditioned_allow = {**outside, "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}}
    add(Case("dynamodb-table-policy-without-endpoint-deny", "dynamodb-through-endpoint",
             [table, dynamodb_gateway, table_policy],
             [table, dynamodb_gateway, {**table_policy, "inputs": {**table_policy["inputs"], "policy": doc(unconditioned_allow)}}],
             extra=[vpc]))

    # Detective controls and baselines: the full set passes; each case removes one piece (generated).
    trail_log = {"enableLogFileValidation": True, "isMultiRegionTrail": True, "kmsKeyId": KEY_ARN, "name": "tc-trail"}
    center_trail = resource(p, "aws:cloudtrail/trail:Trail", "case-center-trail", trail_log)
    alarmed = " || ".join(f"($.eventName = {e})" for e in ALARMED_EVENTS)
    detective_pieces = {
        "config-recorder": resource(p, "aws:cfg/recorder:Recorder", "case-recorder",
                                    {"name": "tc-config", "recordingGroup": {"allSupported": True,
                                                                            "includeGlobalResourceTypes": True}}),
        "config-recorder-status": resource(p, "aws:cfg/recorderStatus:RecorderStatus", "case-recorder-status",
                                           {"name": "tc-config", "isEnabled": True}),
        "config-delivery": resource(p, "aws:cfg/deliveryChannel:DeliveryChannel", "case-delivery",
                                    {"name": "tc-config", "s3BucketName": "archive"}),
        "guardduty": resource(p, "aws:guardduty/detector:Detector", "case-detector", {"enable": True}),
        "guardduty-s3": resource(p, "aws:guardduty/detectorFeature:DetectorFeature", "case-s3-protection",
                                 {"detectorId": "d-1", "name": "S3_DATA_EVENTS", "status": "ENABLED"}),
        "security-hub": resource(p, "aws:securityhub/account:Account", "case-hub", {"enableDefaultStandards": False}),
        "security-hub-fsbp": resource(p, "aws:securityhub/standardsSubscription:StandardsSubscription", "case-fsbp",
                                      {"standardsArn": "arn:aws:securityhub:eu-central-2::standards/"
                                                       "aws-foundational-security-best-practices/v/1.0.0"}),
        "security-hub-cis": resource(p, "aws:securityhub/standardsSubscription:StandardsSubscription", "case-cis",
                                     {"standardsArn": "arn:aws:securityhub:eu-central-2::standards/"
                                                      "cis-aws-foundations-benchmark/v/3.0.0"}),
        "external-access": resource(p, "aws:accessanalyzer/analyzer:Analyzer", "case-external",
                                    {"analyzerName": "x", "type": "ACCOUNT"}),
        "unused-access": resource(p, "aws:accessanalyzer/analyzer:Analyzer", "case-unused",
                                  {"analyzerName": "u", "type": "ACCOUNT_UNUSED_ACCESS"}),
        "alarm-filter": resource(p, "aws:cloudwatch/logMetricFilter:LogMetricFilter", "case-filter",
                                 {"logGroupName": "trail", "pattern": "{ " + alarmed + " }",
                                  "metricTransformation": {"name": "m", "namespace": "TransparencyCenter", "value": "1"}}),
        "alarm": resource(p, "aws:cloudwatch/metricAlarm:MetricAlarm", "case-alarm",
                          {"namespace": "TransparencyCenter", "metricName": "m", "alarmActions": ["arn:aws:sns:x"]}),
    }
    baseline_pieces = {
        "s3-account-block": resource(p, "aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock", "case-account-block",
                                     {"accountId": ACCOUNT, "blockPublicAcls": True, "blockPublicPolicy": True,
                                      "ignorePublicAcls": True, "restrictPublicBuckets": True}),
        "ebs-by-default": resource(p, "aws:ebs/encryptionByDefault:EncryptionByDefault", "case-ebs-default", {"enabled": True}),
        "ebs-default-key": resource(p, "aws:ebs/defaultKmsKey:DefaultKmsKey", "case-ebs-key", {"keyArn": KEY_ARN}),
        "imds-defaults": resource(p, "aws:ec2/instanceMetadataDefaults:InstanceMetadataDefaults", "case-imds",
                                  {"httpTokens": "required", "httpPutResponseHopLimit": 1}),
        "password-policy": resource(p, "aws:iam/accountPasswordPolicy:AccountPasswordPolicy", "case-passwords",
                                    {"minimumPasswordLength": 14}),
    }
    for rule_id, pieces in (("detective-controls", detective_pieces), ("account-baseline", baseline_pieces)):
        everything = [center_trail, *pieces.values()]
        for missing in pieces:
            add(Case(f"{rule_id}-without-{missing}", rule_id, everything,
                     [r for r in everything if r is not pieces[missing]], stack=p, plantable=False))
    silent_alarm = {**detective_pieces["alarm"], "inputs": {**detective_pieces["alarm"]["inputs"], "alarmActions": []}}
    add(Case("detective-controls-alarm-notifies-nobody", "detective-controls", [center_trail, *detective_pieces.values()],
             [center_trail, *[r for k, r in detective_pieces.items() if k != "alarm"], silent_alarm], stack=p, plantable=False))

    # Public access: every bucket blocked (all four flags) and bucket-owner enforced; no open policy.
    open_bucket = _bucket(d, "tc-1-dev-build-sources")

    encrypted = [_sse(d, open_bucket, kms_rule)]
    add(Case("s3-public-access-block-missing", "s3-no-public-access",
             [open_bucket, _pab(d, open_bucket), _ownership(d, open_bucket)], [open_bucket, _ownership(d, open_bucket)],
             extra=encrypted))
    add(Case("s3-public-access-flag-off", "s3-no-public-access",
             [open_bucket, _pab(d, open_bucket), _ownership(d, open_bucket)],
             [open_bucket, _pab(d, open_bucket, restrictPublicBuckets=False), _ownership(d, open_bucket)], extra=encrypted))
    add(Case("s3-ownership-acls", "s3-no-public-access",
             [open_bucket, _pab(d, open_bucket), _ownership(d, open_bucket)],
             [open_bucket, _pab(d, open_bucket), _ownership(d, open_bucket, "ObjectWriter")], extra=encrypted))
    read_all = {"Sid": "ReadAll", "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": ["s3:GetObject"],
                "Resource": "arn:aws:s3:::tc-1-dev-build-sources/*"}
    pinned = {**read_all, "Condition": {"StringEquals": {"aws:SourceVpce": "vpce-1"}}}
    add(Case("s3-policy-public-principal", "s3-no-public-access",
             [resource(d, "aws:s3/bucketPolicy:BucketPolicy", "case-policy", {"bucket": "b", "policy": doc(pinned)})],
             [resource(d, "aws:s3/bucketPolicy:BucketPolicy", "case-policy", {"bucket": "b", "policy": doc(read_all)})]))

    # What AWS itself would refuse (the numbers are AWS's: awsfacts).
    sign_key = {"keyUsage": "SIGN_VERIFY", "customerMasterKeySpec": "ECC_NIST_P384", "multiRegion": False,
                "deletionWindowInDays": 30, "policy": doc(ADMIN)}
    add(Case("aws-key-spec-usage", "aws-limits", [resource(d, "aws:kms/key:Key", "case-sign", sign_key)],
             [resource(d, "aws:kms/key:Key", "case-sign", {**sign_key, "customerMasterKeySpec": "SYMMETRIC_DEFAULT"})]))
    add(Case("aws-key-rotation-asymmetric", "aws-limits", [resource(d, "aws:kms/key:Key", "case-sign", sign_key)],
             [resource(d, "aws:kms/key:Key", "case-sign", {**sign_key, "enableKeyRotation": True})]))
    add(Case("aws-bucket-name", "aws-limits", [_bucket(d, "tc-1-dev-case")], [_bucket(d, "tc-1-dev-Case..x")],
             extra=[]))
    big = {**ADMIN, "Action": [f"kms:Describe{'x' * 40}{n}" for n in range(800)]}
    add(Case("aws-key-policy-size", "aws-limits", [_key(d, "case-key", ADMIN)], [_key(d, "case-key", big)]))
    add(Case("aws-tag-limit", "aws-limits", [_vpc(d)],
             [resource(d, "aws:ec2/vpc:Vpc", "case-vpc", {"cidrBlock": "10.40.0.0/16",
                                                         "tags": {f"k{n}": "v" for n in range(51)}})]))
    notified = _bucket(d, "tc-1-dev-notified")

    def notification(name: str, **inputs: Any) -> dict[str, Any]:
        return resource(d, "aws:s3/bucketNotification:BucketNotification", name, {"bucket": "tc-1-dev-notified", **inputs},
                        deps={"bucket": [notified["urn"]]})

    to_broker = {"lambdaFunctions": [{"lambdaFunctionArn": "arn:aws:lambda:eu-central-2:1:function:f",
                                      "events": ["s3:ObjectCreated:*"], "filterPrefix": "samples/"}]}
    add(Case("aws-two-notification-configurations", "aws-limits",
             [notification("case-notice", eventbridge=True, **to_broker)],
             [notification("case-notice", **to_broker), notification("case-other-notice", eventbridge=True)],
             extra=[notified]))
    locked_bucket = _bucket(d, "tc-1-dev-releases")
    versioning = resource(d, "aws:s3/bucketVersioning:BucketVersioning", "case-versioning",
                          {"bucket": locked_bucket["name"], "versioningConfiguration": {"status": "Enabled"}},
                          deps={"bucket": [locked_bucket["urn"]]})
    add(Case("aws-object-lock-needs-versioning", "aws-limits",
             [locked_bucket, versioning, _lock(d, locked_bucket)],
             [locked_bucket, {**versioning, "inputs": {**versioning["inputs"], "versioningConfiguration": {"status": "Suspended"}}},
              _lock(d, locked_bucket)],
             extra=[_pab(d, locked_bucket), _ownership(d, locked_bucket), _sse(d, locked_bucket, kms_rule)]))

    logged = {"s3BucketName": "tc-1-dev-audit-archive", "s3EncryptionEnabled": True, "cloudWatchLogGroupName": "/sessions",
              "cloudWatchEncryptionEnabled": True, "kmsKeyId": KEY_ARN}
    add(Case("ssm-session-encryption", "ssm-session-logging", [_session_document(d, **logged)],
             [_session_document(d, **{**logged, "s3EncryptionEnabled": False, "cloudWatchEncryptionEnabled": False})]))
    add(Case("ssm-session-document-missing", "ssm-session-logging",
             [_instance(d), _session_document(d, **logged)], [_instance(d)], plantable=False))

    # Customer data admits named principals only (issue 29): a bucket policy that limits the
    # transport but not the readers lets every administrator of the account read.
    data_bucket = _bucket(d, "tc-1-dev-data-europe-objects", tags={"purpose": "customer-data"})
    tls_only = {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "s3:*",
                "Resource": ["arn:aws:s3:::tc-1-dev-data-europe-objects/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
    named = {"Sid": "DenyObjectReadsToAnyoneNotNamed", "Effect": "Deny", "Principal": {"AWS": "*"},
             "Action": ["s3:GetObject*"], "Resource": ["arn:aws:s3:::tc-1-dev-data-europe-objects/*"],
             "Condition": {"ArnNotEquals": {"aws:PrincipalArn": [f"arn:aws:iam::{ACCOUNT}:role/tc-dev-data-europe-analyze"]}}}

    def data_policy(*statements: dict[str, Any]) -> dict[str, Any]:
        return resource(d, "aws:s3/bucketPolicy:BucketPolicy", "tc-data-europe-policy",
                        {"bucket": "tc-1-dev-data-europe-objects", "policy": doc(*statements)})

    add(Case("customer-data-readers-not-named", "customer-data-named-principals",
             [data_bucket, data_policy(tls_only, named)], [data_bucket, data_policy(tls_only)], plantable=False))

    # TLS ends in Zurich (issue 27): a REST API is REGIONAL, never EDGE (its default); an API served
    # by a mutual-TLS custom domain has its execute-api endpoint off.
    def rest_api(**inputs: Any) -> dict[str, Any]:
        return resource(d, "aws:apigateway/restApi:RestApi", "case-api", {"name": "case-api", **inputs},
                        outputs={"id": "case-api-id"})

    regional = {"types": "REGIONAL"}
    add(Case("api-edge-optimized", "regional-endpoints-only", [rest_api(endpointConfiguration=regional)],
             [rest_api(endpointConfiguration={"types": "EDGE"})]))
    mtls_domain = resource(d, "aws:apigateway/domainName:DomainName", "case-domain", {
        "domainName": "intake.case.example", "endpointConfiguration": regional,
        "regionalCertificateArn": f"arn:aws:acm:eu-central-2:{ACCOUNT}:certificate/case",
        "mutualTlsAuthentication": {"truststoreUri": "s3://case/truststore.pem"}})

    def mapped(api: dict[str, Any]) -> list[dict[str, Any]]:
        return [api, mtls_domain, resource(d, "aws:apigateway/basePathMapping:BasePathMapping", "case-mapping",
                                           {"restApi": "case-api-id", "domainName": "intake.case.example", "stageName": "v1"},
                                           deps={"restApi": [api["urn"]], "domainName": [mtls_domain["urn"]]})]

    add(Case("mtls-api-execute-api-endpoint-on", "mutual-tls-not-bypassable",
             mapped(rest_api(endpointConfiguration=regional, disableExecuteApiEndpoint=True)),
             mapped(rest_api(endpointConfiguration=regional))))

    # The intake broker (issue 27): its role writes only samples/ of its store and reads no customer data.
    store, intake_bucket = "tc-1-dev-data-europe", "tc-1-dev-intake"
    broker_role = _role(d, "tc-dev-intake-broker-europe")
    broker_fn = resource(d, "aws:lambda/function:Function", "case-broker-fn", {
        "name": "tc-dev-intake-europe", "role": broker_role["outputs"]["arn"],
        "environment": {"variables": {"CUSTOMER_REGION": "europe", "SAMPLES_BUCKET": store, "RULES_BUCKET": intake_bucket,
                                      "SAMPLES_KEY_ARN": f"arn:aws:kms:eu-central-2:{ACCOUNT}:key/store"}}},
        deps={"role": [broker_role["urn"]]})
    sign_uploads = {"Sid": "SignSampleUploads", "Effect": "Allow", "Action": ["s3:PutObject"],
                    "Resource": [f"arn:aws:s3:::{store}/samples/*"]}
    read_rules = {"Sid": "ReadApprovedRuleSet", "Effect": "Allow", "Action": ["s3:GetObject"],
                  "Resource": [f"arn:aws:s3:::{intake_bucket}/rules/approved.json"]}
    claim = {"Sid": "Claim", "Effect": "Allow", "Action": ["dynamodb:PutItem", "dynamodb:UpdateItem"],
             "Resource": [f"arn:aws:dynamodb:eu-central-2:{ACCOUNT}:table/tc-dev-data-europe-intake"]}
    allowed = (sign_uploads, read_rules, claim)

    def broker(*statements: dict[str, Any]) -> list[dict[str, Any]]:
        return [broker_role, broker_fn, _role_policy(d, broker_role, "case-broker-policy", *statements)]

    add(Case("broker-reads-samples", "intake-broker-write-only", broker(*allowed),
             broker(*allowed, {**read_rules, "Sid": "ReadSamples", "Resource": [f"arn:aws:s3:::{store}/samples/*"]})))
    add(Case("broker-writes-outside-samples", "intake-broker-write-only", broker(*allowed),
             broker({**sign_uploads, "Resource": [f"arn:aws:s3:::{store}/*"]}, read_rules, claim)))
    add(Case("broker-reads-the-intake-table", "intake-broker-write-only", broker(*allowed),
             broker(sign_uploads, read_rules, {**claim, "Action": ["dynamodb:PutItem", "dynamodb:GetItem"]})))
    add(Case("broker-decrypts-with-the-store-key", "intake-broker-write-only", broker(*allowed),
             broker(*allowed, {"Sid": "Decrypt", "Effect": "Allow", "Action": ["kms:Decrypt"], "Resource": "*"})))
    return cases


# The transparency log's cases live in their own module (it builds on the helpers above).
from .transparency_cases import CASES as TRANSPARENCY_CASES  # noqa: E402
from .analysis_cases import CASES as ANALYSIS_CASES  # noqa: E402
from .distribution_cases import CASES as DISTRIBUTION_CASES  # noqa: E402

CASES = build_cases() + list(TRANSPARENCY_CASES) + list(DISTRIBUTION_CASES) + list(ANALYSIS_CASES)
