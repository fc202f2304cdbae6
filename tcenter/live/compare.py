"""Declared against live: match each declared resource to the live one by identity (in passes,
resolving the plan's stand-in ids as resources are found), compare every input the coverage
table lists, and report what the account holds that the plan does not declare."""

from __future__ import annotations

import base64
import binascii
import gzip
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import coverage
from .identity import declared_key, matches
from .read import Live, LiveResource, canonical_policy
from .report import Finding, Report
from .resolve import Resolver, invented

DOCUMENTS = {"policy", "assumeRolePolicy", "eventPattern", "content", "inputParameters", "configuration"}
KEY_FIELDS = {"kmsKeyId", "kmsMasterKeyId", "keyArn", "s3KmsKeyArn", "kmsKeyArn"}
LOG_ARNS = {"cloudWatchLogsGroupArn", "logDestination", "destinationArn"}
ID_LISTS = {"subnetIds", "securityGroupIds", "routeTableIds", "vpcSecurityGroupIds", "alarmActions", "domains",
            "vpcZoneIdentifiers"}
NOTIFICATION_LISTS = {"queues", "lambdaFunctions", "topics"}
REDRIVE = {"redrivePolicy", "redriveAllowPolicy"}
BASE64 = {"userDataBase64", "userData"}

# Types whose unmatched live resources are reported as extras (what the center's zones use).
EXTRA_TYPES = (
    "aws:ec2/vpc:Vpc", "aws:ec2/subnet:Subnet", "aws:ec2/securityGroup:SecurityGroup", "aws:ec2/networkAcl:NetworkAcl",
    "aws:ec2/routeTable:RouteTable", "aws:ec2/route:Route", "aws:ec2/routeTableAssociation:RouteTableAssociation",
    "aws:ec2/vpcEndpoint:VpcEndpoint", "aws:ec2/networkInterface:NetworkInterface", "aws:ec2/instance:Instance",
    "aws:ec2/launchTemplate:LaunchTemplate", "aws:cloudhsmv2/cluster:Cluster", "aws:cloudhsmv2/hsm:Hsm",
    "aws:iam/role:Role", "aws:iam/user:User", "aws:iam/accessKey:AccessKey", "aws:iam/group:Group",
    "aws:iam/rolePolicy:RolePolicy", "aws:iam/rolePolicyAttachment:RolePolicyAttachment", "aws:iam/policy:Policy",
    "aws:iam/instanceProfile:InstanceProfile", "aws:kms/key:Key", "aws:kms/alias:Alias", "aws:kms/grant:Grant",
    "aws:s3/bucket:Bucket", "aws:dynamodb/table:Table", "aws:cloudtrail/trail:Trail", "aws:cloudwatch/logGroup:LogGroup",
    "aws:sns/topic:Topic", "aws:sns/topicSubscription:TopicSubscription", "aws:cloudwatch/eventRule:EventRule",
    "aws:cloudwatch/eventTarget:EventTarget", "aws:autoscaling/group:Group", "aws:sqs/queue:Queue",
    "aws:s3/bucketNotification:BucketNotification",
)
# One live resource several declarations may share: AWS keeps one notification configuration per
# bucket, which the plan may declare in parts (a queue from one component, a function from another);
# each part compares its destinations, and a destination no part names is drift.
SHARED = ("aws:s3/bucketNotification:BucketNotification",)
# Pieces of a VPC: when their VPC is not the center's, the VPC alone is reported.
VPC_PIECES = ("aws:ec2/subnet:Subnet", "aws:ec2/securityGroup:SecurityGroup", "aws:ec2/networkAcl:NetworkAcl",
              "aws:ec2/routeTable:RouteTable", "aws:ec2/route:Route", "aws:ec2/routeTableAssociation:RouteTableAssociation")
# Children of a role: when the role itself is extra (or AWS's), the role alone is reported.
ROLE_CHILDREN = ("aws:iam/rolePolicy:RolePolicy", "aws:iam/rolePolicyAttachment:RolePolicyAttachment")

Trace = Callable[[str, str, str, Any], None]


@dataclass
class Entry:
    resource: dict[str, Any]
    inputs: dict[str, Any]
    key: str | None = None
    live: LiveResource | None = None


