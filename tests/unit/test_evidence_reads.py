"""Who reads the evidence, and from where, over the prod plan's own documents (an attacker's
reading: a principal, an action, an object - allowed or denied). Each organization reads its
own session transcripts and, with the audit-logs scope, the trail and the operators'
transcripts; never another organization's; nothing in the archive from outside the center;
operators' hosts never read reviewers' transcripts."""

from __future__ import annotations

import json

import pytest

from tests.unit import s3_policy

PROD = "zurich-prod"


def may(run, *args, source_vpce: str | None = None) -> bool:
    """s3_policy.may, from the center's own S3 endpoint unless told otherwise."""
    return s3_policy.may(*args, source_vpce=source_vpce or run.outputs["s3GatewayEndpointId"])


def _docs(run, role_name: str) -> list[dict]:
    return [json.loads(p.inputs["policy"]) for p in run.by_type("aws:iam/rolePolicy:RolePolicy")
            if p.inputs["role"] == role_name]


def _bucket_doc(run, bucket: str) -> dict:
    (policy,) = [p for p in run.by_type("aws:s3/bucketPolicy:BucketPolicy") if p.inputs["bucket"] == bucket]
    return json.loads(policy.inputs["policy"])


@pytest.fixture(scope="module")
def prod(declared):
    run = declared(PROD)
    archive = run.outputs["auditArchiveBucket"]
    prefix = run.outputs["sessionLogPrefix"]
    roles = {org: arn for org, arn in run.outputs["reviewerRoleArns"].items()}
    return run, archive, prefix, roles


def _reviewer(run, roles, org):
    arn = roles[org]
    return arn, _docs(run, arn.rsplit("/", 1)[1])


def test_prod_has_two_organizations_to_separate(prod):
    _, _, _, roles = prod
    assert len(roles) >= 2


def test_each_organization_reads_its_own_transcripts_only(prod):
    run, archive, prefix, roles = prod
    doc = _bucket_doc(run, archive)
    for org in roles:
        arn, identity = _reviewer(run, roles, org)
        assert may(run, "s3:GetObject", identity, doc, arn, f"arn:aws:s3:::{archive}/{prefix}{org}/s-1.log"), org
        for other in set(roles) - {org}:
            assert not may(run, "s3:GetObject", identity, doc, arn, f"arn:aws:s3:::{archive}/{prefix}{other}/s-1.log"), \
                f"{org} reads {other}'s transcripts"


def test_audit_logs_scope_reads_trail_and_operators_transcripts(prod):
    run, archive, prefix, roles = prod
    doc = _bucket_doc(run, archive)
    account = run.outputs["trailArn"].split(":")[4]
    audited = [f"cloudtrail/AWSLogs/{account}/CloudTrail/eu-central-2/2026/12/01/x.json.gz", f"{prefix}operators/s-1.log"]
    for org in roles:  # both prod organizations have the audit-logs scope
        arn, identity = _reviewer(run, roles, org)
        for key in audited:
            assert may(run, "s3:GetObject", identity, doc, arn, f"arn:aws:s3:::{archive}/{key}"), (org, key)


def _with_workstations(run, roles):
    return {org for org in roles if run.outputs["reviewerWorkstationIds"].get(org)}


def test_nothing_in_the_archive_is_read_from_outside_the_center(prod):
    """By an organization with workstations (it reads inside the center), or by anyone else."""
    run, archive, prefix, roles = prod
    doc = _bucket_doc(run, archive)
    everything = [{"Statement": [{"Effect": "Allow", "Action": ["s3:*"], "Resource": ["*"]}]}]
    inside = _with_workstations(run, roles)
    assert inside
    for org in inside:
        arn, identity = _reviewer(run, roles, org)
        for key in (f"{prefix}{org}/s-1.log", "cloudtrail/x.json.gz"):
            assert not may(run, "s3:GetObject", identity + everything, doc, arn, f"arn:aws:s3:::{archive}/{key}",
                           source_vpce="vpce-0somewhereelse"), (org, key)
    for signer in run.outputs["signerRoleArns"].values():
        assert not may(run, "s3:GetObject", everything, doc, signer, f"arn:aws:s3:::{archive}/cloudtrail/x.json.gz",
                       source_vpce="vpce-0somewhereelse")


