"""The organization project on the mock engine: every document through moto's validators,
AWS limits on what is attached, the trail and its archive, config errors."""

import json
from collections import Counter
from pathlib import Path

import pytest
from moto.iam.policy_validation import IAMPolicyDocumentValidator, IAMTrustPolicyDocumentValidator

from organization.config import OrganizationConfigError, load_config
from organization.scps import SCP_MAX_CHARS, SCPS_PER_TARGET
from tcenter.core.stackfiles import load_stack_values
from tcenter.plan.format import plan_stack

PROJECT = Path(__file__).resolve().parents[2] / "organization"
STACKS = sorted(p.name[len("Pulumi."):-len(".yaml")] for p in (PROJECT / "stacks").glob("Pulumi.*.yaml"))


@pytest.fixture(scope="module", params=STACKS)
def plan(request):
    return plan_stack(request.param, project_dir=PROJECT)


def of_type(plan, suffix):
    return [r for r in plan["resources"] if r["type"].endswith(suffix)]


def documents(plan):
    """(resource name, input key, parsed document) for every policy document in the plan."""
    for resource in plan["resources"]:
        for key in ("policy", "content", "assumeRolePolicy"):
            value = resource["inputs"].get(key)
            if isinstance(value, str) and value.startswith("{"):
                yield resource["name"], key, json.loads(value)


def test_every_permission_document_passes_moto(plan):
    checked = 0
    for _name, key, doc in documents(plan):
        if key == "assumeRolePolicy":
            IAMTrustPolicyDocumentValidator(json.dumps(doc)).validate()
        elif "Principal" not in json.dumps(doc):
            IAMPolicyDocumentValidator(json.dumps(doc)).validate()
        else:
            # Resource policies (key, bucket) carry principals; moto validates the shape sans Principal.
            stripped = {**doc, "Statement": [{k: v for k, v in s.items() if k != "Principal"} for s in doc["Statement"]]}
            IAMPolicyDocumentValidator(json.dumps(stripped)).validate()
        checked += 1
    # Every policy-bearing resource yielded a parsed (not unresolved) document.
    bearing = ("policy:Policy", "key:Key", "bucketPolicy:BucketPolicy", "role:Role", "rolePolicy:RolePolicy")
    assert checked == sum(1 for r in plan["resources"] if r["type"].endswith(bearing))


def test_scps_fit_aws_limits(plan):
    scps = [r for r in of_type(plan, ":Policy") if r["inputs"]["type"] == "SERVICE_CONTROL_POLICY"]
    assert len(scps) >= 3
    for scp in scps:
        minified = json.dumps(json.loads(scp["inputs"]["content"]), separators=(",", ":"))
        assert len(minified) <= SCP_MAX_CHARS, scp["name"]
    per_target = Counter(a["inputs"].get("targetId", a["propertyDependencies"].get("targetId") and "created-ou")
                         for a in of_type(plan, ":PolicyAttachment"))
    assert per_target and all(count + 1 <= SCPS_PER_TARGET for count in per_target.values())


def test_organization_trail_validated_encrypted_to_locked_archive(plan):
    (trail,) = [t for t in of_type(plan, "trail:Trail") if t["inputs"]["name"] == "tc-organization-trail"]
    inputs = trail["inputs"]
    assert inputs["isOrganizationTrail"] and inputs["isMultiRegionTrail"] and inputs["enableLogFileValidation"]
    assert "kmsKeyId" in trail["propertyDependencies"] and trail["propertyDependencies"]["kmsKeyId"]
    (lock,) = of_type(plan, "BucketObjectLockConfiguration")
    assert lock["inputs"]["rule"]["defaultRetention"]["mode"] == "COMPLIANCE"
    (bucket,) = of_type(plan, "bucket:Bucket")
    assert bucket["inputs"]["objectLockEnabled"] is True
    assert bucket["options"]["protect"] and bucket["options"]["retainOnDelete"]


def test_archive_resources_live_in_log_archive_account(plan):
    log_archive = load_stack_values(plan["stack"], PROJECT)["tc-organization:logArchiveAccountId"]
    providers = {r["urn"]: r for r in of_type(plan, "pulumi:providers:aws")}
    archive_types = ("bucket:Bucket", "key:Key", "role:Role", "BucketObjectLockConfiguration", "bucketPolicy:BucketPolicy")
    archived = [r for r in plan["resources"] if r["type"].endswith(archive_types) and "organization-reviewer" not in r["name"]]
    assert len(archived) == 5
    for resource in archived:
        allowed = providers[resource["provider"]]["inputs"]["allowedAccountIds"]
        assert log_archive in (json.loads(allowed) if isinstance(allowed, str) else allowed), resource["name"]


def test_reviewer_roles_are_read_only(plan):
    policies = of_type(plan, "rolePolicy:RolePolicy")
    assert len(policies) == 2  # the archive reader (log archive) and the organization reader (management)
    for policy in policies:
        actions = [a for s in json.loads(policy["inputs"]["policy"])["Statement"] for a in s["Action"]]
        assert actions and all(a.split(":")[1].startswith(("Get", "List", "Describe")) for a in actions), actions


def test_reviewer_roles_trust_the_reviewer_organizations_own_accounts(plan):
    """Generated from the center stack: the accounts its reviewer organizations name."""
    from components.config import load_stack_file

    config = load_config(load_stack_values(plan["stack"], PROJECT), plan["stack"])
    center = load_stack_file(PROJECT.parent / "stacks" / f"Pulumi.{config.center_stack}.yaml")
    accounts = sorted(org.account_id for org in center.reviewers.organizations if org.account_id)
    assert accounts
    for role in of_type(plan, "role:Role"):
        trust = json.loads(role["inputs"]["assumeRolePolicy"])["Statement"][0]
        assert trust["Principal"]["AWS"] == [f"arn:aws:iam::{a}:root" for a in accounts], role["name"]
        assert trust["Condition"] == {"Null": {"sts:SourceIdentity": "false"}}


