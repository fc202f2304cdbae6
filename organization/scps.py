"""Service control policies for the transparency center, built as data.

Every SCP is a Deny-only document (the FullAWSAccess policy stays attached), so they only take
away. Two bind the center's OU (region deny; internet paths, IAM users, root): they name no
principal. The others bind the center account itself and are generated from the center's own
plan (`components.principals.center_principals` of the center stack's config): every exemption
is the exact ARN of a role the center's config names (deploy role, key administrators,
break-glass, data deletion), never a role name in any account, and every fenced resource is the
center's (its role, bucket, table and secret name patterns, its account's subnets).

Limits AWS enforces: <= 5,120 characters each, counted on the minified JSON; <= 5 SCPs attached
per target (FullAWSAccess counts as one). SCPs never bind the management account nor
service-linked roles: what that leaves open is written in docs/ARCHITECTURE.md.
"""

from __future__ import annotations

import json
from typing import Any, Sequence

from components.awsfacts import DETECTIVE_TAMPER_ACTIONS, PARTITION, REGION, tamper_actions
from components.policies import document, statement
from components.principals import CenterPrincipals

SCP_MAX_CHARS = 5120
SCPS_PER_TARGET = 5

OU = "ou"
ACCOUNT = "account"
"""Where an SCP is attached: the center's OU, or the center account itself."""

# Control Tower GRREGIONDENY: global services whose API lives in us-east-1 (or is global).
GLOBAL_SERVICE_ACTIONS = [
    "a4b:*", "acm:*", "aws-marketplace-management:*", "aws-marketplace:*", "aws-portal:*",
    "budgets:*", "ce:*", "chime:*", "cloudfront:*", "config:*", "cur:*", "directconnect:*",
    "ec2:DescribeRegions", "ec2:DescribeTransitGateways", "ec2:DescribeVpnGateways",
    "fms:*", "globalaccelerator:*", "health:*", "iam:*", "importexport:*", "kms:*",
    "mobileanalytics:*", "networkmanager:*", "organizations:*", "pricing:*", "route53:*",
    "route53domains:*", "route53-recovery-cluster:*", "route53-recovery-control-config:*",
    "route53-recovery-readiness:*", "s3:GetAccountPublic*", "s3:ListAllMyBuckets",
    "s3:ListMultiRegionAccessPoints", "s3:PutAccountPublic*", "shield:*", "sts:*",
    "support:*", "trustedadvisor:*", "waf-regional:*", "waf:*", "wafv2:*", "wellarchitected:*",
]

KEY_TAMPER_ACTIONS = ["kms:DisableKey", "kms:PutKeyPolicy", "kms:ScheduleKeyDeletion"]
KEY_GRANT_ACTIONS = ["kms:CreateGrant"]
"""Denied only for grants a person or role makes directly: EBS, DynamoDB and other services
create grants for AWS resources with the caller's credentials (kms:GrantIsForAWSResource),
and denying those would stop every encrypted volume from attaching."""

RETENTION_BYPASS_ACTIONS = ["s3:BypassGovernanceRetention", "s3:PutObjectLegalHold", "s3:PutObjectRetention"]
"""Shorten or lift an object's retention: the data-deletion role's, for deletion requests."""
LOCK_CONFIGURATION_ACTIONS = ["s3:PutBucketObjectLockConfiguration", "s3:PutBucketVersioning",
                              "s3:PutLifecycleConfiguration"]
"""A bucket's lock, versioning and expiry: what `pulumi up` declares, the deploy role's."""

INTERNET_PATH_ACTIONS = [
    "ec2:AcceptVpcPeeringConnection", "ec2:AllocateAddress", "ec2:AssociateAddress",
    "ec2:AttachInternetGateway", "ec2:CreateCarrierGateway", "ec2:CreateEgressOnlyInternetGateway",
    "ec2:CreateInternetGateway", "ec2:CreateNatGateway", "ec2:CreateVpcPeeringConnection",
    "globalaccelerator:Create*",
]

IAM_USER_ACTIONS = ["iam:CreateAccessKey", "iam:CreateLoginProfile", "iam:CreateUser"]

ROLE_CHANGE_ACTIONS = [
    "iam:AddRoleToInstanceProfile", "iam:AttachRolePolicy", "iam:CreateInstanceProfile", "iam:CreateRole",
    "iam:DeleteInstanceProfile", "iam:DeleteRole", "iam:DeleteRolePermissionsBoundary", "iam:DeleteRolePolicy",
    "iam:DetachRolePolicy", "iam:PutRolePermissionsBoundary", "iam:PutRolePolicy", "iam:RemoveRoleFromInstanceProfile",
    "iam:UpdateAssumeRolePolicy", "iam:UpdateRole",
]
"""Everything that makes, remakes or widens a role (its trust, policies, boundary, profiles)."""

