"""Detective controls and account baselines: what tells someone, continuously, that the
center no longer looks like the plan the reviewers approved.

May touch: account-wide settings of the center's account (S3 public access block, EBS
default encryption, instance metadata defaults, the IAM password policy), AWS Config,
Security Hub, GuardDuty, IAM Access Analyzer, metric filters on the trail's log group and
the alert topic. Reads nothing it watches: every control here is an AWS service that
reports on its own.

The tables below are data, shared with the tests and docs: `CIS_ALARMS` (CIS AWS
Foundations v3 section 4, plus the center's own), `KIT_RULE_MIRRORS` (each `tcenter check`
rule and the AWS Config managed rules that check it on the live account) and
`BASELINE_CONFIG_RULES`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import pulumi
import pulumi_aws as aws

from . import policies
from .audit import CONFIG_PREFIX
from .awsfacts import (
    REGIONAL_API_ENDPOINT_TYPES, SECURITY_HUB_STANDARDS, event_source, security_hub_standard_arn, service_principal,
    tamper_actions,
)
from .config.detective import DetectiveConfig
from .kms import EncryptionKey, EncryptionKeyArgs
from .layout import account_name, resource_name
from .storage import OBJECT_LOCK_TAG
from .teardown import Teardown

METRIC_NAMESPACE = "TransparencyCenter"


@dataclass(frozen=True)
class AlarmSpec:
    id: str
    control: str
    title: str
    pattern: str
    """A CloudWatch Logs filter pattern over the trail's events."""


def _any_event(*names: str) -> str:
    return " || ".join(f"($.eventName = {name})" for name in names)


