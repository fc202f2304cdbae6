"""EvidenceDestination: what a reviewer organization declares in its own AWS account so that the
center's evidence leaves the center owner's reach the moment it is written.

- a KMS key the organization alone administers and decrypts with; CloudTrail may only encrypt
  with it, for the center's trail and the organization trail that deliver here;
- the evidence bucket: Object Lock COMPLIANCE (nobody, the organization included, shortens
  it), versioned, public access blocked, TLS only; CloudTrail delivers the center account's
  trail under `center/` and the organization trail under `organization/`, with their digest
  files, so gaps and rewrites show from this side (`tcenter attest --evidence`, to come);
- an event bus only the center's forwarder role may put events on, an archive of everything it
  receives, and a rule that writes every event to an encrypted log group.
Every name comes from components/evidence.py, the same module the center's stack uses.
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from components import evidence
from components.awsfacts import REGION, arn, service_principal
from components.config.network import LOG_RETENTION_DAYS
from components.evidence import CENTER_PREFIX, ORGANIZATION_PREFIX
from components.policies import document, key_statement, statement

from .config import ReviewerAccountConfig, center_of, management_account_of


def log_group_name(center_stack: str) -> str:
    return f"/tc-evidence/{center_stack}/events"


def trails_of(config: ReviewerAccountConfig, center_account: str, management_account: str | None) -> dict[str, str]:
    """prefix -> the trail ARN that delivers there."""
    trails = {CENTER_PREFIX: evidence.center_trail_arn(center_account, config.center_stack, config.organization)}
    if management_account is not None:
        trails[ORGANIZATION_PREFIX] = evidence.organization_trail_arn(management_account, config.account_id)
    return trails


def event_log_policy(log_group_arn: str, rule_arn: str) -> dict:
    """EventBridge writes the bus's events into the log group, for this rule only."""
    return document(statement(
        "EventBridgeWritesTheEvidenceRule", ["logs:CreateLogStream", "logs:PutLogEvents"], f"{log_group_arn}:*",
        principals={"Service": [service_principal("events"), "delivery.logs.amazonaws.com"]},
        conditions={"ArnEquals": {"aws:SourceArn": rule_arn}}))


def logs_key_statement(account_id: str) -> dict:
    return key_statement(
        "CloudWatchLogsEncryptsTheEventLog", ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey*",
                                             "kms:ReEncrypt*"],
        principals={"Service": f"logs.{REGION}.amazonaws.com"},
        conditions={"ArnLike": {"kms:EncryptionContext:aws:logs:arn": arn("logs", "log-group:*", account_id, REGION)}})


