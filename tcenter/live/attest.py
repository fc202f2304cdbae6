"""`tcenter attest STACK|PLAN`: is the running account the one the reviewers approved?

Reads the live account read-only through boto3 (the standard AWS environment: profiles,
`AWS_ENDPOINT_URL`, region eu-central-2; botocore's standard retry mode; every list call
paginated) and compares it with the stack's plan:

- missing:  declared, not found in the account;
- extra:    found, not declared, of the types the center uses (compare.EXTRA_TYPES), except
            what AWS creates itself (coverage.AWS_CREATED);
- drifted:  found, but a compared input differs (coverage.COMPARED; what cannot be read is
            listed with its reason in coverage.NOT_READABLE);
- violation: the kit's own rules (tcenter/guardrails/) on what was read;
- unread:   a service that answered AccessDenied (reported, attest goes on);
- unsupported: an API the endpoint does not implement (coverage.MOTO_UNSUPPORTED on moto).

Declared resources are found by identity (identity.py: names, Name tags, the live ids of the
resources they name), never by the plan's ids, which are the mock engine's stand-ins; each
stand-in is then resolved to the live id (resolve.py) before anything is compared.

Exit: 0 the account matches, 4 drift (anything missing, extra, drifted or violated),
3 error (including: nothing could be read). Never writes: every call is a Describe/Get/List.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from ..guardrails.check import check_plan
from . import coverage
from .compare import Entry, Trace, compare, extras, match, unattested
from .read import Live, Reader, Unread
from .read_audit import read_audit
from .read_cells import read_cells
from .read_compute import read_compute
from .read_iam import read_iam
from .read_keys import read_keys
from .read_network import read_network
from .read_storage import read_storage
from .report import KINDS, AttestError, Finding, Report
from .resolve import Resolver


def declared_names(plan: dict[str, Any], kind: str, field: str) -> set[str]:
    return {str((r.get("inputs") or {}).get(field)) for r in plan.get("resources") or [] if r["type"] == kind}


def read_live(session: Any, plan: dict[str, Any], report: Report) -> Live:
    """The account as far as it can be read."""
    reader = Reader(session, report)
    live = Live()
    steps: list[Callable[[], None]] = [
        lambda: setattr(live, "account", reader.call("sts", "get_caller_identity")["Account"]),
        lambda: read_keys(reader, live),  # first: the others name keys by ARN
        lambda: read_network(reader, live),
        lambda: read_compute(reader, live),
        lambda: read_iam(reader, live),
        lambda: read_cells(reader, live, declared_names(plan, "aws:sqs/queue:Queue", "name")),
        lambda: read_storage(reader, live, declared_names(plan, "aws:s3/bucket:Bucket", "bucket"),
                             declared_names(plan, "aws:dynamodb/table:Table", "name")),
        lambda: read_audit(reader, live, declared_names(plan, "aws:ssm/document:Document", "name")),
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


# The attributes the kit's rules judge, laid over the plan from what was read.
OVERLAY = {
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
    "aws:ebs/encryptionByDefault:EncryptionByDefault": ("enabled",),
    "aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock": (
        "blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"),
}


def live_plan(plan: dict[str, Any], entries: list[Entry]) -> dict[str, Any]:
    """The plan with what was read laid over each found resource's judged attributes: the rules
    then judge the account, in the shape they know."""
    found = {e.resource["urn"]: e for e in entries if e.live is not None}
    resources = []
    for resource in plan.get("resources") or []:
        entry = found.get(resource["urn"])
        if entry is not None and resource["type"] in OVERLAY:
            inputs = dict(resource.get("inputs") or {})
            for attribute in OVERLAY[resource["type"]]:
                if attribute in entry.live.inputs:  # type: ignore[union-attr]
                    value = entry.live.inputs[attribute]  # type: ignore[union-attr]
                    if isinstance(value, (dict, list)) and attribute in ("policy", "assumeRolePolicy"):
                        value = json.dumps(value, sort_keys=True)
                    inputs[attribute] = value
            resource = {**resource, "inputs": inputs}
        resources.append(resource)
    return {**plan, "resources": resources}


def attest(plan: dict[str, Any], session: Any, trace: Trace | None = None) -> Report:
    """TRACE, when given, sees every declared value compared (after stand-in resolution)."""
    return run(plan, session, trace)[0]


def run(plan: dict[str, Any], session: Any, trace: Trace | None = None) -> tuple[Report, list[Entry], Live]:
    """The report, and what it was made from: each declared resource with its live match, the live account."""
    started = time.monotonic()
    report = Report(stack=str(plan.get("stack", "?")))
    live = read_live(session, plan, report)
    if not live.read_types:
        raise AttestError("no service could be read: " + "; ".join(f.message for f in report.of("unread")))
    resolver = Resolver()
    entries = match(plan, live, resolver)
    report.unattested_types = sorted({r["type"] for r in plan.get("resources") or [] if r.get("custom")
                                      and (r["type"] not in coverage.COMPARED or r["type"] not in live.read_types)})
    compare(entries, live, report, trace, unattested(plan))
    extras(entries, live, report)
    planned = {(v.rule, v.urn, v.message) for v in check_plan(plan)}
    for violation in check_plan(live_plan(plan, entries)):
        if (violation.rule, violation.urn, violation.message) not in planned:
            report.findings.append(Finding("violation", violation.rule, violation.resource_name,
                                           f"[{violation.control}] {violation.message}"))
    report.findings.sort(key=lambda f: (KINDS.index(f.kind), f.type, f.name, f.message))
    report.seconds = time.monotonic() - started
    return report, entries, live
