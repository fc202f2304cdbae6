"""Ingress open to the whole internet (0.0.0.0/0, ::/0), rule by rule: security groups, their
rule resources, and NACLs. What `diff` calls public ingress (danger class `public`)."""

from __future__ import annotations

from typing import Any

from .ports import rule_ports as _rule_ports


def public_ingress(plan: dict[str, Any]) -> list[str]:
    """Security group and NACL ingress rules open to the whole internet, as findings."""
    return sorted(finding for _, _, finding in public_ingress_items(plan))


def public_ingress_items(plan: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(urn, type, finding) of each ingress rule open to the whole internet."""
    findings = []
    anywhere = ("0.0.0.0/0", "::/0")
    for resource in plan.get("resources", []):
        t, i, name = resource["type"], resource.get("inputs", {}), resource["name"]
        at = (resource["urn"], t)
        if t in ("aws:ec2/securityGroup:SecurityGroup", "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"):
            for rule in i.get("ingress") or []:
                cidrs = set((rule.get("cidrBlocks") or []) + (rule.get("ipv6CidrBlocks") or []))
                if cidrs & set(anywhere):
                    findings.append((*at, f"{name}: ingress {rule.get('protocol')} {_rule_ports(rule.get('protocol'), rule.get('fromPort'), rule.get('toPort'))} from {sorted(cidrs & set(anywhere))[0]}"))
        elif t in ("aws:ec2/networkAcl:NetworkAcl", "aws:ec2/defaultNetworkAcl:DefaultNetworkAcl"):
            for rule in i.get("ingress") or []:
                if rule.get("cidrBlock") in anywhere or rule.get("ipv6CidrBlock") in anywhere:
                    if str(rule.get("action", "")).lower() == "allow":
                        findings.append((*at, f"{name}: NACL ingress rule {rule.get('ruleNo')} allows {rule.get('protocol')} {_rule_ports(rule.get('protocol'), rule.get('fromPort'), rule.get('toPort'))} from {rule.get('cidrBlock') or rule.get('ipv6CidrBlock')}"))
        elif t == "aws:ec2/securityGroupRule:SecurityGroupRule" and i.get("type") == "ingress":
            cidrs = set((i.get("cidrBlocks") or []) + (i.get("ipv6CidrBlocks") or []))
            if cidrs & set(anywhere):
                findings.append((*at, f"{name}: ingress {_rule_ports(i.get('protocol'), i.get('fromPort'), i.get('toPort'))} from {sorted(cidrs & set(anywhere))[0]}"))
        elif t == "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule":
            if i.get("cidrIpv4") == "0.0.0.0/0" or i.get("cidrIpv6") == "::/0":
                findings.append((*at, f"{name}: ingress {_rule_ports(i.get('ipProtocol'), i.get('fromPort'), i.get('toPort'))} from {i.get('cidrIpv4') or i.get('cidrIpv6')}"))
        elif t == "aws:ec2/networkAclRule:NetworkAclRule" and not i.get("egress"):
            if (i.get("cidrBlock") in anywhere or i.get("ipv6CidrBlock") in anywhere) and str(i.get("ruleAction")).lower() == "allow":
                findings.append((*at, f"{name}: NACL ingress rule {i.get('ruleNumber')} from {i.get('cidrBlock') or i.get('ipv6CidrBlock')}"))
    return sorted(findings)