class EvidenceDestination(pulumi.ComponentResource):
    def __init__(self, name: str, config: ReviewerAccountConfig, opts: pulumi.ResourceOptions | None = None):
        super().__init__("tc:reviewer:EvidenceDestination", name, None, opts)
        stack = pulumi.get_stack()
        center = center_of(config, stack)
        management = management_account_of(config, stack)
        center_account = center.access.account_id
        provider = aws.Provider(f"{name}-provider", region=REGION, allowed_account_ids=[config.account_id],
                                opts=pulumi.ResourceOptions(parent=self))
        child = pulumi.ResourceOptions(parent=self, provider=provider)
        keep = pulumi.ResourceOptions(parent=self, provider=provider, protect=True, retain_on_delete=True)
        trails = trails_of(config, center_account, management)

        key = aws.kms.Key(
            f"{name}-key", description=f"Evidence of transparency center {config.center_stack}",
            key_usage="ENCRYPT_DECRYPT", customer_master_key_spec="SYMMETRIC_DEFAULT", enable_key_rotation=True,
            multi_region=False, deletion_window_in_days=30,
            policy=pulumi.Output.json_dumps(document(*evidence.evidence_key_policy(config.account_id, trails)["Statement"],
                                                     logs_key_statement(config.account_id))),
            opts=keep)
        aws.kms.Alias(f"{name}-key-alias", name=evidence.evidence_key_alias(config.center_stack), target_key_id=key.key_id,
                      opts=child)

        bucket_name = evidence.evidence_bucket_name(config.center_stack, config.account_id)
        bucket = aws.s3.Bucket(f"{name}-bucket", bucket=bucket_name, object_lock_enabled=True, force_destroy=False,
                               opts=keep)
        versioning = aws.s3.BucketVersioning(f"{name}-bucket-versioning", bucket=bucket.id,
                                             versioning_configuration={"status": "Enabled"}, opts=child)
        aws.s3.BucketObjectLockConfiguration(
            f"{name}-bucket-object-lock", bucket=bucket.id, object_lock_enabled="Enabled",
            rule={"default_retention": {"mode": "COMPLIANCE", "days": config.retention_days}},
            opts=pulumi.ResourceOptions(parent=self, provider=provider, depends_on=[versioning]))
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-bucket-encryption", bucket=bucket.id,
            rules=[{"apply_server_side_encryption_by_default": {"sse_algorithm": "aws:kms", "kms_master_key_id": key.arn},
                    "bucket_key_enabled": True}], opts=child)
        block = aws.s3.BucketPublicAccessBlock(
            f"{name}-bucket-public-access-block", bucket=bucket.id, block_public_acls=True, block_public_policy=True,
            ignore_public_acls=True, restrict_public_buckets=True, opts=child)
        aws.s3.BucketOwnershipControls(f"{name}-bucket-ownership", bucket=bucket.id,
                                       rule={"object_ownership": "BucketOwnerEnforced"}, opts=child)
        aws.s3.BucketPolicy(f"{name}-bucket-policy", bucket=bucket.id,
                            policy=pulumi.Output.json_dumps(evidence.evidence_bucket_policy(bucket_name, trails)),
                            opts=pulumi.ResourceOptions(parent=self, provider=provider, depends_on=[block]))

        bus_name = evidence.evidence_bus_name(config.center_stack)
        bus = aws.cloudwatch.EventBus(f"{name}-bus", name=bus_name, opts=child)
        aws.cloudwatch.EventBusPolicy(
            f"{name}-bus-policy", event_bus_name=bus.name,
            policy=pulumi.Output.json_dumps(evidence.evidence_bus_policy(
                evidence.evidence_bus_arn(config.center_stack, config.account_id), center_account, config.center_stack)),
            opts=child)
        aws.cloudwatch.EventArchive(
            f"{name}-archive", name=f"tc-{config.center_stack}-evidence", event_source_arn=bus.arn,
            retention_days=config.retention_days,
            description=f"Every event transparency center {config.center_stack} forwarded", opts=keep)
        log_group = aws.cloudwatch.LogGroup(f"{name}-events", name=log_group_name(config.center_stack),
                                            retention_in_days=config.retention_days if config.retention_days in
                                            LOG_RETENTION_DAYS else max(d for d in LOG_RETENTION_DAYS
                                                                        if d <= config.retention_days),
                                            kms_key_id=key.arn, opts=keep)
        rule = aws.cloudwatch.EventRule(f"{name}-everything", name=f"tc-{config.center_stack}-evidence-to-log",
                                        event_bus_name=bus.name,
                                        description="Every event the center forwards, into the evidence log group",
                                        event_pattern=pulumi.Output.json_dumps({"account": [center_account]}),
                                        opts=child)
        aws.cloudwatch.LogResourcePolicy(
            f"{name}-events-policy", policy_name=f"tc-{config.center_stack}-evidence-events",
            policy_document=pulumi.Output.json_dumps(event_log_policy(
                arn("logs", f"log-group:{log_group_name(config.center_stack)}", config.account_id, REGION),
                arn("events", f"rule/{bus_name}/tc-{config.center_stack}-evidence-to-log", config.account_id, REGION))),
            opts=child)
        aws.cloudwatch.EventTarget(f"{name}-everything-to-log", rule=rule.name, event_bus_name=bus.name,
                                   arn=log_group.arn, opts=child)
        self.exports = {"evidenceBucket": bucket.id, "evidenceKeyArn": key.arn, "eventBusArn": bus.arn,
                        "eventLogGroup": log_group.name, "trails": trails}
        self.register_outputs(self.exports)