def test_each_reviewer_account_receives_an_organization_trail(plan):
    from components import evidence

    config = load_config(load_stack_values(plan["stack"], PROJECT), plan["stack"])
    trails = [t for t in of_type(plan, "trail:Trail") if t["inputs"]["name"] != config.trail_name]
    assert trails
    for trail in trails:
        account = trail["inputs"]["name"].rsplit("-", 1)[-1]
        inputs = trail["inputs"]
        assert inputs["s3BucketName"] == evidence.evidence_bucket_name(config.center_stack, account)
        assert inputs["s3KeyPrefix"] == evidence.ORGANIZATION_PREFIX
        assert inputs["isOrganizationTrail"] and inputs["enableLogFileValidation"] and inputs["isMultiRegionTrail"]
        assert inputs["kmsKeyId"] == evidence.evidence_key_alias_arn(config.center_stack, account)


def test_the_center_stack_must_deploy_to_the_center_account():
    from organization.config import center_config

    raw = dict(load_stack_values(STACKS[0], PROJECT))
    raw["tc-organization:centerAccountId"] = "111122223333"
    with pytest.raises(OrganizationConfigError, match="centerAccountId"):
        center_config(load_config(raw, STACKS[0]), STACKS[0])


def test_plans_are_deterministic():
    assert plan_stack(STACKS[0], project_dir=PROJECT) == plan_stack(STACKS[0], project_dir=PROJECT)


@pytest.mark.parametrize("key,value", [("logArchiveAccountId", "12345"), ("rootId", "root"),
                                       ("archiveRetentionDays", 30), ("centerOuId", "ou-bad"), ("managementAccountId", "x"),
                                       ("securityToolingAccountId", "123"), ("centerStack", "no-such-stack")])
def test_bad_config_names_the_key(key, value):
    raw = {k: v for k, v in load_stack_values(STACKS[0], PROJECT).items()}
    raw[f"tc-organization:{key}"] = value
    with pytest.raises(OrganizationConfigError) as caught:
        load_config(raw, STACKS[0])
    assert f"tc-organization:{key}" in str(caught.value)


def test_unknown_key_refused():
    raw = dict(load_stack_values(STACKS[0], PROJECT))
    raw["tc-organization:archiveBuckt"] = "x"
    with pytest.raises(OrganizationConfigError, match="archiveBuckt"):
        load_config(raw, STACKS[0])


def test_the_log_archive_admits_the_center_accounts_config_deliveries_only(plan):
    """The center stack's audit.logArchive sends AWS Config here: the archive's bucket and key
    policies admit config.amazonaws.com for the center account, under config/, and nobody else."""
    from tests.unit.test_detective import _service_may

    config = load_config(load_stack_values(plan["stack"], PROJECT), plan["stack"])
    (bucket_policy,) = of_type(plan, "bucketPolicy:BucketPolicy")
    document = json.loads(bucket_policy["inputs"]["policy"])
    archive = f"arn:aws:s3:::{config.archive_bucket}"
    center = config.center_account_id
    context = {"aws:SecureTransport": "true", "s3:x-amz-acl": "bucket-owner-full-control", "aws:SourceArn": None}
    snapshot = f"{archive}/config/AWSLogs/{center}/Config/eu-central-2/x.json.gz"
    assert _service_may(document, "s3:PutObject", snapshot, {**context, "aws:SourceAccount": center}, "config.amazonaws.com")
    other = config.log_archive_account_id
    assert not _service_may(document, "s3:PutObject", f"{archive}/config/AWSLogs/{other}/Config/x",
                            {**context, "aws:SourceAccount": other}, "config.amazonaws.com")
    assert not _service_may(document, "s3:PutObject", f"{archive}/organization/AWSLogs/{center}/x",
                            {**context, "aws:SourceAccount": center}, "config.amazonaws.com"), "Config writing into the trail's files"
    (key,) = of_type(plan, "kms/key:Key")
    (statement,) = [s for s in json.loads(key["inputs"]["policy"])["Statement"]
                    if s.get("Principal", {}).get("Service") == "config.amazonaws.com"]
    assert statement["Condition"] == {"StringEquals": {"aws:SourceAccount": center}}


def test_security_services_are_administered_from_the_security_tooling_account(plan):
    config = load_config(load_stack_values(plan["stack"], PROJECT), plan["stack"])
    tooling = config.security_tooling_account_id
    assert tooling and tooling not in (config.center_account_id, config.management_account_id)
    admins = [r["inputs"]["adminAccountId"] for r in plan["resources"]
              if r["type"] in ("aws:guardduty/organizationAdminAccount:OrganizationAdminAccount",
                               "aws:securityhub/organizationAdminAccount:OrganizationAdminAccount")]
    assert admins == [tooling, tooling]
    delegated = {r["inputs"]["servicePrincipal"]: r["inputs"]["accountId"] for r in plan["resources"]
                 if r["type"] == "aws:organizations/delegatedAdministrator:DelegatedAdministrator"}
    assert delegated == {"access-analyzer.amazonaws.com": tooling, "config.amazonaws.com": tooling,
                         "config-multiaccountsetup.amazonaws.com": tooling}