def match(plan: dict[str, Any], live: Live, resolver: Resolver) -> list[Entry]:
    """Every declared resource of a compared type, found in passes (a resource named by another's
    live id is found once that one is)."""
    entries = [Entry(r, r.get("inputs") or {}) for r in plan.get("resources") or []
               if r.get("custom") and r["type"] in coverage.COMPARED]
    key_aliases: dict[str, list[str]] = {}
    for r in plan.get("resources") or []:
        if r["type"] == "aws:kms/alias:Alias":
            key_aliases.setdefault(str((r.get("inputs") or {}).get("targetKeyId", "")), []).append(r["inputs"]["name"])
    by_type: dict[str, list[LiveResource]] = {}
    for resource in live.by_key.values():
        by_type.setdefault(resource.type, []).append(resource)
    taken: set[int] = set()
    for _ in range(8):
        resolver.settle()
        progress = False
        for entry in entries:
            if entry.live is not None:
                continue
            entry.inputs = resolver.apply(entry.resource.get("inputs") or {})
            entry.key = declared_key(entry.resource, entry.inputs, key_aliases)
            if entry.key is None:
                continue
            found = [r for r in by_type.get(entry.resource["type"], []) if id(r) not in taken and matches(entry.key, r.key)]
            if found:
                entry.live = found[0]
                if entry.resource["type"] not in SHARED:
                    taken.add(id(found[0]))
                resolver.learn(entry.resource, found[0].ids)
                progress = True
        if not progress:
            break
    resolver.settle()
    for entry in entries:  # with every stand-in learnt, also from resources found after this one
        entry.inputs = resolver.apply(entry.resource.get("inputs") or {})
    return entries


# --- normal forms -----------------------------------------------------------------------------

def plain(value: Any) -> Any:
    """None-valued members dropped, 'true'/'false' strings as booleans, whole floats as ints."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in sorted(value.items()) if v is not None}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, str) and value in ("true", "false"):
        return value == "true"
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def keys_named(value: Any, live: Live) -> Any:
    """Every key reference (by id, ARN or alias, at any depth) as the key's ARN."""
    if isinstance(value, dict):
        return {k: (live.key_ref(v) if k in KEY_FIELDS else keys_named(v, live)) for k, v in value.items()}
    if isinstance(value, list):
        return [keys_named(v, live) for v in value]
    return value


def rule_texts(rules: list[dict[str, Any]] | None, own_id: str) -> list[str]:
    """Security group rules, one text per source: `tcp/443-443 from 10.0.0.0/16`."""
    out = set()
    for rule in rules or []:
        protocol = str(rule.get("protocol", rule.get("ipProtocol")))
        protocol = "-1" if protocol in ("-1", "all") else {"6": "tcp", "17": "udp", "1": "icmp"}.get(protocol, protocol)
        ports = "all" if protocol == "-1" else f"{protocol}/{rule.get('fromPort', 0)}-{rule.get('toPort', 0)}"
        sources = [*(rule.get("cidrBlocks") or []), *(rule.get("ipv6CidrBlocks") or []), *(rule.get("prefixListIds") or []),
                   *(rule.get("securityGroups") or []), *([own_id] if rule.get("self") else [])]
        if rule.get("referencedSecurityGroupId") or rule.get("cidrIpv4"):
            sources.append(rule.get("referencedSecurityGroupId") or rule.get("cidrIpv4"))
        out.update(f"{ports} {source}" for source in sources)
    return sorted(out)


def nacl_texts(entries: list[dict[str, Any]] | None, cidr_service: dict[str, str]) -> list[str]:
    """NACL entries in rule order; a prefix list's CIDRs (declared: the mock's stand-ins; live: the
    list's real CIDRs, whose number AWS decides) as one `<s3 prefix list>` entry."""
    out: list[str] = []
    for entry in sorted(entries or [], key=lambda e: e.get("ruleNo", 0)):
        protocol = {"6": "tcp", "17": "udp", "1": "icmp", "all": "-1"}.get(str(entry.get("protocol")), str(entry.get("protocol")))
        cidr = entry.get("cidrBlock")
        source = f"<{cidr_service[cidr]} prefix list>" if cidr in cidr_service else cidr
        text = f"{entry.get('action')} {protocol}/{entry.get('fromPort', 0)}-{entry.get('toPort', 0)} {source}"
        if not (out and out[-1] == text and source != cidr):
            out.append(text)
    return out


def decoded(value: Any) -> Any:
    if isinstance(value, str):
        try:
            raw = base64.b64decode(value, validate=True)
            return (gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw).decode()  # user data is gzip (hosts.py)
        except (binascii.Error, UnicodeDecodeError, OSError, EOFError):
            return value
    return value