CIS_ALARMS: tuple[AlarmSpec, ...] = (
    AlarmSpec("unauthorized-api-calls", "CIS 4.1", "unauthorized API calls",
              '{ (($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*")) && '
              '($.sourceIPAddress != "delivery.logs.amazonaws.com") && ($.eventName != "HeadBucket") }'),
    AlarmSpec("console-login-without-mfa", "CIS 4.2", "console sign-in without MFA",
              '{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") && '
              '($.userIdentity.type = "IAMUser") && ($.responseElements.ConsoleLogin = "Success") }'),
    AlarmSpec("root-usage", "CIS 4.3", "use of the root user",
              '{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }'),
    AlarmSpec("iam-policy-changes", "CIS 4.4", "IAM policy changes",
              "{ ($.eventSource = iam.amazonaws.com) && (" + _any_event(
                  "DeleteGroupPolicy", "DeleteRolePolicy", "DeleteUserPolicy", "PutGroupPolicy", "PutRolePolicy",
                  "PutUserPolicy", "CreatePolicy", "DeletePolicy", "CreatePolicyVersion", "DeletePolicyVersion",
                  "AttachRolePolicy", "DetachRolePolicy", "AttachUserPolicy", "DetachUserPolicy", "AttachGroupPolicy",
                  "DetachGroupPolicy", "UpdateAssumeRolePolicy") + ") }"),
    AlarmSpec("cloudtrail-changes", "CIS 4.5", "trail created, changed, stopped or deleted (selectors included)",
              "{ " + _any_event("CreateTrail", "UpdateTrail", "DeleteTrail", "StartLogging", "StopLogging",
                                "PutEventSelectors", "PutInsightSelectors") + " }"),
    AlarmSpec("console-authentication-failures", "CIS 4.6", "failed console sign-ins",
              '{ ($.eventName = ConsoleLogin) && ($.errorMessage = "Failed authentication") }'),
    AlarmSpec("kms-key-disabled-or-deleted", "CIS 4.7", "a customer managed key disabled or scheduled for deletion",
              "{ ($.eventSource = kms.amazonaws.com) && (" + _any_event("DisableKey", "ScheduleKeyDeletion") + ") }"),
    AlarmSpec("s3-bucket-policy-changes", "CIS 4.8", "bucket policy, ACL, CORS, lifecycle or replication changes",
              "{ ($.eventSource = s3.amazonaws.com) && (" + _any_event(
                  "PutBucketAcl", "PutBucketPolicy", "PutBucketCors", "PutBucketLifecycle", "PutBucketReplication",
                  "DeleteBucketPolicy", "DeleteBucketCors", "DeleteBucketLifecycle", "DeleteBucketReplication",
                  "PutObjectLockConfiguration", "PutBucketPublicAccessBlock", "DeleteBucketPublicAccessBlock") + ") }"),
    AlarmSpec("config-changes", "CIS 4.9", "AWS Config recorder or delivery changed or stopped",
              "{ ($.eventSource = config.amazonaws.com) && (" + _any_event(
                  "StopConfigurationRecorder", "DeleteDeliveryChannel", "PutDeliveryChannel",
                  "PutConfigurationRecorder", "DeleteConfigurationRecorder") + ") }"),
    AlarmSpec("security-group-changes", "CIS 4.10", "security group changes",
              "{ " + _any_event("AuthorizeSecurityGroupIngress", "AuthorizeSecurityGroupEgress",
                                "RevokeSecurityGroupIngress", "RevokeSecurityGroupEgress", "CreateSecurityGroup",
                                "DeleteSecurityGroup", "ModifySecurityGroupRules") + " }"),
    AlarmSpec("nacl-changes", "CIS 4.11", "network ACL changes",
              "{ " + _any_event("CreateNetworkAcl", "CreateNetworkAclEntry", "DeleteNetworkAcl", "DeleteNetworkAclEntry",
                                "ReplaceNetworkAclEntry", "ReplaceNetworkAclAssociation") + " }"),
    AlarmSpec("network-gateway-changes", "CIS 4.12", "internet, NAT, customer or egress-only gateway changes",
              "{ " + _any_event("CreateCustomerGateway", "DeleteCustomerGateway", "AttachInternetGateway",
                                "CreateInternetGateway", "DeleteInternetGateway", "DetachInternetGateway",
                                "CreateNatGateway", "CreateEgressOnlyInternetGateway") + " }"),
    AlarmSpec("route-table-changes", "CIS 4.13", "route table changes",
              "{ ($.eventSource = ec2.amazonaws.com) && (" + _any_event(
                  "CreateRoute", "CreateRouteTable", "ReplaceRoute", "ReplaceRouteTableAssociation", "DeleteRouteTable",
                  "DeleteRoute", "DisassociateRouteTable") + ") }"),
    AlarmSpec("vpc-changes", "CIS 4.14", "VPC, peering and endpoint changes",
              "{ " + _any_event("CreateVpc", "DeleteVpc", "ModifyVpcAttribute", "AcceptVpcPeeringConnection",
                                "CreateVpcPeeringConnection", "DeleteVpcPeeringConnection", "RejectVpcPeeringConnection",
                                "CreateVpcEndpoint", "ModifyVpcEndpoint", "DeleteVpcEndpoints") + " }"),
    AlarmSpec("organizations-changes", "CIS 4.15", "AWS Organizations changes seen from this account",
              "{ ($.eventSource = organizations.amazonaws.com) && (" + _any_event(
                  "AcceptHandshake", "AttachPolicy", "CreateAccount", "CreateOrganizationalUnit", "CreatePolicy",
                  "DeclineHandshake", "DeleteOrganization", "DeleteOrganizationalUnit", "DeletePolicy", "DetachPolicy",
                  "DisablePolicyType", "EnablePolicyType", "InviteAccountToOrganization", "LeaveOrganization",
                  "MoveAccount", "RemoveAccountFromOrganization", "UpdatePolicy", "UpdateOrganizationalUnit") + ") }"),
    AlarmSpec("key-policy-or-grant-changes", "center", "a key policy rewritten, or a grant created by a person or role",
              '{ ($.eventSource = kms.amazonaws.com) && (($.eventName = PutKeyPolicy) || '
              '(($.eventName = CreateGrant) && ($.userIdentity.invokedBy NOT EXISTS))) }'),
    AlarmSpec("session-document-changes", "center", "an SSM document (the session logging preferences) changed",
              "{ ($.eventSource = ssm.amazonaws.com) && (" + _any_event(
                  "CreateDocument", "UpdateDocument", "UpdateDocumentDefaultVersion", "DeleteDocument",
                  "ModifyDocumentPermission") + ") }"),
    AlarmSpec("detective-controls-changes", "center", "GuardDuty, Security Hub or Access Analyzer switched off or changed",
              "{ (($.eventSource = guardduty.amazonaws.com) && (" + _any_event(
                  "DeleteDetector", "UpdateDetector", "CreateFilter", "UpdateFilter", "CreateIPSet",
                  "DisassociateFromMasterAccount", "StopMonitoringMembers") + ")) || "
              "(($.eventSource = securityhub.amazonaws.com) && (" + _any_event(
                  "DisableSecurityHub", "BatchDisableStandards", "UpdateStandardsControl",
                  "BatchUpdateStandardsControlAssociations") + ")) || "
              "(($.eventSource = access-analyzer.amazonaws.com) && (" + _any_event(
                  "DeleteAnalyzer", "CreateArchiveRule", "UpdateArchiveRule") + ")) }"),
)
"""Metric filters on the trail's log group, each with an alarm to the alert topic. The
CIS patterns follow the benchmark (Security Hub CloudWatch.1-14); the center adds events
the benchmark leaves out where the promise needs them (selectors, Object Lock, endpoints)."""