def test_an_organization_without_workstations_reads_its_scopes_from_its_own_account_and_only_reads(prod):
    """Issue 29: the eu-certification-body has no workstation, so it reads from its own account,
    outside the center's endpoints: the trail and release records yes, writing or another
    organization's transcripts no."""
    run, archive, prefix, roles = prod
    doc = _bucket_doc(run, archive)
    remote = set(roles) - _with_workstations(run, roles)
    assert remote
    account = run.outputs["trailArn"].split(":")[4]
    for org in remote:
        arn, identity = _reviewer(run, roles, org)
        trail_file = f"arn:aws:s3:::{archive}/cloudtrail/AWSLogs/{account}/CloudTrail/eu-central-2/2026/x.json.gz"
        assert may(run, "s3:GetObject", identity, doc, arn, trail_file, source_vpce="vpce-0somewhereelse"), org
        everything = [{"Statement": [{"Effect": "Allow", "Action": ["s3:*"], "Resource": ["*"]}]}]
        assert not may(run, "s3:PutObject", identity + everything, doc, arn, trail_file, source_vpce="vpce-0somewhereelse")
        for other in set(roles) - {org}:
            assert not may(run, "s3:GetObject", identity, doc, arn, f"arn:aws:s3:::{archive}/{prefix}{other}/s-1.log",
                           source_vpce="vpce-0somewhereelse"), (org, other)


def test_access_logs_are_read_only_inside_the_center(prod):
    run = prod[0]
    bucket = run.outputs["accessLogBucket"]
    everything = [{"Statement": [{"Effect": "Allow", "Action": ["s3:*"], "Resource": ["*"]}]}]
    any_role = "arn:aws:iam::123456789012:role/anyone"
    assert not may(run, "s3:GetObject", everything, _bucket_doc(run, bucket), any_role, f"arn:aws:s3:::{bucket}/x",
                   source_vpce="vpce-0somewhereelse")


def test_operators_hosts_never_read_reviewers_transcripts(prod):
    run, archive, prefix, roles = prod
    doc = _bucket_doc(run, archive)
    hosts = {**run.outputs["builderRoleArns"], **run.outputs["signerRoleArns"]}
    assert hosts
    for host, arn in hosts.items():
        identity = _docs(run, arn.rsplit("/", 1)[1])
        for org in roles:
            assert not may(run, "s3:GetObject", identity, doc, arn, f"arn:aws:s3:::{archive}/{prefix}{org}/s-1.log"), host


def test_reviewers_read_log_events_only_through_the_logs_endpoint_and_not_each_others(prod):
    run, _, _, roles = prod
    groups = {lg.inputs["name"]: lg for lg in run.by_type("aws:cloudwatch/logGroup:LogGroup")}
    for org in roles:
        arn, identity = _reviewer(run, roles, org)
        reads = [s for d in identity for s in d["Statement"]
                 if s["Effect"] == "Allow" and "logs:GetLogEvents" in s["Action"]]
        assert reads, org
        remote = org not in _with_workstations(run, roles)
        for s in reads:
            if remote and not any(r.removesuffix(":*").endswith(f"ssm-sessions/{org}") for r in s["Resource"]):
                continue  # the audit log groups, read from the organization's own account
            assert s.get("Condition", {}).get("StringEquals", {}).get("aws:SourceVpce"), (org, s["Sid"])
        readable = " ".join(r for s in reads for r in s["Resource"])
        assert any(name.endswith(f"/ssm-sessions/{org}") for name in groups), org
        for other in set(roles) - {org}:
            assert f"ssm-sessions/{other}" not in readable, f"{org} reads {other}'s session log group"
