"""The audit store and the trail as declared by each stack: CloudTrail everywhere, validated,
encrypted, delivered to the locked archive and to an encrypted log group, recording object
access to every customer data store; the archive's bucket and key policies admit exactly
this trail; session log destinations exist for the reviewers' sessions."""

from __future__ import annotations

import json

import pytest

from components.config import ConfigError, load_config
from components.config.network import PROD_MIN_LOG_RETENTION_DAYS
from tcenter.core.stackfiles import load_stack_values
from tcenter.plan.engine import to_pulumi_config
from tests.helpers import expect_refused

NS = "transparency-center"


def _audit_config(run) -> dict:
    return load_stack_values(run.stack)[f"{NS}:audit"]


def _account(run) -> str:
    return load_stack_values(run.stack)[f"{NS}:access"]["accountId"]


def _policy(resource) -> dict:
    value = resource.inputs["policy"]
    return json.loads(value) if isinstance(value, str) else value


def _one(run, type_: str, suffix: str):
    found = [r for r in run.by_type(type_) if r.name.endswith(suffix)]
    assert len(found) == 1, f"{len(found)} {type_} named *{suffix}"
    return found[0]


def _trail(run):
    """The center's own trail (the others deliver to reviewer organizations: test_evidence_delivery.py)."""
    (trail,) = [t for t in run.by_type("aws:cloudtrail/trail:Trail") if t.inputs["name"].endswith("-audit-trail")]
    return trail


def _archive_bucket(run):
    (bucket,) = [b for b in run.by_type("aws:s3/bucket:Bucket") if b.inputs["bucket"] == run.outputs["auditArchiveBucket"]]
    return bucket


def _bucket_resource(run, bucket, type_: str):
    (found,) = [r for r in run.by_type(type_) if r.inputs.get("bucket") == bucket.id]
    return found


def _audit_key(run):
    (key,) = [k for k in run.by_type("aws:kms/key:Key") if k.outputs["arn"] == run.outputs["auditKeyArn"]]
    return key


def test_one_trail_for_every_region_with_validation_and_encryption(each_stack):
    trail = _trail(each_stack).inputs
    assert trail["isMultiRegionTrail"] is True
    assert trail["includeGlobalServiceEvents"] is True
    assert trail["enableLogFileValidation"] is True
    assert trail.get("enableLogging", True) is True
    assert trail["kmsKeyId"] == each_stack.outputs["auditKeyArn"]
    assert trail["s3BucketName"] == each_stack.outputs["auditArchiveBucket"]
    assert each_stack.outputs["trailArn"] == _trail(each_stack).outputs["arn"]


def test_trail_delivers_to_an_encrypted_log_group_through_a_narrow_role(each_stack):
    trail = _trail(each_stack).inputs
    group = _one(each_stack, "aws:cloudwatch/logGroup:LogGroup", "trail-logs")
    assert trail["cloudWatchLogsGroupArn"] == group.outputs["arn"] + ":*"
    assert group.inputs["kmsKeyId"] == each_stack.outputs["auditKeyArn"]
    assert group.inputs["retentionInDays"] == _audit_config(each_stack)["logRetentionDays"]
    (role,) = [r for r in each_stack.by_type("aws:iam/role:Role") if r.outputs["arn"] == trail["cloudWatchLogsRoleArn"]]
    trust = json.loads(role.inputs["assumeRolePolicy"])
    assert [s["Principal"] for s in trust["Statement"]] == [{"Service": "cloudtrail.amazonaws.com"}]
    statements = [s for p in each_stack.by_type("aws:iam/rolePolicy:RolePolicy") if p.inputs["role"] == role.inputs["name"]
                  for s in _policy(p)["Statement"]]
    assert statements == [{
        "Sid": "DeliverTrailToLogGroup", "Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
        "Resource": [group.outputs["arn"] + ":log-stream:*"],
    }]