def normal(kind: str, name: str, value: Any, live: Live, context: dict[str, Any], side: str) -> Any:
    """One input in the form both sides compare in."""
    if name == "tags" and isinstance(value, list):  # an Auto Scaling group's: key, value, propagateAtLaunch
        return sorted((plain(t) for t in value), key=lambda t: json.dumps(t, sort_keys=True))
    if name == "tags":
        return dict(value or {})
    if name in NOTIFICATION_LISTS:  # S3 names each configuration (an id it generates when none is given)
        return sorted(({k: sorted(v) if k == "events" else v for k, v in plain(item).items() if k != "id"}
                       for item in keys_named(value or [], live)), key=lambda i: json.dumps(i, sort_keys=True))
    if name in DOCUMENTS:
        return canonical_policy(value) if value not in (None, "", {}) else None
    if name in REDRIVE:  # SQS's JSON attributes; SetQueueAttributes takes the receive count as a string or a number
        document = canonical_policy(value) if value not in (None, "", {}) else None
        return {**document, "maxReceiveCount": int(document["maxReceiveCount"])} \
            if isinstance(document, dict) and str(document.get("maxReceiveCount", "")).isdigit() else document
    if name in ("ingress", "egress") and "securityGroup" in kind:
        return rule_texts(value, context.get("own_id", ""))
    if name in ("ingress", "egress"):
        services = context["declared_cidrs"] if side == "declared" else context["live_cidrs"]
        return nacl_texts(value, services)
    if name in BASE64:
        return decoded(value)
    if name in LOG_ARNS and isinstance(value, str):
        return value.removesuffix(":*")
    if name in KEY_FIELDS or name == "targetKeyId":
        return live.key_ref(value)
    if name in ID_LISTS:
        return sorted(value or [])
    if name == "advancedEventSelectors":
        return canonical_policy(plain(value or []))
    if name == "rules" and kind.endswith("BucketLifecycleConfiguration"):
        return canonical_policy([{**plain(r), "filter": {k: v for k, v in (plain(r).get("filter") or {}).items() if v not in ("", {})}}
                                 for r in value or []])
    return plain(keys_named(value, live))


def unknowable(entries: list[Entry], live: Live) -> set[str]:
    """The stand-ins of declared resources whose type could not be read (AccessDenied, not
    implemented): what they resolve to cannot be known, so nothing naming them is compared."""
    values: set[str] = set()
    for entry in entries:
        if entry.live is None and entry.resource["type"] not in live.read_types:
            values |= invented({"resources": [entry.resource]})
    return values


def unattested(plan: dict[str, Any]) -> set[str]:
    """The stand-ins of declared resources of types attest does not read at all (the intake's
    functions): never resolved, so nothing naming them is compared (it would be false drift)."""
    return invented({"resources": [r for r in plan.get("resources") or [] if r.get("custom")
                                   and r["type"] not in coverage.COMPARED and not r["type"].startswith("pulumi:")]})


def names_any(value: Any, tokens: set[str]) -> bool:
    text = json.dumps(value, sort_keys=True)
    return any(token in text for token in tokens)


