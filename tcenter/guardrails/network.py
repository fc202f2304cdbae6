"""Rules about network paths: no internet gateway, public IP, open ingress or default route; flow
logs on every VPC; the DNS firewall; hardened, pinned VPC endpoints."""

from __future__ import annotations

import fnmatch
from typing import Any, Iterator, Mapping

from components import awsfacts

from .model import (
    Context,
    Resource,
    Rule,
    Stack,
    UNKNOWN,
    as_list,
    cidrs_anywhere,
    dig,
    is_off,
    is_unknown,
    parse_document,
    statements,
    truthy,
)


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


