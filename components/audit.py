"""Audit: the log key, the access-log bucket and the locked archive every other zone
writes its evidence to. Declared first, so that every later component can log here.

`AuditLogStore` holds what must exist before anything logs (including the destinations of
SSM session logs); `AuditTrail`, the CloudTrail trail that records the API calls of the
whole center, is declared last, once every bucket whose object access it records exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import pulumi
import pulumi_aws as aws

from . import awsfacts, policies
from .config.audit import AuditConfig
from .iam import Role, RoleArgs
from .kms import EncryptionKey, EncryptionKeyArgs
from .layout import account_name, bucket_name, resource_name
from .sessions import DEFAULT_SESSION_DOCUMENT, session_preferences
from .storage import Lifecycle, ObjectLock, SecureBucket, SecureBucketArgs
from .teardown import KEY_DELETION_WINDOW_DAYS, Teardown


def trail_name(stack: str) -> str:
    return account_name(stack, "audit-trail")


def trail_arn(account_id: str, stack: str) -> str:
    """The ARN of the center's own trail."""
    return awsfacts.trail_arn(account_id, trail_name(stack))


TRAIL_PREFIX = "cloudtrail"
"""Where CloudTrail delivers log and digest files in the archive (no trailing slash: CloudTrail adds one)."""
CONFIG_PREFIX = "config"
"""Where AWS Config delivers configuration snapshots and history in the archive."""

SESSION_LOG_PREFIX = "ssm-sessions/"
OPERATOR_SESSION_FOLDER = "operators/"
OPERATOR_IDLE_TIMEOUT_MINUTES = 20
OPERATOR_MAX_SESSION_MINUTES = 120
"""Where SSM Session Manager uploads session transcripts in the archive."""


def log_group_name(stack: str, purpose: str) -> str:
    return f"/transparency-center/{stack}/{purpose}"


@dataclass(frozen=True)
class AuditLogStoreArgs:
    stack: str
    account_id: str
    key_administrators: tuple[str, ...]
    config: AuditConfig
    teardown: Teardown
    config_delivery: bool = True
    """AWS Config delivers to this archive (single-account audit); off when the stack's
    audit.logArchive receives the deliveries instead."""
    archive_access: policies.NamedObjectAccess | None = None
    """Who reads (reviewers), writes (hosts' session transcripts, signers' release records) and
    deletes archive objects; nobody else, whatever their IAM policies (the services delivering
    here are exempt)."""
    remote_readers: tuple[str, ...] = ()
    """Reviewer roles of organizations without workstations: they read from their own account."""
    emptier: str | None = None
    """Destroyable stacks: the deploying role, which empties the access-log bucket on destroy."""


