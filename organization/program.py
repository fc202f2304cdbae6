"""The management account's declaration: center OU, its SCPs, the organization trail
to an Object Lock COMPLIANCE archive in the log-archive account, reviewers' read role."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from components.audit import CONFIG_PREFIX
from components.awsfacts import REGION, account_root, bucket_arn, role_arn, service_principal
from components.policies import (
    config_delivery_bucket_statements, config_delivery_key_statement, document, statement, trust_statement,
)

from components import evidence
from components.config import CenterConfig
from components.principals import center_principals

from .config import OrganizationConfig, center_config
from .scps import ACCOUNT, center_scps

DELEGATED_SERVICES = ("access-analyzer", "config", "config-multiaccountsetup")
"""Services whose organization-wide administration moves to the security-tooling account
(GuardDuty and Security Hub have their own admin-account resources)."""

TRAIL_PREFIX = "organization"


def archive_key_policy(config: OrganizationConfig, management_account_id: str) -> dict:
    trail_arn = f"arn:aws:cloudtrail:{REGION}:{management_account_id}:trail/{config.trail_name}"
    return document(
        statement("KeyAdminsInLogArchive", ["kms:*"], "*",
                  principals={"AWS": account_root(config.log_archive_account_id)}),
        statement("CloudTrailEncrypts", ["kms:GenerateDataKey*"], "*",
                  principals={"Service": service_principal("cloudtrail")},
                  conditions={"StringEquals": {"aws:SourceArn": trail_arn}}),
        statement("CloudTrailDescribes", ["kms:DescribeKey"], "*",
                  principals={"Service": service_principal("cloudtrail")}),
        statement("ReviewersDecrypt", ["kms:Decrypt"], "*",
                  principals={"AWS": role_arn(config.log_archive_account_id, "tc-archive-reviewer")}),
        config_delivery_key_statement(config.center_account_id),
    )


def archive_bucket_policy(config: OrganizationConfig, management_account_id: str, org_id: str) -> dict:
    bucket = bucket_arn(config.archive_bucket)
    trail_arn = f"arn:aws:cloudtrail:{REGION}:{management_account_id}:trail/{config.trail_name}"
    cloudtrail = {"Service": service_principal("cloudtrail")}
    return document(
        statement("DenyInsecureTransport", ["s3:*"], [bucket, f"{bucket}/*"], effect="Deny",
                  principals={"AWS": "*"}, conditions={"Bool": {"aws:SecureTransport": "false"}}),
        statement("CloudTrailAclCheck", ["s3:GetBucketAcl"], bucket, principals=cloudtrail,
                  conditions={"StringEquals": {"aws:SourceArn": trail_arn}}),
        statement("CloudTrailWrites", ["s3:PutObject"],
                  [f"{bucket}/{TRAIL_PREFIX}/AWSLogs/{management_account_id}/*",
                   f"{bucket}/{TRAIL_PREFIX}/AWSLogs/{org_id}/*"],
                  principals=cloudtrail,
                  conditions={"StringEquals": {"aws:SourceArn": trail_arn,
                                               "s3:x-amz-acl": "bucket-owner-full-control"}}),
        # The center account's AWS Config delivers here (its stack's audit.logArchive), under config/.
        *config_delivery_bucket_statements(bucket, CONFIG_PREFIX, config.center_account_id),
    )


def reviewer_read_policy(config: OrganizationConfig) -> dict:
    bucket = bucket_arn(config.archive_bucket)
    return document(
        statement("ListArchive", ["s3:ListBucket"], bucket),
        statement("ReadArchive", ["s3:GetObject", "s3:GetObjectVersion", "s3:GetObjectRetention"], f"{bucket}/*"),
    )


def reviewer_accounts(center: CenterConfig) -> list[str]:
    """The reviewer organizations' own accounts, from the center stack's config."""
    return sorted({org.account_id for org in center.reviewers.organizations if org.account_id})


def reviewer_trust_policy(config: OrganizationConfig, accounts: list[str]) -> dict:
    """Each reviewer organization's own account (it decides who of its people); every session
    names its person (sts:SourceIdentity). Without reviewer accounts, nobody outside the log archive."""
    principals = sorted(account_root(a) for a in accounts) or [account_root(config.log_archive_account_id)]
    return document(trust_statement("ReviewersAssume", ["sts:AssumeRole", "sts:SetSourceIdentity"], {"AWS": principals},
                                    conditions={"Null": {"sts:SourceIdentity": "false"}}))


ORGANIZATION_LIST_ACTIONS = ["organizations:DescribeOrganization", "organizations:ListAWSServiceAccessForOrganization",
                             "organizations:ListAccounts", "organizations:ListDelegatedAdministrators",
                             "organizations:ListPolicies", "organizations:ListRoots"]
"""Calls without a resource (Resource "*")."""
ORGANIZATION_READ_ACTIONS = ["organizations:DescribeAccount", "organizations:DescribeEffectivePolicy",
                             "organizations:DescribeOrganizationalUnit", "organizations:DescribePolicy",
                             "organizations:ListAccountsForParent", "organizations:ListChildren",
                             "organizations:ListDelegatedServicesForAccount", "organizations:ListOrganizationalUnitsForParent",
                             "organizations:ListParents", "organizations:ListPoliciesForTarget",
                             "organizations:ListTargetsForPolicy"]
"""Calls on the organization's accounts, OUs, root and policies (SCPs and where they are attached)."""
TRAIL_LIST_ACTIONS = ["cloudtrail:DescribeTrails", "cloudtrail:ListPublicKeys"]
TRAIL_READ_ACTIONS = ["cloudtrail:GetEventSelectors", "cloudtrail:GetTrailStatus"]