def tamper_alarms() -> tuple[AlarmSpec, ...]:
    """One alarm per AWS service whose APIs silence or edit a detective control, generated from
    awsfacts.DETECTIVE_TAMPER_ACTIONS: a new kind of detective resource gets its alarm with its
    entry there, and the organization's SCP denies the same APIs."""
    silence, edit = tamper_actions()
    by_prefix: dict[str, list[str]] = {}
    for action in (*silence, *edit):
        prefix, name = action.split(":")
        by_prefix.setdefault(prefix, []).append(name)
    return tuple(
        AlarmSpec(f"detective-tampering-{prefix}", "center",
                  f"a detective control of {prefix} silenced or edited (alarms, filters, subscriptions, rules, logs)",
                  f"{{ ($.eventSource = {event_source(prefix)}) && (" + _any_event(*sorted(set(names))) + ") }")
        for prefix, names in sorted(by_prefix.items()))


OWNER_ALARMS: tuple[AlarmSpec, ...] = (
    AlarmSpec("iam-role-changes", "center", "a role created, deleted, or its trust, boundary or instance profiles changed",
              "{ ($.eventSource = iam.amazonaws.com) && (" + _any_event(
                  "CreateRole", "DeleteRole", "UpdateRole", "UpdateAssumeRolePolicy", "PutRolePermissionsBoundary",
                  "DeleteRolePermissionsBoundary", "CreateInstanceProfile", "DeleteInstanceProfile",
                  "AddRoleToInstanceProfile", "RemoveRoleFromInstanceProfile") + ") }"),
    AlarmSpec("instance-profile-or-tag-changes", "center",
              "an instance profile associated or replaced by hand, or EC2 tags (the zone tag) changed",
              "{ ($.eventSource = ec2.amazonaws.com) && (" + _any_event(
                  "AssociateIamInstanceProfile", "ReplaceIamInstanceProfileAssociation", "CreateTags",
                  "DeleteTags") + ") }"),
    AlarmSpec("signing-material-changes", "center", "a secret read policy changed or an HSM backup copied or deleted",
              "{ (($.eventSource = secretsmanager.amazonaws.com) && (" + _any_event(
                  "PutResourcePolicy", "DeleteResourcePolicy") + ")) || (($.eventSource = cloudhsm.amazonaws.com) && ("
              + _any_event("CopyBackupToRegion", "DeleteBackup", "RestoreBackup", "ModifyBackupAttributes") + ")) }"),
    AlarmSpec("customer-data-leaving", "center", "a table exported, restored, backed up or its resource policy changed",
              "{ ($.eventSource = dynamodb.amazonaws.com) && (" + _any_event(
                  "ExportTableToPointInTime", "RestoreTableToPointInTime", "RestoreTableFromBackup", "CreateBackup",
                  "PutResourcePolicy", "DeleteResourcePolicy") + ") }"),
)
"""What the owner's own administrators could do that the CIS alarms leave out (issue 29)."""