def test_trail_records_management_events_and_object_access_to_every_store(each_stack):
    selectors = _trail(each_stack).inputs["advancedEventSelectors"]
    categories = [{f["field"]: f for f in s["fieldSelectors"]} for s in selectors]
    management = [c for c in categories if c["eventCategory"]["equals"] == ["Management"]]
    assert management and all(set(c) == {"eventCategory"} for c in management), "every management event, read and write"
    s3_data = [c for c in categories if c["eventCategory"]["equals"] == ["Data"]
               and c["resources.type"]["equals"] == ["AWS::S3::Object"]]
    # Reads and writes: the selector without a readOnly filter. The evidence buckets'
    # reads-only selector is tested in test_evidence_events.py.
    (data,) = [c for c in s3_data if "readOnly" not in c]
    # Besides: the evidence buckets' reads, and writes under the archive's transcript and release
    # record prefixes (test_evidence_events.py).
    archive = f"arn:aws:s3:::{each_stack.outputs['auditArchiveBucket']}/"
    assert all(c["readOnly"]["equals"] == ["true"] or all(p.startswith(archive) for p in c["resources.ARN"]["startsWiths"])
               for c in s3_data if c is not data)
    watched = set(data["resources.ARN"]["startsWiths"])
    for bucket in each_stack.outputs["dataStoreBuckets"].values():
        assert f"arn:aws:s3:::{bucket}/" in watched
    for output in ("sourceMirrorBucket", "buildArtifactsBucket", "releaseBucket"):
        assert f"arn:aws:s3:::{each_stack.outputs[output]}/" in watched, output
    assert f"arn:aws:s3:::{each_stack.outputs['auditArchiveBucket']}/" not in watched, "the trail never watches its own delivery"


def test_archive_bucket_policy_admits_exactly_this_trails_delivery(each_stack):
    trail = _trail(each_stack)
    trail_arn, prefix, account = trail.outputs["arn"], trail.inputs["s3KeyPrefix"], _account(each_stack)
    archive = _archive_bucket(each_stack)
    archive_arn = archive.outputs["arn"]
    statements = {s["Sid"]: s for s in _policy(_bucket_resource(each_stack, archive, "aws:s3/bucketPolicy:BucketPolicy"))["Statement"]}
    acl = statements["CloudTrailAclCheck"]
    assert acl["Principal"] == {"Service": "cloudtrail.amazonaws.com"}
    assert acl["Action"] == ["s3:GetBucketAcl"] and acl["Resource"] == archive_arn
    assert acl["Condition"] == {"StringEquals": {"aws:SourceArn": trail_arn}}
    write = statements["CloudTrailWrite"]
    assert write["Principal"] == {"Service": "cloudtrail.amazonaws.com"}
    assert write["Action"] == ["s3:PutObject"]
    assert write["Resource"] == f"{archive_arn}/{prefix}/AWSLogs/{account}/*"
    assert write["Condition"] == {"StringEquals": {"aws:SourceArn": trail_arn, "s3:x-amz-acl": "bucket-owner-full-control"}}
    policy_urn = _bucket_resource(each_stack, archive, "aws:s3/bucketPolicy:BucketPolicy").urn
    assert policy_urn in trail.dependencies, "the trail is created after the policy that lets it deliver"


def test_audit_key_lets_this_trail_encrypt_and_logs_use_it(each_stack):
    trail_arn = _trail(each_stack).outputs["arn"]
    statements = {s["Sid"]: s for s in _policy(_audit_key(each_stack))["Statement"]}
    encrypt = statements["CloudTrailEncryptLogs"]
    assert encrypt["Principal"] == {"Service": "cloudtrail.amazonaws.com"}
    assert encrypt["Action"] == ["kms:GenerateDataKey*"]
    assert encrypt["Condition"]["StringEquals"] == {"aws:SourceArn": trail_arn}
    assert encrypt["Condition"]["StringLike"] == {
        "kms:EncryptionContext:aws:cloudtrail:arn": f"arn:aws:cloudtrail:*:{_account(each_stack)}:trail/*"}
    assert statements["CloudTrailDescribeKey"]["Condition"] == {"StringEquals": {"aws:SourceArn": trail_arn}}
    assert statements["CloudWatchLogsEncryptLogGroups"]["Principal"] == {"Service": "logs.eu-central-2.amazonaws.com"}


def test_archive_is_locked_and_logged(each_stack):
    config = _audit_config(each_stack)
    archive = _archive_bucket(each_stack)
    lock = _bucket_resource(each_stack, archive, "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration")
    assert lock.inputs["rule"]["defaultRetention"] == {"mode": config["archiveLockMode"], "days": config["archiveRetentionDays"]}
    if each_stack.stack == "zurich-prod":
        assert config["archiveLockMode"] == "COMPLIANCE"
    logging = _bucket_resource(each_stack, archive, "aws:s3/bucketLogging:BucketLogging")
    assert logging.inputs["targetBucket"] == each_stack.outputs["accessLogBucket"]