def organization_reader_policy(management_account_id: str) -> dict:
    """What the reviewers read in the management account: the organization's structure, every SCP
    and where it is attached, the delegated administrators, and the organization trails' status
    and digest keys. Read-only, never a change; scoped to the organization's own resources."""
    return document(
        statement("ListTheOrganization", ORGANIZATION_LIST_ACTIONS + TRAIL_LIST_ACTIONS, "*"),
        statement("ReadTheOrganizationAndItsPolicies", ORGANIZATION_READ_ACTIONS,
                  f"arn:aws:organizations::{management_account_id}:*"),
        statement("ReadTheOrganizationTrails", TRAIL_READ_ACTIONS, f"arn:aws:cloudtrail:*:{management_account_id}:trail/*"),
    )


class Organization(pulumi.ComponentResource):
    def __init__(self, name: str, config: OrganizationConfig, opts: pulumi.ResourceOptions | None = None):
        super().__init__("tc:organization:Organization", name, None, opts)
        management_provider = aws.Provider(f"{name}-management-provider", region=REGION,
                                           allowed_account_ids=[config.management_account_id], opts=pulumi.ResourceOptions(parent=self))
        child = pulumi.ResourceOptions(parent=self, provider=management_provider)
        org = aws.organizations.get_organization(opts=pulumi.InvokeOptions(provider=management_provider))
        management = org.master_account_id

        if config.center_ou_id:
            ou_id: pulumi.Input[str] = config.center_ou_id
        else:
            ou = aws.organizations.OrganizationalUnit(f"{name}-center-ou", name="transparency-center",
                                                      parent_id=config.root_id, opts=child)
            ou_id = ou.id
        center = center_config(config, pulumi.get_stack())
        for scp_name, (target, doc) in center_scps(center_principals(center)).items():
            policy = aws.organizations.Policy(
                f"{name}-scp-{scp_name}", name=f"tc-{scp_name}", type="SERVICE_CONTROL_POLICY",
                description=f"Transparency center guardrail: {scp_name}",
                content=pulumi.Output.json_dumps(doc), opts=child)
            aws.organizations.PolicyAttachment(
                f"{name}-scp-{scp_name}-attachment", policy_id=policy.id,
                target_id=config.center_account_id if target == ACCOUNT else ou_id, opts=child)
        accounts = reviewer_accounts(center)

        if config.security_tooling_account_id:
            self._delegate_security_tooling(name, config.security_tooling_account_id, child)

        archive = aws.Provider(f"{name}-log-archive-provider", region=REGION,
                               assume_roles=[{"role_arn": role_arn(config.log_archive_account_id, config.log_archive_role)}],
                               allowed_account_ids=[config.log_archive_account_id], opts=pulumi.ResourceOptions(parent=self))
        in_archive = pulumi.ResourceOptions(parent=self, provider=archive, protect=True, retain_on_delete=True)
        key = aws.kms.Key(f"{name}-archive-key", description="Organization trail archive",
                          enable_key_rotation=True, deletion_window_in_days=30,
                          policy=pulumi.Output.json_dumps(archive_key_policy(config, management)), opts=in_archive)
        bucket = aws.s3.Bucket(f"{name}-archive", bucket=config.archive_bucket, object_lock_enabled=True,
                               force_destroy=False, opts=in_archive)
        in_bucket = pulumi.ResourceOptions(parent=self, provider=archive)
        versioning = aws.s3.BucketVersioning(f"{name}-archive-versioning", bucket=bucket.id,
                                             versioning_configuration={"status": "Enabled"}, opts=in_bucket)
        aws.s3.BucketObjectLockConfiguration(
            f"{name}-archive-object-lock", bucket=bucket.id, object_lock_enabled="Enabled",
            rule={"default_retention": {"mode": "COMPLIANCE", "days": config.archive_retention_days}},
            opts=pulumi.ResourceOptions(parent=self, provider=archive, depends_on=[versioning]))
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-archive-encryption", bucket=bucket.id,
            rules=[{"apply_server_side_encryption_by_default": {"sse_algorithm": "aws:kms",
                                                                "kms_master_key_id": key.arn},
                    "bucket_key_enabled": True}], opts=in_bucket)
        aws.s3.BucketPublicAccessBlock(f"{name}-archive-public-access-block", bucket=bucket.id,
                                       block_public_acls=True, block_public_policy=True,
                                       ignore_public_acls=True, restrict_public_buckets=True, opts=in_bucket)
        bucket_policy = aws.s3.BucketPolicy(
            f"{name}-archive-policy", bucket=bucket.id,
            policy=pulumi.Output.json_dumps(archive_bucket_policy(config, management, org.id)), opts=in_bucket)
        reviewer = aws.iam.Role(f"{name}-archive-reviewer", name="tc-archive-reviewer",
                                assume_role_policy=pulumi.Output.json_dumps(reviewer_trust_policy(config, accounts)),
                                opts=in_bucket)
        aws.iam.RolePolicy(f"{name}-archive-reviewer-read", role=reviewer.id,
                           policy=pulumi.Output.json_dumps(reviewer_read_policy(config)), opts=in_bucket)
        self.trail = aws.cloudtrail.Trail(
            f"{name}-trail", name=config.trail_name, s3_bucket_name=bucket.id, s3_key_prefix=TRAIL_PREFIX,
            kms_key_id=key.arn, is_organization_trail=True, is_multi_region_trail=True,
            include_global_service_events=True, enable_log_file_validation=True, enable_logging=True,
            opts=pulumi.ResourceOptions(parent=self, provider=management_provider, depends_on=[bucket_policy]))
        self._reviewers_in_management(name, config, center, accounts, management_provider, org.id)
        self.exports = {"centerOuId": ou_id, "trailArn": self.trail.arn, "archiveBucket": bucket.id,
                        "archiveKeyArn": key.arn, "archiveReviewerRoleArn": reviewer.arn,
                        "logArchiveAccountId": config.log_archive_account_id}
        self.register_outputs(self.exports)

    def _reviewers_in_management(self, name: str, config: OrganizationConfig, center: CenterConfig,
                                 accounts: list[str], provider: aws.Provider, org_id: pulumi.Input[str]) -> None:
        """The management account's evidence, to each reviewer organization's own account: an
        organization trail into its bucket (it holds the digests: a stopped or detached trail is a
        gap it sees), and a read-only role for the organization's structure, SCPs and trails."""
        child = pulumi.ResourceOptions(parent=self, provider=provider)
        self.reviewer_trails: dict[str, aws.cloudtrail.Trail] = {}
        for account in accounts:
            self.reviewer_trails[account] = aws.cloudtrail.Trail(
                f"{name}-evidence-trail-{account}", name=evidence.organization_evidence_trail_name(account),
                s3_bucket_name=evidence.evidence_bucket_name(center.stack, account),
                s3_key_prefix=evidence.ORGANIZATION_PREFIX,
                kms_key_id=evidence.evidence_key_alias_arn(center.stack, account), is_organization_trail=True,
                is_multi_region_trail=True, include_global_service_events=True, enable_log_file_validation=True,
                enable_logging=True, opts=child)
        if accounts:
            reader = aws.iam.Role(f"{name}-organization-reviewer", name="tc-organization-reviewer",
                                  assume_role_policy=pulumi.Output.json_dumps(reviewer_trust_policy(config, accounts)),
                                  opts=child)
            aws.iam.RolePolicy(f"{name}-organization-reviewer-read", role=reader.id,
                               policy=pulumi.Output.json_dumps(organization_reader_policy(config.management_account_id)), opts=child)

    def _delegate_security_tooling(self, name: str, account_id: str, child: pulumi.ResourceOptions) -> None:
        """GuardDuty, Security Hub, Access Analyzer and Config are administered organization-wide
        from the security-tooling account, which the center account's admins do not control."""
        aws.guardduty.OrganizationAdminAccount(f"{name}-guardduty-admin", admin_account_id=account_id, opts=child)
        aws.securityhub.OrganizationAdminAccount(f"{name}-security-hub-admin", admin_account_id=account_id, opts=child)
        for service in DELEGATED_SERVICES:
            aws.organizations.DelegatedAdministrator(f"{name}-delegated-{service}", account_id=account_id,
                                                     service_principal=service_principal(service), opts=child)
