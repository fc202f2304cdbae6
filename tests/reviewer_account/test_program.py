"""The reviewer organization's own project (reviewer_account/) on the mock engine: the center's
evidence lands where the center stack sends it, from the center's trails and forwarder only,
locked and under the organization's own key; config errors name their key."""

from __future__ import annotations

import json

import pytest
from moto.iam.policy_validation import IAMPolicyDocumentValidator

from components import evidence
from reviewer_account.config import ReviewerAccountConfigError, center_of, load_config
from tcenter.core.stackfiles import PROJECT_ROOT, load_stack_values
from tcenter.plan.format import plan_stack
from tests.organization.scp_eval import denied_by
from tests.unit.test_detective import _service_may

PROJECT = PROJECT_ROOT / "reviewer_account"
STACKS = sorted(p.name[len("Pulumi."):-len(".yaml")] for p in (PROJECT / "stacks").glob("Pulumi.*.yaml"))


@pytest.fixture(scope="module", params=STACKS)
def plan(request):
    return plan_stack(request.param, project_dir=PROJECT)


def of_type(plan, suffix):
    return [r for r in plan["resources"] if r["type"].endswith(suffix)]


def config_of(plan):
    return load_config(load_stack_values(plan["stack"], PROJECT), plan["stack"])


def test_every_stack_is_an_organization_of_the_center_in_its_own_account(plan):
    config = config_of(plan)
    center = center_of(config, plan["stack"])
    assert config.account_id != center.access.account_id
    (provider,) = of_type(plan, "pulumi:providers:aws")
    assert json.loads(provider["inputs"]["allowedAccountIds"]) == [config.account_id]


def test_the_center_delivers_exactly_where_this_project_receives(plan, center):
    """Cross-check the two plans: the center's evidence trail and event target name this
    organization's bucket, key alias and bus; this project declares exactly those."""
    config = config_of(plan)
    (trail,) = [t for t in center["resources"] if t["type"] == "aws:cloudtrail/trail:Trail"
                and t["inputs"]["name"] == evidence.evidence_trail_name("zurich-prod", config.organization)]
    (bucket,) = of_type(plan, "bucket:Bucket")
    (alias,) = of_type(plan, "alias:Alias")
    (bus,) = of_type(plan, "eventBus:EventBus")
    assert trail["inputs"]["s3BucketName"] == bucket["inputs"]["bucket"]
    assert trail["inputs"]["kmsKeyId"] == f"arn:aws:kms:eu-central-2:{config.account_id}:{alias['inputs']['name']}"
    assert trail["inputs"]["enableLogFileValidation"] is True
    targets = [t["inputs"]["arn"] for t in center["resources"] if t["type"] == "aws:cloudwatch/eventTarget:EventTarget"]
    assert f"arn:aws:events:eu-central-2:{config.account_id}:event-bus/{bus['inputs']['name']}" in targets


def test_only_the_centers_trails_write_and_only_under_their_prefix(plan, center):
    config = config_of(plan)
    (policy,) = of_type(plan, "bucketPolicy:BucketPolicy")
    document = json.loads(policy["inputs"]["policy"])
    bucket = f"arn:aws:s3:::{evidence.evidence_bucket_name('zurich-prod', config.account_id)}"
    center_trail = evidence.center_trail_arn("333333333333", "zurich-prod", config.organization)
    base = {"aws:SecureTransport": "true", "s3:x-amz-acl": "bucket-owner-full-control", "aws:PrincipalIsAWSService": "true"}
    digest = f"{bucket}/center/AWSLogs/333333333333/CloudTrail-Digest/eu-central-2/2026/x.json.gz"
    assert _service_may(document, "s3:PutObject", digest, {**base, "aws:SourceArn": center_trail}, "cloudtrail.amazonaws.com")
    assert not _service_may(document, "s3:PutObject", f"{bucket}/organization/AWSLogs/x",
                            {**base, "aws:SourceArn": center_trail}, "cloudtrail.amazonaws.com"), "wrong prefix"
    other = center_trail.replace(config.organization, "someone-else")
    assert not _service_may(document, "s3:PutObject", digest, {**base, "aws:SourceArn": other}, "cloudtrail.amazonaws.com")
    assert denied_by(document, "s3:GetObject", f"{bucket}/x", {"aws:SecureTransport": "false"})