def break_glass_alarm(break_glass_role: str) -> AlarmSpec:
    """Every use of the break-glass role: its assumption, and every call its sessions make."""
    return AlarmSpec(
        "break-glass-used", "center", "the break-glass role assumed or used",
        f'{{ (($.eventName = AssumeRole) && ($.requestParameters.roleArn = "{break_glass_role}")) || '
        f'($.userIdentity.sessionContext.sessionIssuer.arn = "{break_glass_role}") }}')


def center_alarms(break_glass_role: str | None = None) -> tuple[AlarmSpec, ...]:
    """Every alarm the center declares."""
    return (*CIS_ALARMS, *OWNER_ALARMS, *tamper_alarms(),
            *((break_glass_alarm(break_glass_role),) if break_glass_role else ()))


@dataclass(frozen=True)
class ConfigRuleMirror:
    kit_rule: str
    managed_rules: tuple[str, ...] = ()
    why_none: str = ""
    """When no managed rule checks the invariant: why, and what covers it instead."""


_ATTEST = "`tcenter attest` compares the live account with the plan and runs the same rule"
KIT_RULE_MIRRORS: tuple[ConfigRuleMirror, ...] = (
    ConfigRuleMirror("residency", why_none="Config records one region; the organization's region-deny SCP keeps "
                                           "every other region empty"),
    ConfigRuleMirror("no-internet-gateway", ("INTERNET_GATEWAY_AUTHORIZED_VPC_ONLY",)),
    ConfigRuleMirror("no-public-ip", ("EC2_INSTANCE_NO_PUBLIC_IP", "SUBNET_AUTO_ASSIGN_PUBLIC_IP_DISABLED")),
    ConfigRuleMirror("no-open-ingress", ("INCOMING_SSH_DISABLED", "NACL_NO_UNRESTRICTED_SSH_RDP",
                                         "VPC_DEFAULT_SECURITY_GROUP_CLOSED")),
    ConfigRuleMirror("no-default-route", ("NO_UNRESTRICTED_ROUTE_TO_IGW",)),
    ConfigRuleMirror("imdsv2", ("EC2_IMDSV2_CHECK",)),
    ConfigRuleMirror("ebs-encryption-cmk", ("ENCRYPTED_VOLUMES", "EC2_EBS_ENCRYPTION_BY_DEFAULT")),
    ConfigRuleMirror("s3-sse-kms-cmk", ("S3_DEFAULT_ENCRYPTION_KMS",)),
    ConfigRuleMirror("log-group-cmk", ("CLOUDWATCH_LOG_GROUP_ENCRYPTED",)),
    ConfigRuleMirror("dynamodb-cmk", ("DYNAMODB_TABLE_ENCRYPTED_KMS",)),
    ConfigRuleMirror("cloudtrail-cmk", ("CLOUD_TRAIL_ENCRYPTION_ENABLED",)),
    ConfigRuleMirror("secret-cmk", ("SECRETSMANAGER_USING_CMK",)),
    ConfigRuleMirror("object-lock", ("S3_BUCKET_DEFAULT_LOCK_ENABLED",)),
    ConfigRuleMirror("s3-no-public-access", ("S3_ACCOUNT_LEVEL_PUBLIC_ACCESS_BLOCKS_PERIODIC",
                                             "S3_BUCKET_LEVEL_PUBLIC_ACCESS_PROHIBITED", "S3_BUCKET_ACL_PROHIBITED")),
    ConfigRuleMirror("aws-limits", why_none="AWS itself refuses what breaks its limits; nothing to watch afterwards"),
    ConfigRuleMirror("kms-no-wildcard-principal", why_none="no managed rule reads key policies; the key-policy alarm "
                                                           f"fires on every PutKeyPolicy, and {_ATTEST}"),
    ConfigRuleMirror("kms-no-admin-grants", ("KMS_CMK_NOT_SCHEDULED_FOR_DELETION",),
                     why_none="grants themselves: the key-policy-or-grant alarm"),
    ConfigRuleMirror("kms-sign-signers-only", why_none=f"no managed rule reads who may sign; {_ATTEST}"),
    ConfigRuleMirror("reviewer-denied-data-and-signing", why_none=f"no managed rule reads role denies; {_ATTEST}"),
    ConfigRuleMirror("prod-protect-stateful", why_none="`protect` is a Pulumi option, not an AWS setting"),
    ConfigRuleMirror("vpc-flow-logs", ("VPC_FLOW_LOGS_ENABLED",)),
    ConfigRuleMirror("dns-firewall", why_none=f"no managed rule checks DNS Firewall associations; {_ATTEST}"),
    ConfigRuleMirror("cloudtrail-validation", ("CLOUD_TRAIL_LOG_FILE_VALIDATION_ENABLED", "MULTI_REGION_CLOUD_TRAIL_ENABLED")),
    ConfigRuleMirror("cloudhsm", why_none=f"Config records no CloudHSM clusters; {_ATTEST}"),
    ConfigRuleMirror("vpc-endpoint-hardening", why_none=f"no managed rule reads endpoint policies; {_ATTEST}"),
    ConfigRuleMirror("endpoint-policies-pinned", why_none=f"no managed rule reads endpoint policies; {_ATTEST}"),
    ConfigRuleMirror("dynamodb-through-endpoint", why_none=f"no managed rule reads table resource policies; {_ATTEST}"),
    ConfigRuleMirror("detective-controls", ("SECURITYHUB_ENABLED", "GUARDDUTY_ENABLED_CENTRALIZED"),
                     why_none="Config cannot watch its own recorder; the config-changes alarm fires when it stops"),
    ConfigRuleMirror("account-baseline", ("S3_ACCOUNT_LEVEL_PUBLIC_ACCESS_BLOCKS_PERIODIC", "EC2_EBS_ENCRYPTION_BY_DEFAULT",
                                          "IAM_PASSWORD_POLICY")),
    ConfigRuleMirror("ssm-session-logging", why_none="no managed rule reads session preferences; the "
                                                     f"session-document alarm fires on every change, and {_ATTEST}"),
    ConfigRuleMirror("tlog-create-only", why_none=f"no managed rule reads conditional-write bucket policies; {_ATTEST}"),
    ConfigRuleMirror("tlog-sequencer-only", why_none="no managed rule reads who may write a bucket or sign with a key; "
                                                     f"{_ATTEST}, and the key-policy alarm fires on every PutKeyPolicy"),
    ConfigRuleMirror("tlog-cosignatures-own-prefix", why_none=f"no managed rule reads bucket policy prefixes; {_ATTEST}"),
    ConfigRuleMirror("dist-publisher-only", ("S3_BUCKET_LEVEL_PUBLIC_ACCESS_PROHIBITED",),
                     why_none=f"who writes is in the bucket policy, which no managed rule reads; {_ATTEST}"),
    ConfigRuleMirror("dist-online-keys", why_none="no managed rule reads who may sign with a key; "
                                                  f"{_ATTEST}, and the key-policy alarm fires on every PutKeyPolicy"),
    ConfigRuleMirror("customer-data-named-principals", why_none="no managed rule reads who a key, bucket or table "
                                                                f"policy names; {_ATTEST}"),
    ConfigRuleMirror("regional-endpoints-only", ("API_GW_ENDPOINT_TYPE_CHECK",),
                     why_none="CloudFront's managed rules run only in us-east-1 and none reads Global Accelerator or "
                              f"S3 Transfer Acceleration; {_ATTEST}"),
    ConfigRuleMirror("mutual-tls-not-bypassable", why_none="no managed rule reads whether a REST API's execute-api "
                                                           f"endpoint is disabled; {_ATTEST}"),
    ConfigRuleMirror("intake-broker-write-only", why_none="no managed rule reads which objects, items or keys a "
                                                          f"function's role may use; {_ATTEST}"),
    ConfigRuleMirror("analysis-samples-cells-only", why_none="no managed rule reads who a bucket policy lets read a "
                                                             f"prefix; {_ATTEST}"),
    ConfigRuleMirror("analysis-cells-verdicts-only", why_none="no managed rule reads role or endpoint policy "
                                                              f"prefixes; {_ATTEST}"),
    ConfigRuleMirror("analysis-zone-isolated", why_none="no managed rule judges a zone's routes, endpoints and NACLs "
                                                        f"together; {_ATTEST}"),
    ConfigRuleMirror("analysis-cells-ephemeral", why_none="EC2_IMDSV2_CHECK (under `imdsv2`) checks running cells; no "
                                                          "managed rule reads a launch template's hop limit or shutdown "
                                                          f"behavior or a group's maximum lifetime; {_ATTEST}"),
    ConfigRuleMirror("analysis-jobs-cells-only", why_none="no managed rule reads who a queue or endpoint policy lets "
                                                          f"take messages; {_ATTEST}"),
)
"""Every `tcenter check` rule (tests hold this table to tcenter.guardrails.RULES) and the AWS
Config managed rules that keep checking it on the live account."""

