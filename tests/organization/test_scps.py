"""The center's SCPs: AWS limits, moto's validator, and each statement exercised, generated from
the zurich-prod stack's principals (components.principals)."""

import json

import pytest
from moto.iam.policy_validation import IAMPolicyDocumentValidator

from components.config import load_stack_file
from components.principals import center_principals
from organization.scps import ACCOUNT, OU, SCP_MAX_CHARS, SCPS_PER_TARGET, center_scps
from tcenter.core.stackfiles import PROJECT_ROOT
from tests.organization.scp_eval import denied_by

PRINCIPALS = center_principals(load_stack_file(PROJECT_ROOT / "stacks" / "Pulumi.zurich-prod.yaml"))
TARGETED = center_scps(PRINCIPALS)
SCPS = {name: doc for name, (_, doc) in TARGETED.items()}
ACCOUNT_ID = PRINCIPALS.account_id
ADMIN = f"arn:aws:iam::{ACCOUNT_ID}:role/tc-admin"


class ROLES:
    break_glass = PRINCIPALS.break_glass
    key_admins = PRINCIPALS.key_administrators
    data_deletion = PRINCIPALS.data_deletion
    deployer = PRINCIPALS.deployer


def role(arn):
    return arn


def ctx(principal=ADMIN, region="eu-central-2", **extra):
    return {"aws:PrincipalArn": principal, "aws:RequestedRegion": region, **extra}


def all_denials(action, context, resource="*"):
    return [sid for doc in SCPS.values() for sid in denied_by(doc, action, resource, context)]


@pytest.mark.parametrize("name", sorted(SCPS))
def test_scp_within_aws_size_limit(name):
    # AWS counts the policy without whitespace.
    text = json.dumps(SCPS[name], separators=(",", ":"))
    assert len(text) <= SCP_MAX_CHARS, (name, len(text))


def test_scps_per_target_leaves_room_for_full_aws_access():
    for target in (OU, ACCOUNT):
        assert sum(1 for t, _ in TARGETED.values() if t == target) + 1 <= SCPS_PER_TARGET


@pytest.mark.parametrize("name", sorted(SCPS))
def test_scp_passes_moto_validator(name):
    IAMPolicyDocumentValidator(json.dumps(SCPS[name])).validate()


@pytest.mark.parametrize("name", sorted(SCPS))
def test_scps_only_deny(name):
    assert {s["Effect"] for s in SCPS[name]["Statement"]} == {"Deny"}


def test_foreign_region_action_denied():
    assert "DenyOutsideAllowedRegions" in all_denials("ec2:RunInstances", ctx(region="us-east-1"))


def test_home_region_action_allowed():
    assert all_denials("ec2:DescribeInstances", ctx()) == []


@pytest.mark.parametrize("action", ["iam:CreateRole", "sts:AssumeRole", "cloudfront:ListDistributions",
                                    "organizations:DescribeOrganization", "support:DescribeCases"])
def test_global_service_action_allowed_from_us_east_1(action):
    assert all_denials(action, ctx(region="us-east-1")) == []


def test_trail_deletion_by_admin_denied_by_break_glass_allowed():
    assert "DenySilencingButBreakGlass" in all_denials("cloudtrail:DeleteTrail", ctx())
    assert all_denials("cloudtrail:DeleteTrail", ctx(principal=role(ROLES.break_glass))) == []


@pytest.mark.parametrize("action", ["config:StopConfigurationRecorder", "guardduty:DeleteDetector",
                                    "securityhub:DisableSecurityHub", "access-analyzer:DeleteAnalyzer",
                                    "ec2:DeleteFlowLogs", "cloudtrail:StopLogging"])
def test_detective_controls_protected(action):
    assert "DenySilencingButBreakGlass" in all_denials(action, ctx())
    assert all_denials(action, ctx(principal=ROLES.deployer)), "silencing is break-glass only, deployer included"


@pytest.mark.parametrize("action", ["kms:ScheduleKeyDeletion", "kms:DisableKey", "kms:PutKeyPolicy"])
def test_key_tampering_denied_except_key_admin(action):
    key = "arn:aws:kms:eu-central-2:111122223333:key/abc"
    assert "DenyKeyTampering" in all_denials(action, ctx(), key)
    assert all_denials(action, ctx(principal=role(ROLES.key_admins[0])), key) == []


def test_a_grant_made_by_hand_is_denied_one_made_for_an_aws_resource_is_not():
    """An admin granting itself Decrypt is tampering; EC2 attaching an encrypted volume (a grant
    for an AWS resource, made with the deployer's credentials) is how encryption at rest works."""
    key = "arn:aws:kms:eu-central-2:111122223333:key/abc"
    by_hand = ctx(**{"kms:GrantIsForAWSResource": "false"})
    assert "DenyDirectGrants" in all_denials("kms:CreateGrant", by_hand, key)
    assert all_denials("kms:CreateGrant", ctx(role(ROLES.deployer), **{"kms:GrantIsForAWSResource": "true"}), key) == []
    assert all_denials("kms:CreateGrant", ctx(role(ROLES.key_admins[0]), **{"kms:GrantIsForAWSResource": "false"}), key) == []