GUARD_ACTIONS = {
    "s3": ["s3:DeleteBucketPolicy", "s3:PutBucketPolicy"],
    "dynamodb": ["dynamodb:DeleteResourcePolicy", "dynamodb:PutResourcePolicy"],
    "secretsmanager": ["secretsmanager:DeleteResourcePolicy", "secretsmanager:PutResourcePolicy"],
}
"""Resource policies of the center's buckets, tables and secrets: the named-principal Denies."""

DATA_LEAVING_ACTIONS = ["dynamodb:CreateBackup", "dynamodb:DeleteTable", "dynamodb:ExportTableToPointInTime",
                        "dynamodb:RestoreTableFromBackup", "dynamodb:RestoreTableToPointInTime"]
BACKUP_ACTIONS = ["backup:StartBackupJob", "backup:StartCopyJob", "backup:StartRestoreJob"]
"""AWS Backup copies a table under the vault's key, to any account: the center declares none."""
HSM_BACKUP_LEAVING = ["cloudhsm:CopyBackupToRegion"]
"""No HSM backup leaves Zurich (residency), whoever asks: denied to all."""
HSM_BACKUP_CHANGES = ["cloudhsm:DeleteBackup", "cloudhsm:ModifyBackupAttributes", "cloudhsm:RestoreBackup"]

LAUNCH_ACTIONS = ["ec2:CreateNetworkInterface", "ec2:RunInstances"]
PROFILE_ACTIONS = ["ec2:AssociateIamInstanceProfile", "ec2:ReplaceIamInstanceProfileAssociation"]

ZONE_TAG = "zone"
COMMAND_ZONES = ["build", "signing"]
"""Zones (the `zone` tag every center resource carries) whose hosts take no Run Command: the
SSM agent runs a command as root with no session transcript, over the same channel as sessions."""

UNLOGGED_SESSION_DOCUMENTS = [
    "AWS-StartInteractiveCommand", "AWS-StartNonInteractiveCommand", "AWS-StartPortForwardingSession",
    "AWS-StartPortForwardingSessionToRemoteHost", "AWS-StartSSHSession",
]
"""AWS-owned Session documents that bypass the logged shell (port forwarding, SSH, one-off
commands). The center's sessions use `SSM-SessionManagerRunShell` and its own documents."""


def _except(*arns: str | None) -> dict[str, Any]:
    """Applies to every principal but these exact ARNs (never a name pattern)."""
    named = sorted({a for a in arns if a})
    return {"ArnNotEquals": {"aws:PrincipalArn": named}} if named else {}


def _deny(sid: str, actions: Sequence[str], resources: Any, exempt: Sequence[str | None] = (),
          **conditions: dict[str, Any]) -> dict[str, Any]:
    merged: dict[str, Any] = dict(_except(*exempt))
    for operator, pairs in conditions.items():
        merged[operator.replace("_", ":")] = pairs
    return statement(sid, actions, resources, effect="Deny", conditions=merged or None)


# --- the center's OU: no principal named ----------------------------------------------------------

def region_deny(allowed_regions: tuple[str, ...] = (REGION,)) -> dict[str, Any]:
    return document({
        "Sid": "DenyOutsideAllowedRegions", "Effect": "Deny",
        "NotAction": sorted(GLOBAL_SERVICE_ACTIONS), "Resource": "*",
        "Condition": {"StringNotEquals": {"aws:RequestedRegion": sorted(allowed_regions)}},
    })


def network_and_identity() -> dict[str, Any]:
    return document(
        statement("DenyInternetPaths", INTERNET_PATH_ACTIONS, "*", effect="Deny"),
        statement("DenyPublicIpOnInstances", ["ec2:RunInstances"],
                  f"arn:{PARTITION}:ec2:*:*:network-interface/*", effect="Deny",
                  conditions={"Bool": {"ec2:AssociatePublicIpAddress": "true"}}),
        statement("DenyIamUsers", IAM_USER_ACTIONS, "*", effect="Deny"),
        statement("DenyLeavingOrganization", ["organizations:LeaveOrganization"], "*", effect="Deny"),
        statement("DenyRootUser", ["*"], "*", effect="Deny",
                  conditions={"ArnLike": {"aws:PrincipalArn": f"arn:{PARTITION}:iam::*:root"}}),
    )


# --- the center account: generated from the center's plan ----------------------------------------