BASELINE_CONFIG_RULES: tuple[str, ...] = (
    "IAM_PASSWORD_POLICY", "ROOT_ACCOUNT_MFA_ENABLED", "SECURITYHUB_ENABLED", "GUARDDUTY_ENABLED_CENTRALIZED",
    "CLOUDTRAIL_S3_DATAEVENTS_ENABLED", "EC2_INSTANCE_MANAGED_BY_SSM", "S3_BUCKET_SSL_REQUESTS_ONLY",
    "CMK_BACKING_KEY_ROTATION_ENABLED", "SSM_DOCUMENT_NOT_PUBLIC", "DYNAMODB_PITR_ENABLED",
)
"""Account baselines an auditor expects, beyond the kit's own rules."""

CONFIG_RULE_PARAMETERS: dict[str, dict[str, str]] = {
    "VPC_FLOW_LOGS_ENABLED": {"trafficType": "ALL"},
    "API_GW_ENDPOINT_TYPE_CHECK": {"endpointConfigurationTypes": ",".join(REGIONAL_API_ENDPOINT_TYPES)},
}
CONFIG_RULE_TAG_SCOPE: dict[str, str] = {
    "S3_BUCKET_DEFAULT_LOCK_ENABLED": OBJECT_LOCK_TAG,
}
"""Rules that judge only the buckets that must be locked (the others are unlocked by design)."""

