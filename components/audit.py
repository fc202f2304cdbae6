"""Audit: the log key, the access-log bucket and the locked archive every other zone
writes its evidence to. Declared first, so that every later component can log here.

`AuditLogStore` holds what must exist before anything logs; the trail that records the
API calls of the whole center is declared last, once every bucket it watches exists.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from . import policies
from .config.audit import AuditConfig
from .config.base import REGION
from .kms import EncryptionKey, EncryptionKeyArgs
from .layout import bucket_name, resource_name
from .storage import Lifecycle, ObjectLock, SecureBucket, SecureBucketArgs
from .teardown import Teardown


def trail_name(stack: str) -> str:
    return f"tc-{stack}-audit-trail"


def trail_arn(account_id: str, stack: str) -> str:
    return f"arn:aws:cloudtrail:{REGION}:{account_id}:trail/{trail_name(stack)}"


@dataclass(frozen=True)
class AuditLogStoreArgs:
    stack: str
    account_id: str
    key_administrators: tuple[str, ...]
    config: AuditConfig
    teardown: Teardown


class AuditLogStore(pulumi.ComponentResource):
    """The audit key (logs, CloudTrail and S3 access logs), the access-log bucket and the
    audit archive with Object Lock (COMPLIANCE in prod: nobody can shorten it)."""

    def __init__(self, name: str, args: AuditLogStoreArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("transparency-center:audit:AuditLogStore", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        account = args.account_id
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
                object_lock=ObjectLock(args.config.archive_lock_mode, args.config.archive_retention_days),
                lifecycle=Lifecycle(noncurrent_version_expiration_days=args.config.archive_retention_days),
                extra_statements=(
                    policies.statement(
                        "CloudTrailAclCheck", ["s3:GetBucketAcl"], archive_arn,
                        principals={"Service": "cloudtrail.amazonaws.com"},
                        conditions={"StringEquals": {"aws:SourceArn": trail_arn(account, args.stack)}},
                    ),
                    policies.statement(
                        "CloudTrailWrite", ["s3:PutObject"], f"{archive_arn}/cloudtrail/AWSLogs/{account}/*",
                        principals={"Service": "cloudtrail.amazonaws.com"},
                        conditions={"StringEquals": {
                            "aws:SourceArn": trail_arn(account, args.stack),
                            "s3:x-amz-acl": "bucket-owner-full-control",
                        }},
                    ),
                ),
            ),
            opts=child,
        )
        self.register_outputs({
            "keyArn": self.key.arn,
            "accessLogBucket": access_log_name,
            "archiveBucket": archive_name,
        })