class AuditLogStore(pulumi.ComponentResource):
    """The audit key (logs, CloudTrail and S3 access logs), the access-log bucket, the
    audit archive with Object Lock (COMPLIANCE in prod: nobody can shorten it) and the
    destinations of SSM session logs (`session_log_bucket` + `session_log_prefix`,
    `session_log_group`)."""

    def __init__(self, name: str, args: AuditLogStoreArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("transparency-center:audit:AuditLogStore", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        account = args.account_id
        self._account_id = account
        self.key = EncryptionKey(
            resource_name(name, "key"),
            EncryptionKeyArgs(
                description=f"transparency-center {args.stack}: audit logs, flow logs, session logs, CloudTrail",
                alias=f"tc/{args.stack}/audit",
                account_id=account,
                administrators=args.key_administrators,
                via_services=("logs", "s3"),
                teardown=args.teardown,
                service_statements=(
                    policies.logs_service_key_statement(account),
                    policies.s3_log_delivery_key_statement(account),
                    *policies.cloudtrail_key_statements(account, trail_arn(account, args.stack)),
                    *([policies.config_delivery_key_statement(account)] if args.config_delivery else []),
                ),
            ),
            opts=child,
        )
        access_log_name = bucket_name(account, args.stack, "access-logs")
        self.access_logs = SecureBucket(
            resource_name(name, "access-logs"),
            SecureBucketArgs(
                bucket_name=access_log_name,
                key=self.key,
                teardown=args.teardown,
                lifecycle=Lifecycle(noncurrent_version_expiration_days=max(args.config.log_retention_days, 1)),
                extra_statements=(policies.allow_log_delivery(f"arn:aws:s3:::{access_log_name}", account),),
                # Only S3 server access logging (a service) writes here; nobody deletes.
                named_access=policies.NamedObjectAccess(deleters=(args.emptier,) if args.emptier else (),
                                                        fence_reads=False),
                policy_declared_later=True,
            ),
            opts=child,
        )
        archive_name = bucket_name(account, args.stack, "audit-archive")
        archive_arn = f"arn:aws:s3:::{archive_name}"
        self.archive = SecureBucket(
            resource_name(name, "archive"),
            SecureBucketArgs(
                bucket_name=archive_name,
                key=self.key,
                teardown=args.teardown,
                access_log_bucket=self.access_logs,
                object_lock=ObjectLock(args.teardown.object_lock_mode(args.config.archive_lock_mode, archive=True),
                                       args.config.archive_retention_days),
                lifecycle=Lifecycle(noncurrent_version_expiration_days=args.config.archive_retention_days),
                extra_statements=(
                    policies.statement(
                        "CloudTrailAclCheck", ["s3:GetBucketAcl"], archive_arn,
                        principals={"Service": "cloudtrail.amazonaws.com"},
                        conditions={"StringEquals": {"aws:SourceArn": trail_arn(account, args.stack)}},
                    ),
                    policies.statement(
                        "CloudTrailWrite", ["s3:PutObject"], f"{archive_arn}/{TRAIL_PREFIX}/AWSLogs/{account}/*",
                        principals={"Service": "cloudtrail.amazonaws.com"},
                        conditions={"StringEquals": {
                            "aws:SourceArn": trail_arn(account, args.stack),
                            "s3:x-amz-acl": "bucket-owner-full-control",
                        }},
                    ),
                    *(policies.config_delivery_bucket_statements(archive_arn, CONFIG_PREFIX, account)
                      if args.config_delivery else []),
                ),
                named_access=args.archive_access,
                remote_readers=args.remote_readers,
                policy_declared_later=True,
            ),
            opts=child,
        )
        # SSM session logs: transcripts to the locked archive, streams to an encrypted log
        # group. The reviewers' session preferences name both; the hosts' roles get
        # `archive.grant_write(role, session_log_prefix)` and write to the group.
        self.session_log_bucket = self.archive
        self.session_log_prefix = SESSION_LOG_PREFIX
        self.session_log_group = aws.cloudwatch.LogGroup(
            resource_name(name, "session-logs"),
            name=log_group_name(args.stack, "ssm-sessions"),
            retention_in_days=args.config.log_retention_days,
            kms_key_id=self.key.arn,
            opts=pulumi.ResourceOptions.merge(child, args.teardown.options("stateful")),
        )
        self._name, self._args = name, args
        self._operator_sessions(name, args)
        self.register_outputs({
            "keyArn": self.key.arn,
            "accessLogBucket": access_log_name,
            "archiveBucket": archive_name,
            "sessionLogBucket": archive_name,
            "sessionLogPrefix": SESSION_LOG_PREFIX,
            "sessionLogGroup": self.session_log_group.name,
        })

    def organization_session_log_group(self, organization: str) -> aws.cloudwatch.LogGroup:
        """A reviewer organization's own session log group: it reads its own streams, never
        another organization's (the operators' group, `session_log_group`, is what reviewers audit)."""
        args = self._args
        return aws.cloudwatch.LogGroup(
            resource_name(self._name, "session-logs", organization),
            name=log_group_name(args.stack, f"ssm-sessions/{organization}"),
            retention_in_days=args.config.log_retention_days,
            kms_key_id=self.key.arn,
            opts=pulumi.ResourceOptions.merge(pulumi.ResourceOptions(parent=self), args.teardown.options("stateful")),
        )

    def admit_only_through_center(self, s3_endpoint_id: pulumi.Input[str]) -> None:
        """The evidence is read and written only from inside the center: object access to the
        archive and the access logs through the center's S3 endpoint (AWS services that deliver
        logs are exempt). Called once the network exists; until then neither bucket has a policy."""
        self.access_logs.admit_only_through([s3_endpoint_id])
        self.archive.admit_only_through([s3_endpoint_id])

    def _operator_sessions(self, name: str, args: AuditLogStoreArgs) -> None:
        """Operators' sessions on builders and signer hosts use the account's default Session
        document: it logs like the reviewers' documents do, and encrypts the session stream
        with a key of its own (direct KMS calls, which the audit key does not allow)."""
        child = pulumi.ResourceOptions(parent=self)
        self.operator_session_key = aws.kms.Key(
            resource_name(name, "operator-session-key"),
            description=f"transparency-center {args.stack}: encrypts operators' Session Manager sessions",
            key_usage="ENCRYPT_DECRYPT",
            customer_master_key_spec="SYMMETRIC_DEFAULT",
            enable_key_rotation=True,
            multi_region=False,
            deletion_window_in_days=KEY_DELETION_WINDOW_DAYS,
            policy=pulumi.Output.json_dumps(policies.session_stream_key_policy(
                args.account_id, args.key_administrators, **args.teardown.key_lifecycle())),
            opts=pulumi.ResourceOptions.merge(child, args.teardown.options("stateful")),
        )
        self.operator_session_prefix = f"{SESSION_LOG_PREFIX}{OPERATOR_SESSION_FOLDER}"
        self.operator_session_document = aws.ssm.Document(
            resource_name(name, "operator-session-preferences"),
            name=DEFAULT_SESSION_DOCUMENT,
            document_type="Session",
            document_format="JSON",
            content=pulumi.Output.json_dumps(session_preferences(
                description="Operator sessions on builders and signer hosts: logged to S3 and CloudWatch, KMS-encrypted",
                bucket_name=self.archive.bucket_name,
                prefix=self.operator_session_prefix,
                log_group_name=self.session_log_group.name,
                kms_key_id=self.operator_session_key.arn,
                idle_timeout_minutes=OPERATOR_IDLE_TIMEOUT_MINUTES,
                max_session_minutes=OPERATOR_MAX_SESSION_MINUTES,
            )),
            opts=child,
        )

    def grant_read_audit_records(self, role: Role, release_records_prefix: str) -> None:
        """The audit-logs scope: the trail's log files, the operators' session transcripts
        (what reviewers audit) and the signers' release records. Never the whole archive:
        each reviewer organization reads its own transcripts only (`ReviewerZone`)."""
        self.archive.grant_read_prefixes(role, "read-audit-records", [
            f"{TRAIL_PREFIX}/", self.operator_session_prefix, release_records_prefix])

    def grant_operator_session_logging(self, role: Role) -> aws.iam.RolePolicy:
        """What the SSM agent of a host needs so that operators' sessions on it are logged
        and encrypted: decrypt the session stream, write transcripts and log streams."""
        return role.add_policy("operator-session-logging", policies.session_logging_statements(
            self._account_id, policies.objects_under(self.archive.arn, self.operator_session_prefix), self.archive.arn,
            self.key.arn, self.session_log_group.arn, self.operator_session_key.arn))


@dataclass(frozen=True)
class AuditTrailArgs:
    stack: str
    account_id: str
    store: AuditLogStore
    config: AuditConfig
    teardown: Teardown
    watched_bucket_arns: Sequence[pulumi.Input[str]] = ()
    """Buckets whose object reads and writes are recorded (S3 data events): every customer
    data store, the release and artifact buckets."""
    watched_table_arns: Sequence[pulumi.Input[str]] = ()
    """DynamoDB tables whose item reads and writes are recorded: every customer data table."""
    written_archive_prefixes: Sequence[str] = ()
    """Archive prefixes people's hosts write besides session transcripts (release records):
    their writes are recorded too."""


class AuditTrail(pulumi.ComponentResource):
    """CloudTrail for the whole account: every region, global services, log file validation,
    KMS-encrypted with the audit key, delivered to the archive (`cloudtrail/`) and to an
    encrypted log group, with S3 data events for the watched buckets (CloudTrail.1/2/4/5)."""

    def __init__(self, name: str, args: AuditTrailArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("transparency-center:audit:AuditTrail", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        store = args.store
        self.log_group = aws.cloudwatch.LogGroup(
            resource_name(name, "logs"),
            name=log_group_name(args.stack, "cloudtrail"),
            retention_in_days=args.config.log_retention_days,
            kms_key_id=store.key.arn,
            opts=pulumi.ResourceOptions.merge(child, args.teardown.options("stateful")),
        )
        self.delivery_role = Role(
            resource_name(name, "delivery"),
            RoleArgs(
                role_name=account_name(args.stack, "cloudtrail-logs"),
                description="CloudTrail delivers the trail's events to its CloudWatch log group",
                trust_policy=policies.assume_role_by_service("cloudtrail.amazonaws.com", args.account_id),
            ),
            opts=child,
        )
        delivery = self.delivery_role.add_policy(
            "deliver-to-log-group", [policies.cloudtrail_log_delivery_statement(self.log_group.arn)])
        self.watched_bucket_arns = tuple(args.watched_bucket_arns)
        self.selectors = policies.s3_data_event_selectors(
            self.watched_bucket_arns, read_bucket_arns=(store.archive.arn, store.access_logs.arn),
            table_arns=tuple(args.watched_table_arns),
            write_prefixes=tuple(pulumi.Output.concat(store.archive.arn, "/", prefix)
                                 for prefix in (SESSION_LOG_PREFIX, *args.written_archive_prefixes)))
        self.trail = aws.cloudtrail.Trail(
            resource_name(name, "trail"),
            name=trail_name(args.stack),
            s3_bucket_name=store.archive.id,
            s3_key_prefix=TRAIL_PREFIX,
            is_multi_region_trail=True,
            include_global_service_events=True,
            enable_log_file_validation=True,
            enable_logging=True,
            kms_key_id=store.key.arn,
            cloud_watch_logs_group_arn=pulumi.Output.concat(self.log_group.arn, ":*"),
            cloud_watch_logs_role_arn=self.delivery_role.arn,
            advanced_event_selectors=self.selectors,
            # CloudTrail checks the bucket policy, the key policy and the role when the trail is created.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[store.archive.policy, delivery]),
        )
        self.arn: pulumi.Output[str] = self.trail.arn
        self.register_outputs({"trailArn": self.arn, "logGroup": self.log_group.name})
