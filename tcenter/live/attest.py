"""`tcenter attest STACK|PLAN`: is the running account the one the reviewers approved?

Reads the live account read-only through boto3 (the standard AWS environment: profiles,
`AWS_ENDPOINT_URL`, region eu-central-2; botocore's standard retry mode; every list call
paginated) and compares it with the stack's plan:

- missing:  declared, not found in the account;
- extra:    found, not declared (internet gateways, NAT gateways, peering, public IPs, extra
            security group rules, extra role policies, grants on the center's keys, buckets
            outside the plan, CloudHSM clusters the plan does not declare);
- drifted:  found, but an attribute that matters differs;
- violation: the kit's own rules (tcenter/guardrails/) on what was read;
- unread:   a service that answered AccessDenied (reported, attest goes on);
- unsupported: an API the endpoint does not implement (moto: Route 53 Resolver DNS Firewall).

Declared resources are matched to live ones by their physical names and Name tags, never by
ids: a plan's ids are the mock engine's stand-ins. Live state is read into the plan's own
resource shape (type, name, inputs), so the same rules run on it.

Exit: 0 the account matches, 4 drift (anything missing, extra, drifted or violated),
3 error (including: nothing could be read). Never writes: every call is a Describe/Get/List.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from ..guardrails.check import check_plan
from .read import ATTESTED_TYPES, Live, canonical_policy, read_live
from .report import KINDS, AttestError, Finding, Report

AUTONAMED = "-*"

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
    started = time.monotonic()
    report = Report(stack=str(plan.get("stack", "?")))
    report.unattested_types = sorted({r["type"] for r in plan.get("resources") or []
                                      if r.get("custom") and r["type"] not in ATTESTED_TYPES
                                      and not r["type"].startswith("pulumi:providers:")})
    decl = declared(plan)
    live = read_live(session, plan, report,
                     descriptions={r["inputs"].get("description", "") for (t, _), r in decl.by_key.items()
                                   if t == "aws:kms/key:Key"},
                     buckets={n for (t, n) in decl.by_key if t == "aws:s3/bucket:Bucket"})
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



