"""DNS tunnelling: the VPC's Route 53 Resolver DNS Firewall, evaluated like Resolver does.

For a query name the rule groups associated with the VPC are taken by ascending association
priority, their rules by ascending rule priority; the first rule whose domain list matches
decides (DNS Firewall semantics: `*` matches every name, `*.x` every name under `x` but not
`x` itself, anything else the exact name, case-insensitive, trailing dot ignored). A name no
rule matches is resolved: so an allow list without a catch-all block would fail here.
"""

from __future__ import annotations

import pytest

PROD = "zurich-prod"
T = "aws:route53/"
ARBITRARY = [
    "exfil.attacker.example",
    "bWFkZS11cC1zZWNyZXQ.t.evil.com",
    "kms.eu-central-2.amazonaws.com.evil.com",
    "evil.com",
    "s3.amazonaws.com.tunnel.example",
    "ssm.us-east-1.amazonaws.com",
]


def _matches(spec: str, name: str) -> bool:
    spec, name = spec.lower().rstrip("."), name.lower().rstrip(".")
    if spec == "*":
        return True
    if spec.startswith("*."):
        return name.endswith(spec[1:])
    return name == spec


def decision(run, vpc_id: str, name: str) -> str:
    lists = {r.outputs["id"]: r.inputs["domains"] for r in run.by_type(f"{T}resolverFirewallDomainList:ResolverFirewallDomainList")}
    rules = run.by_type(f"{T}resolverFirewallRule:ResolverFirewallRule")
    associations = sorted((a for a in run.by_type(f"{T}resolverFirewallRuleGroupAssociation:ResolverFirewallRuleGroupAssociation")
                           if a.inputs["vpcId"] == vpc_id), key=lambda a: a.inputs["priority"])
    for association in associations:
        group_rules = sorted((r for r in rules if r.inputs["firewallRuleGroupId"] == association.inputs["firewallRuleGroupId"]),
                             key=lambda r: r.inputs["priority"])
        for rule in group_rules:
            if any(_matches(spec, name) for spec in lists[rule.inputs["firewallDomainListId"]]):
                return rule.inputs["action"]
    return "RESOLVED"


def _vpc_id(run) -> str:
    (vpc,) = run.by_type("aws:ec2/vpc:Vpc")
    return vpc.outputs["id"]


def names_the_hosts_use(run) -> list[str]:
    """From the plan: every endpoint's service name, every bucket's virtual-hosted name, a host name."""
    names = []
    for endpoint in run.by_type("aws:ec2/vpcEndpoint:VpcEndpoint"):
        service = endpoint.inputs["serviceName"].split(".")[-1]
        names.append(f"{service}.eu-central-2.amazonaws.com")
    for bucket in run.by_type("aws:s3/bucket:Bucket") + run.by_type("aws:s3/bucketV2:BucketV2"):
        names.append(f"{bucket.inputs['bucket']}.s3.eu-central-2.amazonaws.com")
    names.append("amazon-ssm-eu-central-2.s3.eu-central-2.amazonaws.com")  # the SSM agent's regional bucket
    names.append("ip-10-42-1-5.eu-central-2.compute.internal")
    assert len(names) > 10
    return names


@pytest.mark.parametrize("name", ARBITRARY)
def test_arbitrary_names_are_blocked(declared, name):
    run = declared(PROD)
    assert decision(run, _vpc_id(run), name) == "BLOCK", name


def test_every_name_the_hosts_use_is_allowed(declared):
    run = declared(PROD)
    vpc_id = _vpc_id(run)
    refused = [n for n in names_the_hosts_use(run) if decision(run, vpc_id, n) != "ALLOW"]
    assert refused == []


def test_firewall_fails_closed_and_every_query_is_logged_encrypted(declared):
    run = declared(PROD)
    vpc_id = _vpc_id(run)
    (config,) = [c for c in run.by_type(f"{T}resolverFirewallConfig:ResolverFirewallConfig") if c.inputs["resourceId"] == vpc_id]
    assert config.inputs["firewallFailOpen"] == "DISABLED"
    blocks = [r for r in run.by_type(f"{T}resolverFirewallRule:ResolverFirewallRule") if r.inputs["action"] == "BLOCK"]
    assert all(r.inputs.get("blockResponse") == "NXDOMAIN" for r in blocks)
    (association,) = [a for a in run.by_type(f"{T}resolverQueryLogConfigAssociation:ResolverQueryLogConfigAssociation")
                      if a.inputs["resourceId"] == vpc_id]
    (log_config,) = [c for c in run.by_type(f"{T}resolverQueryLogConfig:ResolverQueryLogConfig")
                     if c.outputs["id"] == association.inputs["resolverQueryLogConfigId"]]
    (group,) = [g for g in run.by_type("aws:cloudwatch/logGroup:LogGroup") if g.outputs["arn"] == log_config.inputs["destinationArn"]]
    assert group.inputs["kmsKeyId"].startswith("arn:aws:kms:eu-central-2:")
    assert group.options["protect"], "prod keeps the query log"