def test_session_log_destinations_are_encrypted_and_kept(each_stack):
    config = _audit_config(each_stack)
    assert each_stack.outputs["sessionLogBucket"] == each_stack.outputs["auditArchiveBucket"]
    assert each_stack.outputs["sessionLogPrefix"].endswith("/")
    (group,) = [g for g in each_stack.by_type("aws:cloudwatch/logGroup:LogGroup")
                if g.inputs["name"] == each_stack.outputs["sessionLogGroup"]]
    assert group.inputs["kmsKeyId"] == each_stack.outputs["auditKeyArn"]
    assert group.inputs["retentionInDays"] == config["logRetentionDays"]


def test_every_log_group_is_encrypted_and_prod_keeps_a_year(each_stack):
    groups = each_stack.by_type("aws:cloudwatch/logGroup:LogGroup")
    assert len(groups) >= 3  # flow logs, trail, sessions
    for group in groups:
        assert group.inputs.get("kmsKeyId", "").startswith("arn:aws:kms:eu-central-2:"), group.urn
        if each_stack.stack == "zurich-prod":
            assert group.inputs["retentionInDays"] >= PROD_MIN_LOG_RETENTION_DAYS, group.urn


# --- config ------------------------------------------------------------------------------



@pytest.mark.parametrize("field, value, reason", [
    ("logRetentionDays", 90, "365"),
    ("archiveRetentionDays", 30, "365"),
    ("archiveLockMode", "GOVERNANCE", "COMPLIANCE"),
])
def test_prod_audit_below_its_minimums_is_refused(declare_with, stack_values, field, value, reason):
    values = stack_values("zurich-prod")
    values[f"{NS}:audit"][field] = value
    error = expect_refused(declare_with, values, "zurich-prod")
    assert [k for k, _ in error.problems] == [f"{NS}:audit.{field}"]
    assert reason in str(error)


def test_archive_lock_mode_defaults_follow_the_environment(stack_values):
    for stack, expected in (("dev", "GOVERNANCE"), ("staging", "GOVERNANCE"), ("zurich-prod", "COMPLIANCE")):
        values = stack_values(stack)
        del values[f"{NS}:audit"]["archiveLockMode"]
        if stack == "zurich-prod":
            values[f"{NS}:audit"]["archiveRetentionDays"] = 365
        assert load_config(to_pulumi_config(values)[0], stack).audit.archive_lock_mode == expected


LOG_ARCHIVE = {"account": "222233334444", "bucket": "tc-zurich-org-trail-archive-222233334444",
               "key": "arn:aws:kms:eu-central-2:222233334444:key/0f0e0d0c-1111-2222-3333-444455556666",
               "trail": "arn:aws:cloudtrail:eu-central-2:999988887777:trail/tc-organization-trail"}


def test_prod_in_an_organization_refuses_single_account_audit(stack_values):
    values = stack_values("zurich-prod")
    values[f"{NS}:audit"]["organization"] = True
    with pytest.raises(ConfigError) as caught:
        load_config(to_pulumi_config(values)[0], "zurich-prod")
    assert "logArchive" in str(caught.value) and f"{NS}:audit" in str(caught.value)
    values[f"{NS}:audit"]["logArchive"] = LOG_ARCHIVE
    assert load_config(to_pulumi_config(values)[0], "zurich-prod").audit.log_archive.account == "222233334444"


def test_dev_keeps_single_account_audit_in_an_organization(stack_values):
    values = stack_values("dev")
    values[f"{NS}:audit"]["organization"] = True
    assert load_config(to_pulumi_config(values)[0], "dev").audit.log_archive is None


@pytest.mark.parametrize("field, value", [("account", "123"), ("key", "alias/x"), ("trail", "tc-trail")])
def test_log_archive_reference_is_checked(stack_values, field, value):
    values = stack_values("dev")
    values[f"{NS}:audit"]["logArchive"] = {**LOG_ARCHIVE, field: value}
    with pytest.raises(ConfigError) as caught:
        load_config(to_pulumi_config(values)[0], "dev")
    assert f"audit.logArchive.{field}" in str(caught.value)