def audit_protection(p: CenterPrincipals) -> dict[str, Any]:
    """Keys, Object Lock and every detective control (awsfacts.DETECTIVE_TAMPER_ACTIONS): silencing
    one is the break-glass role's alone, editing one the deploy role's (a reviewed plan)."""
    silence, edit = tamper_actions()
    return document(
        _deny("DenyKeyTampering", KEY_TAMPER_ACTIONS, "*", [p.break_glass, *p.key_administrators]),
        _deny("DenyDirectGrants", KEY_GRANT_ACTIONS, "*", [p.break_glass, *p.key_administrators],
              Bool={"kms:GrantIsForAWSResource": "false"}),
        _deny("DenyRetentionBypass", RETENTION_BYPASS_ACTIONS, "*", [p.data_deletion]),
        _deny("DenyLockChangesButDeployer", LOCK_CONFIGURATION_ACTIONS, "*", [p.deployer, p.break_glass]),
        _deny("DenySilencingButBreakGlass", silence, "*", [p.break_glass]),
        _deny("DenyDetectiveEditsButDeployer", edit, "*", [p.deployer, p.break_glass]),
    )


def principal_fences(p: CenterPrincipals) -> dict[str, Any]:
    """Nobody but the deploy role passes the center's roles, launches into its subnets, or changes
    its roles and resource policies; nobody but break-glass makes or changes a role the config
    names (so no namesake of an exempt role can appear)."""
    account = p.account_id
    return document(
        _deny("DenyPassingCenterRoles", ["iam:PassRole"], p.center_role_pattern(), [p.deployer]),
        _deny("DenyLaunchingIntoCenterSubnets", LAUNCH_ACTIONS, f"arn:{PARTITION}:ec2:*:{account}:subnet/*",
              [p.deployer]),
        _deny("DenySwappingInstanceProfiles", PROFILE_ACTIONS, f"arn:{PARTITION}:ec2:*:{account}:instance/*",
              [p.deployer]),
        _deny("DenyCenterRoleChanges", ROLE_CHANGE_ACTIONS,
              [p.center_role_pattern(), p.center_instance_profile_pattern()], [p.deployer]),
        _deny("DenyPrivilegedRoleChanges", ROLE_CHANGE_ACTIONS, list(p.privileged()), [p.break_glass]),
        _deny("DenyGuardRewritesButDeployer", [*GUARD_ACTIONS["s3"], *GUARD_ACTIONS["dynamodb"],
                                               *GUARD_ACTIONS["secretsmanager"]],
              [p.center_bucket_pattern(), p.center_table_pattern(), p.center_secret_pattern()], [p.deployer]),
    )


def data_and_hosts(p: CenterPrincipals) -> dict[str, Any]:
    """Customer data and signing material stay; hosts are reached only through logged sessions,
    and the tag that says which hosts those are stays what the plan declared."""
    instances = f"arn:{PARTITION}:ec2:*:{p.account_id}:instance/*"
    return document(
        _deny("DenyDataLeavingButBreakGlass", DATA_LEAVING_ACTIONS, p.center_table_pattern(), [p.break_glass]),
        _deny("DenyBackupCopiesButBreakGlass", BACKUP_ACTIONS, "*", [p.break_glass]),
        _deny("DenyHsmBackupsLeavingZurich", HSM_BACKUP_LEAVING, "*"),
        _deny("DenyHsmBackupChangesButBreakGlass", HSM_BACKUP_CHANGES, "*", [p.break_glass]),
        _deny("DenyZoneTagChangesButDeployer", ["ec2:CreateTags", "ec2:DeleteTags"], "*", [p.deployer],
              ForAnyValue_StringEquals={"aws:TagKeys": [ZONE_TAG]}),
        _deny("DenyRunCommandOnBuildersAndSigners", ["ssm:SendCommand"], instances, [p.break_glass],
              StringEquals={f"aws:ResourceTag/{ZONE_TAG}": COMMAND_ZONES}),
        _deny("DenyRunCommandOnUntaggedHosts", ["ssm:SendCommand"], instances, [p.break_glass],
              Null={f"aws:ResourceTag/{ZONE_TAG}": "true"}),
        _deny("DenyUnloggedSessionDocuments", ["ssm:StartSession"],
              [f"arn:{PARTITION}:ssm:*::document/{name}" for name in UNLOGGED_SESSION_DOCUMENTS], [p.break_glass]),
    )


def center_scps(principals: CenterPrincipals,
                allowed_regions: tuple[str, ...] = (REGION,)) -> dict[str, tuple[str, dict[str, Any]]]:
    """Name -> (target, document): OU-level guardrails and the center account's generated fences."""
    return {
        "region-deny": (OU, region_deny(allowed_regions)),
        "network-identity": (OU, network_and_identity()),
        "audit-protection": (ACCOUNT, audit_protection(principals)),
        "principal-fences": (ACCOUNT, principal_fences(principals)),
        "data-and-hosts": (ACCOUNT, data_and_hosts(principals)),
    }


def detective_types() -> tuple[str, ...]:
    """The detective resource types whose silencing APIs `audit_protection` denies."""
    return tuple(sorted(DETECTIVE_TAMPER_ACTIONS))


def minified(doc: dict[str, Any]) -> str:
    return json.dumps(doc, separators=(",", ":"), sort_keys=True)