@pytest.mark.parametrize("action", ["s3:BypassGovernanceRetention", "s3:PutObjectRetention"])
def test_object_lock_bypass_denied_except_data_deletion(action):
    assert "DenyRetentionBypass" in all_denials(action, ctx())
    assert all_denials(action, ctx(principal=role(ROLES.data_deletion))) == []


@pytest.mark.parametrize("action", ["s3:PutBucketObjectLockConfiguration", "s3:PutBucketVersioning",
                                    "s3:PutLifecycleConfiguration"])
def test_lock_configuration_is_the_deployers(action):
    """`pulumi up` declares every bucket's lock, versioning and lifecycle: the deploy role must be
    able to (the earlier SCP let only the data-deletion role, which broke every deploy)."""
    assert "DenyLockChangesButDeployer" in all_denials(action, ctx())
    assert all_denials(action, ctx(principal=ROLES.deployer)) == []


@pytest.mark.parametrize("action", ["cloudtrail:PutEventSelectors", "logs:PutRetentionPolicy", "cloudwatch:PutMetricAlarm",
                                    "events:PutRule", "config:PutConfigRule", "guardduty:UpdateDetector"])
def test_what_pulumi_up_calls_on_detective_resources_is_the_deployers(action):
    assert "DenyDetectiveEditsButDeployer" in all_denials(action, ctx())
    assert all_denials(action, ctx(principal=ROLES.deployer)) == []


@pytest.mark.parametrize("action", ["ec2:CreateInternetGateway", "ec2:CreateEgressOnlyInternetGateway",
                                    "ec2:CreateNatGateway", "ec2:AllocateAddress", "ec2:CreateVpcPeeringConnection"])
def test_internet_paths_denied(action):
    assert "DenyInternetPaths" in all_denials(action, ctx())


def test_public_ip_on_instance_denied_private_allowed():
    eni = "arn:aws:ec2:eu-central-2:111122223333:network-interface/*"
    assert "DenyPublicIpOnInstances" in all_denials(
        "ec2:RunInstances", ctx(**{"ec2:AssociatePublicIpAddress": "true"}), eni)
    assert all_denials("ec2:RunInstances", ctx(**{"ec2:AssociatePublicIpAddress": "false"}), eni) == []


@pytest.mark.parametrize("action", ["iam:CreateUser", "iam:CreateAccessKey"])
def test_iam_users_denied(action):
    assert "DenyIamUsers" in all_denials(action, ctx())


def test_leaving_org_denied():
    assert "DenyLeavingOrganization" in all_denials("organizations:LeaveOrganization", ctx())


def test_root_user_denied_everything():
    assert "DenyRootUser" in all_denials("s3:ListAllMyBuckets", ctx(principal="arn:aws:iam::111122223333:root"))
    assert all_denials("s3:ListAllMyBuckets", ctx()) == []


@pytest.mark.parametrize("zone", ["build", "signing"])
def test_run_command_on_builders_and_signers_denied_except_break_glass(zone):
    instance = f"arn:aws:ec2:eu-central-2:{ACCOUNT_ID}:instance/i-0123456789abcdef0"
    assert "DenyRunCommandOnBuildersAndSigners" in all_denials(
        "ssm:SendCommand", ctx(**{"aws:ResourceTag/zone": zone}), instance)
    assert "DenyRunCommandOnUntaggedHosts" in all_denials("ssm:SendCommand", ctx(), instance)
    assert all_denials("ssm:SendCommand", ctx(principal=role(ROLES.break_glass), **{"aws:ResourceTag/zone": zone}),
                       instance) == []


def test_run_command_elsewhere_is_not_this_guardrails_business():
    instance = f"arn:aws:ec2:eu-central-2:{ACCOUNT_ID}:instance/i-0123456789abcdef0"
    assert all_denials("ssm:SendCommand", ctx(**{"aws:ResourceTag/zone": "data"}), instance) == []


@pytest.mark.parametrize("document", ["AWS-StartPortForwardingSession", "AWS-StartSSHSession",
                                      "AWS-StartNonInteractiveCommand"])
def test_unlogged_session_documents_denied_logged_shell_allowed(document):
    arn = f"arn:aws:ssm:eu-central-2::document/{document}"
    assert "DenyUnloggedSessionDocuments" in all_denials("ssm:StartSession", ctx(), arn)
    logged = "arn:aws:ssm:eu-central-2:111122223333:document/SSM-SessionManagerRunShell"
    assert all_denials("ssm:StartSession", ctx(), logged) == []