def compare(entries: list[Entry], live: Live, report: Report, trace: Trace | None = None,
            not_read: set[str] | None = None) -> None:
    """NOT_READ: the stand-ins of declared types attest does not read (`unattested`)."""
    declared_cidrs = context_cidrs(entries)
    hidden = unknowable(entries, live)
    not_read = (not_read or set()) - hidden
    shared: dict[int, set[str]] = {}  # a live resource several declarations share -> the inputs they declare
    for entry in entries:
        if entry.live is not None and entry.resource["type"] in SHARED:
            shared.setdefault(id(entry.live), set()).update(entry.inputs)
    live_cidrs = {cidr: service for service, cidrs in live.prefix_lists.items() for cidr in cidrs}
    standalone: dict[str, list[dict[str, Any]]] = {}
    for entry in entries:
        if entry.resource["type"] == "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule":
            standalone.setdefault(entry.inputs.get("securityGroupId", ""), []).append(entry.inputs)
    for entry in sorted(entries, key=lambda e: (e.resource["type"], e.resource["name"])):
        kind, name = entry.resource["type"], entry.resource["name"]
        if kind not in live.read_types:
            continue  # not read (unread, unsupported): reported as such
        shown = entry.key or name
        if entry.live is None:
            report.findings.append(Finding("missing", kind, name, f"{shown}: declared, not found in the account"))
            continue
        have_all = entry.live.inputs
        context = {"own_id": entry.live.ids.get("id", ""), "declared_cidrs": declared_cidrs, "live_cidrs": live_cidrs}
        skipped: list[str] = []
        unattested_names: list[str] = []
        for field, label in coverage.COMPARED[kind].items():
            if field not in have_all:
                continue  # the reader could not read it here (recorded as unsupported)
            if field in entry.inputs:
                want = entry.inputs[field]
            elif field in shared.get(id(entry.live), set()):
                continue  # another declaration of the same live resource names it, and compares it
            elif (kind, field) in coverage.DEFAULTS:
                want = coverage.DEFAULTS[(kind, field)]
            else:
                continue  # not declared: AWS's choice
            if field == "ingress" and "securityGroup" in kind:
                want = list(want or []) + standalone.get(context["own_id"], [])
            if hidden and names_any(want, hidden):
                skipped.append(label)
                continue
            if not_read and names_any(want, not_read):
                unattested_names.append(label)
                continue
            if trace is not None:
                trace(kind, name, field, want)
            expected = normal(kind, field, want, live, context, "declared")
            actual = normal(kind, field, have_all[field], live, context, "live")
            if expected != actual:
                report.findings.append(Finding("drifted", kind, name, f"{shown}: {label}: {difference(expected, actual)}"))
        if skipped:
            report.findings.append(Finding("unread", kind, name, f"{shown}: not compared: {', '.join(skipped)} (they name "
                                           "resources of a service attest could not read)"))
        if unattested_names:
            report.findings.append(Finding("unread", kind, name, f"{shown}: not compared: {', '.join(unattested_names)} "
                                           "(they name resources of types attest does not read yet: their ids are unknown)"))
    # groups AWS made for a service (CloudHSM's) hold only the declared standalone rules
    for group_id, rules in standalone.items():
        group = next((r for r in live.by_key.values() if r.type == "aws:ec2/securityGroup:SecurityGroup"
                      and r.ids.get("id") == group_id and r.exempt), None)
        if group is not None:
            extra = sorted(set(rule_texts(group.inputs.get("ingress"), group_id)) - set(rule_texts(rules, group_id)))
            for rule in extra:
                report.findings.append(Finding("extra", group.type, group.label, f"{group.label}: extra ingress rule {rule}"))


def context_cidrs(entries: list[Entry]) -> dict[str, str]:
    """The stand-in CIDRs of each gateway service's prefix list, from the declared endpoints' outputs."""
    out = {}
    for entry in entries:
        if entry.resource["type"] == "aws:ec2/vpcEndpoint:VpcEndpoint":
            service = str(entry.resource["inputs"].get("serviceName", "")).rsplit(".", 1)[-1]
            out.update({cidr: service for cidr in (entry.resource.get("outputs") or {}).get("cidrBlocks") or []})
    return out


def difference(expected: Any, actual: Any) -> str:
    if isinstance(expected, list) and isinstance(actual, list) and all(isinstance(v, str) for v in expected + actual):
        gone, added = sorted(set(expected) - set(actual)), sorted(set(actual) - set(expected))
        if gone or added:
            return "; ".join([*(f"extra {a}" for a in added), *(f"declared {g} is gone" for g in gone)])
    return f"declared {json.dumps(expected, sort_keys=True)}, found {json.dumps(actual, sort_keys=True)}"


def extras(entries: list[Entry], live: Live, report: Report) -> None:
    """Live resources no declared one matched, of the types the center uses; AWS's own left out."""
    matched = {id(e.live) for e in entries if e.live is not None}
    center_vpcs = {e.live.ids.get("id") for e in entries if e.live is not None and e.resource["type"] == "aws:ec2/vpc:Vpc"}
    matched_roles = {e.live.key for e in entries if e.live is not None and e.resource["type"] == "aws:iam/role:Role"
                     and not e.live.exempt}
    for resource in sorted(live.by_key.values(), key=lambda r: (r.type, r.key)):
        if id(resource) in matched or resource.exempt or resource.type not in EXTRA_TYPES:
            continue
        if resource.type in VPC_PIECES and resource.vpc not in center_vpcs:
            continue
        if resource.type in ROLE_CHILDREN and resource.inputs.get("role") not in matched_roles:
            continue
        label = resource.label or resource.key
        report.findings.append(Finding("extra", resource.type, label, f"{label}: found in the account, not in the plan"))
    report.findings.extend(live.extras)