PASSWORD_POLICY = {
    "minimum_password_length": 14, "password_reuse_prevention": 24, "max_password_age": 90,
    "require_lowercase_characters": True, "require_uppercase_characters": True, "require_numbers": True,
    "require_symbols": True, "allow_users_to_change_password": True, "hard_expiry": False,
}
"""CIS v3 1.8/1.9 (length 14, no reuse of the last 24); the center has no IAM users, so this
only matters if someone creates one (the organization SCP forbids it)."""


def config_rule_identifiers() -> list[str]:
    """Every managed rule the center deploys, once each, in a stable order."""
    seen: dict[str, None] = {}
    for mirror in KIT_RULE_MIRRORS:
        seen.update(dict.fromkeys(mirror.managed_rules))
    seen.update(dict.fromkeys(BASELINE_CONFIG_RULES))
    return list(seen)


def alert_subscribers(config: DetectiveConfig, reviewer_contacts: Sequence[str]) -> list[str]:
    """The vendor's security contact and every reviewer organization's contact, once each."""
    return sorted({*([config.security_contact] if config.security_contact else []), *reviewer_contacts})


@dataclass(frozen=True)
class DetectiveControlsArgs:
    stack: str
    account_id: str
    key_administrators: tuple[str, ...]
    config: DetectiveConfig
    teardown: Teardown
    delivery_bucket: pulumi.Input[str]
    """Where Config delivers (under `config/`): the center's archive, or the organization's
    log archive (`audit.logArchive`); its bucket and key policies admit Config."""
    delivery_key_arn: pulumi.Input[str]
    trail_log_group_name: pulumi.Input[str]
    reviewer_contacts: tuple[str, ...] = ()
    break_glass_role: str | None = None
    """access.breakGlassRole: every use of it is alarmed."""
    delivery_depends_on: Sequence[pulumi.Resource] = ()
    """The bucket policy that admits Config, when it is declared in this stack."""