def test_the_bucket_is_locked_in_compliance_mode_and_retained(plan):
    config = config_of(plan)
    (lock,) = of_type(plan, "BucketObjectLockConfiguration")
    assert lock["inputs"]["rule"]["defaultRetention"] == {"mode": "COMPLIANCE", "days": config.retention_days}
    (bucket,) = of_type(plan, "bucket:Bucket")
    assert bucket["inputs"]["objectLockEnabled"] is True and bucket["options"]["protect"]
    (block,) = of_type(plan, "BucketPublicAccessBlock")
    assert all(block["inputs"][k] for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"))


def test_only_the_centers_forwarder_puts_events_and_everything_is_kept(plan):
    config = config_of(plan)
    (bus_policy,) = of_type(plan, "eventBusPolicy:EventBusPolicy")
    (statement,) = json.loads(bus_policy["inputs"]["policy"])["Statement"]
    assert statement["Principal"] == {"AWS": f"arn:aws:iam::333333333333:role/{evidence.forwarder_role_name('zurich-prod')}"}
    assert statement["Action"] == ["events:PutEvents"]
    (archive,) = of_type(plan, "eventArchive:EventArchive")
    assert archive["inputs"]["retentionDays"] == config.retention_days
    (group,) = of_type(plan, "logGroup:LogGroup")
    assert group["inputs"]["retentionInDays"] >= 365 and group["propertyDependencies"]["kmsKeyId"]


def test_the_key_is_the_organizations_and_cloudtrail_only_encrypts_for_the_named_trails(plan):
    config = config_of(plan)
    (key,) = of_type(plan, "key:Key")
    statements = {s["Sid"]: s for s in json.loads(key["inputs"]["policy"])["Statement"]}
    assert statements["ReviewerAccountAdministersAndReads"]["Principal"] == {"AWS": f"arn:aws:iam::{config.account_id}:root"}
    trails = statements["CloudTrailEncryptsForTheCentersTrails"]["Condition"]["StringEquals"]["aws:SourceArn"]
    assert evidence.center_trail_arn("333333333333", "zurich-prod", config.organization) in trails
    assert all(":trail/" in t for t in trails)


def test_every_document_passes_moto(plan):
    for resource in plan["resources"]:
        for key in ("policy", "policyDocument"):
            value = resource["inputs"].get(key)
            if isinstance(value, str) and value.startswith("{"):
                doc = json.loads(value)
                stripped = {**doc, "Statement": [{k: v for k, v in s.items() if k != "Principal"} for s in doc["Statement"]]}
                IAMPolicyDocumentValidator(json.dumps(stripped)).validate()


@pytest.mark.parametrize("key,value,names", [
    ("accountId", "12345", "accountId"), ("accountId", "111122223333", "accountId"), ("organization", "nobody", "organization"),
    ("centerStack", "no-such-stack", "centerStack"), ("retentionDays", 30, "retentionDays")])
def test_bad_config_names_the_key(key, value, names):
    raw = dict(load_stack_values(STACKS[0], PROJECT))
    raw[f"tc-reviewer-account:{key}"] = value
    with pytest.raises(ReviewerAccountConfigError) as caught:
        center_of(load_config(raw, STACKS[0]), STACKS[0])
    assert f"tc-reviewer-account:{names}" in str(caught.value)


def test_plans_are_deterministic():
    assert plan_stack(STACKS[0], project_dir=PROJECT) == plan_stack(STACKS[0], project_dir=PROJECT)
