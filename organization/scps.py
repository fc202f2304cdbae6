"""Service control policies for the transparency center's OU, built as data.

Every SCP is a Deny-only document (the FullAWSAccess policy stays attached), so
they only take away. Limits AWS enforces: <= 5,120 characters each, counted on the
minified JSON; <= 5 SCPs attached per target (FullAWSAccess counts as one).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from components.awsfacts import PARTITION, REGION
from components.policies import document, statement

SCP_MAX_CHARS = 5120
SCPS_PER_TARGET = 5

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

AUDIT_TAMPER_ACTIONS = [
    "access-analyzer:DeleteAnalyzer", "access-analyzer:UpdateArchiveRule", "access-analyzer:CreateArchiveRule",
    "cloudtrail:DeleteTrail", "cloudtrail:PutEventSelectors", "cloudtrail:StopLogging", "cloudtrail:UpdateTrail",
    "config:DeleteConfigRule", "config:DeleteConfigurationRecorder", "config:DeleteDeliveryChannel",
    "config:PutConfigurationRecorder", "config:PutDeliveryChannel", "config:StopConfigurationRecorder",
    "ec2:DeleteFlowLogs", "guardduty:CreateFilter", "guardduty:DeleteDetector", "guardduty:DisassociateFromMasterAccount",
    "guardduty:StopMonitoringMembers", "guardduty:UpdateDetector",
    "securityhub:BatchDisableStandards", "securityhub:DisableSecurityHub",
    "logs:DeleteLogGroup", "logs:PutRetentionPolicy",
]

KEY_TAMPER_ACTIONS = ["kms:DisableKey", "kms:PutKeyPolicy", "kms:ScheduleKeyDeletion"]
KEY_GRANT_ACTIONS = ["kms:CreateGrant"]
"""Denied only for grants a person or role makes directly: EBS, DynamoDB and other services
create grants for AWS resources with the caller's credentials (kms:GrantIsForAWSResource),
and denying those would stop every encrypted volume from attaching."""

OBJECT_LOCK_BYPASS_ACTIONS = [
    "s3:BypassGovernanceRetention", "s3:PutBucketObjectLockConfiguration", "s3:PutObjectLegalHold",
    "s3:PutObjectRetention", "s3:PutBucketVersioning", "s3:PutLifecycleConfiguration",
]

INTERNET_PATH_ACTIONS = [
    "ec2:AcceptVpcPeeringConnection", "ec2:AllocateAddress", "ec2:AssociateAddress",
    "ec2:AttachInternetGateway", "ec2:CreateCarrierGateway", "ec2:CreateEgressOnlyInternetGateway",
    "ec2:CreateInternetGateway", "ec2:CreateNatGateway", "ec2:CreateVpcPeeringConnection",
    "globalaccelerator:Create*",
]

IAM_USER_ACTIONS = ["iam:CreateAccessKey", "iam:CreateLoginProfile", "iam:CreateUser"]

COMMAND_ZONES = ["build", "signing"]
"""Zones (the `zone` tag every center resource carries) whose hosts take no Run Command: the
SSM agent runs a command as root with no session transcript, over the same channel as sessions."""

UNLOGGED_SESSION_DOCUMENTS = [
    "AWS-StartInteractiveCommand", "AWS-StartNonInteractiveCommand", "AWS-StartPortForwardingSession",
    "AWS-StartPortForwardingSessionToRemoteHost", "AWS-StartSSHSession",
]
"""AWS-owned Session documents that bypass the logged shell (port forwarding, SSH, one-off
commands). The center's sessions use `SSM-SessionManagerRunShell` and its own documents."""


@dataclass(frozen=True)
class ScpRoles:
    """Role names exempted from individual guardrails (never an account-wide exemption)."""

    break_glass: str = "tc-break-glass"
    key_admins: tuple[str, ...] = ("tc-key-admin",)
    data_deletion: str = "tc-data-deletion"
    deployer: str = "tc-deployer"


def _role_pattern(name: str) -> str:
    # Any account of the OU: SCPs are attached to the OU, not one account.
    return f"arn:{PARTITION}:iam::*:role/{name}"


def _except_roles(*names: str) -> dict[str, Any]:
    return {"ArnNotLike": {"aws:PrincipalArn": sorted(_role_pattern(n) for n in names)}}


def region_deny(allowed_regions: tuple[str, ...] = (REGION,)) -> dict[str, Any]:
    return document({
        "Sid": "DenyOutsideAllowedRegions", "Effect": "Deny",
        "NotAction": sorted(GLOBAL_SERVICE_ACTIONS), "Resource": "*",
        "Condition": {"StringNotEquals": {"aws:RequestedRegion": sorted(allowed_regions)}},
    })


def audit_protection(roles: ScpRoles, key_arn_patterns: tuple[str, ...] = ("*",)) -> dict[str, Any]:
    return document(
        statement("DenyAuditTampering", AUDIT_TAMPER_ACTIONS, "*", effect="Deny",
                  conditions=_except_roles(roles.break_glass)),
        statement("DenyKeyTampering", KEY_TAMPER_ACTIONS, list(key_arn_patterns), effect="Deny",
                  conditions=_except_roles(roles.break_glass, *roles.key_admins)),
        statement("DenyDirectGrants", KEY_GRANT_ACTIONS, list(key_arn_patterns), effect="Deny",
                  conditions={**_except_roles(roles.break_glass, *roles.key_admins),
                              "Bool": {"kms:GrantIsForAWSResource": "false"}}),
        statement("DenyObjectLockBypass", OBJECT_LOCK_BYPASS_ACTIONS, "*", effect="Deny",
                  conditions=_except_roles(roles.data_deletion)),
    )


def network_and_identity(roles: ScpRoles) -> dict[str, Any]:
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


def host_access(roles: ScpRoles) -> dict[str, Any]:
    """Builders and signers are reached only through logged sessions."""
    return document(
        statement("DenyRunCommandOnBuildersAndSigners", ["ssm:SendCommand"], f"arn:{PARTITION}:ec2:*:*:instance/*",
                  effect="Deny", conditions={"StringEquals": {"aws:ResourceTag/zone": COMMAND_ZONES},
                                             **_except_roles(roles.break_glass)}),
        statement("DenyUnloggedSessionDocuments", ["ssm:StartSession"],
                  [f"arn:{PARTITION}:ssm:*::document/{name}" for name in UNLOGGED_SESSION_DOCUMENTS],
                  effect="Deny", conditions=_except_roles(roles.break_glass)),
    )


def center_scps(roles: ScpRoles = ScpRoles(), allowed_regions: tuple[str, ...] = (REGION,),
                key_arn_patterns: tuple[str, ...] = ("*",)) -> dict[str, dict[str, Any]]:
    """Name -> document; each attached to the center's OU."""
    return {
        "region-deny": region_deny(allowed_regions),
        "audit-protection": audit_protection(roles, key_arn_patterns),
        "network-identity": network_and_identity(roles),
        "host-access": host_access(roles),
    }


def minified(doc: dict[str, Any]) -> str:
    return json.dumps(doc, separators=(",", ":"), sort_keys=True)