class DetectiveControls(pulumi.ComponentResource):
    """Account baselines, AWS Config with managed rules mirroring the kit's, Security Hub
    (FSBP, CIS v3), GuardDuty with S3 protection, Access Analyzer (external and unused
    access), and the CIS alarms to a KMS-encrypted topic the reviewers subscribe to."""

    def __init__(self, name: str, args: DetectiveControlsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("transparency-center:detective:DetectiveControls", name, None, opts)
        self._name, self._args = name, args
        child = pulumi.ResourceOptions(parent=self)
        self._baselines(name, args, child)
        recorder_status = self._config_recorder(name, args, child)
        self._config_rules(name, recorder_status)
        self._security_services(name, args, child)
        self.alert_topic = self._alerts(name, args, child)
        self.register_outputs({"alertTopicArn": self.alert_topic.arn, "ebsDefaultKeyArn": self.ebs_key.arn,
                               "configRecorder": self.recorder.name})

    def _baselines(self, name: str, args: DetectiveControlsArgs, child: pulumi.ResourceOptions) -> None:
        aws.s3.AccountPublicAccessBlock(
            resource_name(name, "s3-account-public-access-block"), account_id=args.account_id,
            block_public_acls=True, block_public_policy=True, ignore_public_acls=True, restrict_public_buckets=True,
            opts=child)
        self.ebs_key = EncryptionKey(
            resource_name(name, "ebs-default"),
            EncryptionKeyArgs(description=f"transparency-center {args.stack}: EBS encryption by default",
                              alias=f"tc/{args.stack}/ebs-default", account_id=args.account_id,
                              administrators=args.key_administrators, via_services=("ec2",), teardown=args.teardown),
            opts=child)
        aws.ebs.DefaultKmsKey(resource_name(name, "ebs-default-key"), key_arn=self.ebs_key.arn, opts=child)
        aws.ebs.EncryptionByDefault(resource_name(name, "ebs-encryption-by-default"), enabled=True, opts=child)
        aws.ec2.InstanceMetadataDefaults(
            resource_name(name, "imds-defaults"), http_tokens="required", http_put_response_hop_limit=1,
            http_endpoint="enabled", instance_metadata_tags="disabled", opts=child)
        aws.iam.AccountPasswordPolicy(resource_name(name, "password-policy"), **PASSWORD_POLICY, opts=child)

    def _config_recorder(self, name: str, args: DetectiveControlsArgs,
                         child: pulumi.ResourceOptions) -> aws.cfg.RecorderStatus:
        # The service-linked role: Config then delivers as its service principal, which the
        # archive's bucket and key policies admit for this account only.
        role = aws.iam.ServiceLinkedRole(resource_name(name, "config-role"),
                                         aws_service_name=service_principal("config"), opts=child)
        self.recorder = aws.cfg.Recorder(
            resource_name(name, "config-recorder"), name=account_name(args.stack, "config"),
            role_arn=role.arn,
            recording_group={"all_supported": True, "include_global_resource_types": True},
            opts=child)
        delivery = aws.cfg.DeliveryChannel(
            resource_name(name, "config-delivery"), name=account_name(args.stack, "config"),
            s3_bucket_name=args.delivery_bucket, s3_key_prefix=CONFIG_PREFIX, s3_kms_key_arn=args.delivery_key_arn,
            snapshot_delivery_properties={"delivery_frequency": "TwentyFour_Hours"},
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.recorder, *args.delivery_depends_on]))
        return aws.cfg.RecorderStatus(resource_name(name, "config-recorder-status"), name=self.recorder.name,
                                      is_enabled=True, opts=pulumi.ResourceOptions(parent=self, depends_on=[delivery]))

    def _config_rules(self, name: str, recorder_status: aws.cfg.RecorderStatus) -> None:
        after_recording = pulumi.ResourceOptions(parent=self, depends_on=[recorder_status])
        for identifier in config_rule_identifiers():
            slug = identifier.lower().replace("_", "-")
            tag = CONFIG_RULE_TAG_SCOPE.get(identifier)
            parameters = CONFIG_RULE_PARAMETERS.get(identifier)
            aws.cfg.Rule(
                resource_name(name, "config-rule", slug), name=account_name(self._args.stack, slug, max_length=128),
                source={"owner": "AWS", "source_identifier": identifier},
                input_parameters=pulumi.Output.json_dumps(parameters) if parameters else None,
                scope={"tag_key": tag} if tag else None,
                opts=after_recording)

    def _security_services(self, name: str, args: DetectiveControlsArgs, child: pulumi.ResourceOptions) -> None:
        hub = aws.securityhub.Account(
            resource_name(name, "security-hub"), enable_default_standards=False, auto_enable_controls=True,
            control_finding_generator="SECURITY_CONTROL", opts=child)
        for standard in SECURITY_HUB_STANDARDS.values():
            aws.securityhub.StandardsSubscription(
                resource_name(name, "security-hub", standard.split("/", 1)[0]),
                standards_arn=security_hub_standard_arn(standard),
                opts=pulumi.ResourceOptions(parent=self, depends_on=[hub]))
        self.detector = aws.guardduty.Detector(
            resource_name(name, "guardduty"), enable=True,
            finding_publishing_frequency=args.config.finding_publishing_frequency, opts=child)
        aws.guardduty.DetectorFeature(resource_name(name, "guardduty-s3-protection"), detector_id=self.detector.id,
                                      name="S3_DATA_EVENTS", status="ENABLED", opts=child)
        aws.accessanalyzer.Analyzer(resource_name(name, "external-access"),
                                    analyzer_name=account_name(args.stack, "external-access"), type="ACCOUNT",
                                    opts=child)
        aws.accessanalyzer.Analyzer(
            resource_name(name, "unused-access"), analyzer_name=account_name(args.stack, "unused-access"),
            type="ACCOUNT_UNUSED_ACCESS",
            configuration={"unused_access": {"unused_access_age": args.config.unused_access_age_days}}, opts=child)

    def _alerts(self, name: str, args: DetectiveControlsArgs, child: pulumi.ResourceOptions) -> aws.sns.Topic:
        key = EncryptionKey(
            resource_name(name, "alerts"),
            EncryptionKeyArgs(description=f"transparency-center {args.stack}: alert topic",
                              alias=f"tc/{args.stack}/alerts", account_id=args.account_id,
                              administrators=args.key_administrators, via_services=("sns",), teardown=args.teardown,
                              service_statements=tuple(policies.alert_key_statements(args.account_id))),
            opts=child)
        topic = aws.sns.Topic(resource_name(name, "alerts-topic"), name=account_name(args.stack, "alerts"),
                              kms_master_key_id=key.arn, opts=child)
        aws.sns.TopicPolicy(resource_name(name, "alerts-topic-policy"), arn=topic.arn,
                            policy=pulumi.Output.json_dumps(policies.alert_topic_policy(topic.arn, args.account_id)),
                            opts=child)
        for contact in alert_subscribers(args.config, args.reviewer_contacts):
            aws.sns.TopicSubscription(resource_name(name, "alerts-to", contact.replace("@", "-at-")),
                                      topic=topic.arn, protocol="email", endpoint=contact, opts=child)
        for alarm in center_alarms(args.break_glass_role):
            metric = f"{args.stack}-{alarm.id}"
            aws.cloudwatch.LogMetricFilter(
                resource_name(name, "filter", alarm.id), name=account_name(args.stack, alarm.id, max_length=512),
                log_group_name=args.trail_log_group_name, pattern=alarm.pattern,
                metric_transformation={"name": metric, "namespace": METRIC_NAMESPACE, "value": "1"}, opts=child)
            aws.cloudwatch.MetricAlarm(
                resource_name(name, "alarm", alarm.id), name=account_name(args.stack, alarm.id, max_length=255),
                alarm_description=f"{alarm.control}: {alarm.title}", namespace=METRIC_NAMESPACE, metric_name=metric,
                statistic="Sum", period=300, evaluation_periods=1, threshold=1,
                comparison_operator="GreaterThanOrEqualToThreshold", treat_missing_data="notBreaching",
                alarm_actions=[topic.arn], opts=child)
        findings = aws.cloudwatch.EventRule(
            resource_name(name, "guardduty-findings"), name=account_name(args.stack, "guardduty-findings"),
            description="GuardDuty findings of high severity (7 and above) to the alert topic",
            event_pattern=pulumi.Output.json_dumps({
                "source": ["aws.guardduty"], "detail-type": ["GuardDuty Finding"],
                "detail": {"severity": [{"numeric": [">=", 7]}]}}),
            opts=child)
        aws.cloudwatch.EventTarget(resource_name(name, "guardduty-findings-target"), rule=findings.name,
                                   arn=topic.arn, opts=child)
        return topic
