"""S3 buckets with every control on by default, and grants by intent."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Sequence

import pulumi
import pulumi_aws as aws

from . import policies
from .awsfacts import policy_name_for
from .iam import Role
from .kms import EncryptionKey
from .layout import resource_name
from .teardown import Statefulness, Teardown


@dataclass(frozen=True)
class ObjectLock:
    mode: Literal["GOVERNANCE", "COMPLIANCE"]
    retention_days: int


OBJECT_LOCK_TAG = "object-lock"
"""Tag on every bucket with a default retention (value: the mode); AWS Config's lock rule
is scoped to it, since the other buckets are unlocked by design."""


@dataclass(frozen=True)
class Lifecycle:
    noncurrent_version_expiration_days: int | None = 90
    """None: noncurrent versions are kept (the transparency log keeps every checkpoint)."""
    transition_to_infrequent_access_days: int | None = None
    abort_incomplete_multipart_upload_days: int = 7
    expiration_days: int | None = None


@dataclass(frozen=True)
class SecureBucketArgs:
    bucket_name: str
    """The global bucket name (layout.bucket_name): deterministic, no random suffix."""
    key: EncryptionKey
    """The bucket's customer managed key; objects are SSE-KMS with an S3 bucket key."""
    teardown: Teardown
    statefulness: Statefulness = "stateful"
    access_log_bucket: "SecureBucket | None" = None
    """Where S3 server access logs go. Only the access-log bucket itself has none (S3.9)."""
    object_lock: ObjectLock | None = None
    lifecycle: Lifecycle = Lifecycle()
    vpc_endpoint_ids: Sequence[pulumi.Input[str]] = ()
    """When set, people and roles read and write objects only through these endpoints."""
    writer_arns: Sequence[pulumi.Input[str]] = ()
    """When set, only these principals may put objects."""
    extra_statements: Sequence[dict[str, Any]] = ()
    """Bucket policy statements for AWS services that deliver logs here."""
    named_access: policies.NamedObjectAccess | None = None
    """When set, only these principals read, write and delete objects (explicit Denies by
    aws:PrincipalArn), whatever an administrator's own IAM policy allows."""
    remote_readers: Sequence[pulumi.Input[str]] = ()
    """Principals that may read objects from outside the center's endpoints (a reviewer
    organization without workstations, reading from its own account)."""
    remote_writers: Sequence[pulumi.Input[str]] = ()
    """Principals that may put objects from outside the center's endpoints (the source mirror's writer)."""
    policy_declared_later: bool = False
    """The bucket policy waits for `admit_only_through(endpoint ids)`: the audit buckets exist
    before the network whose endpoint they admit (the network logs to the audit key)."""
    tags: dict[str, str] = field(default_factory=dict)


class SecureBucket(pulumi.ComponentResource):
    """A private, versioned, KMS-encrypted bucket: all public access blocked, ACLs disabled,
    TLS only, server access logging, optional Object Lock and endpoint-only access."""

    def __init__(self, name: str, args: SecureBucketArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("transparency-center:storage:SecureBucket", name, None, opts)
        self._name = name
        self.key = args.key
        child = pulumi.ResourceOptions(parent=self)
        keep = pulumi.ResourceOptions.merge(child, args.teardown.options(args.statefulness))

        self.bucket = aws.s3.Bucket(
            resource_name(name, "bucket"),
            bucket=args.bucket_name,
            force_destroy=args.teardown.force_destroy(args.statefulness),
            object_lock_enabled=args.object_lock is not None,
            tags={**args.tags, **({OBJECT_LOCK_TAG: args.object_lock.mode} if args.object_lock else {})} or None,
            opts=keep,
        )
        self.bucket_name = args.bucket_name
        self.arn: pulumi.Output[str] = self.bucket.arn
        self.id: pulumi.Output[str] = self.bucket.id

        self.public_access_block = aws.s3.BucketPublicAccessBlock(
            resource_name(name, "public-access-block"),
            bucket=self.bucket.id,
            block_public_acls=True, block_public_policy=True, ignore_public_acls=True, restrict_public_buckets=True,
            opts=child,
        )
        aws.s3.BucketOwnershipControls(
            resource_name(name, "ownership"),
            bucket=self.bucket.id,
            rule={"object_ownership": "BucketOwnerEnforced"},
            opts=child,
        )
        self.versioning = aws.s3.BucketVersioning(
            resource_name(name, "versioning"),
            bucket=self.bucket.id,
            versioning_configuration={"status": "Enabled"},
            opts=child,
        )
        aws.s3.BucketServerSideEncryptionConfiguration(
            resource_name(name, "encryption"),
            bucket=self.bucket.id,
            rules=[{
                "apply_server_side_encryption_by_default": {"sse_algorithm": "aws:kms", "kms_master_key_id": args.key.arn},
                "bucket_key_enabled": True,
            }],
            opts=child,
        )
        if args.access_log_bucket is not None:
            aws.s3.BucketLogging(
                resource_name(name, "access-logging"),
                bucket=self.bucket.id,
                target_bucket=args.access_log_bucket.id,
                target_prefix=f"{args.bucket_name}/",
                opts=child,
            )
        if args.object_lock is not None:
            aws.s3.BucketObjectLockConfiguration(
                resource_name(name, "object-lock"),
                bucket=self.bucket.id,
                object_lock_enabled="Enabled",
                rule={"default_retention": {"mode": args.object_lock.mode, "days": args.object_lock.retention_days}},
                opts=pulumi.ResourceOptions(parent=self, depends_on=[self.versioning]),
            )
        aws.s3.BucketLifecycleConfiguration(
            resource_name(name, "lifecycle"),
            bucket=self.bucket.id,
            rules=_lifecycle_rules(args.lifecycle),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.versioning]),
        )
        self._args = args
        self.policy: aws.s3.BucketPolicy | None = None
        if not args.policy_declared_later:
            self._declare_policy(args.vpc_endpoint_ids)
        self.register_outputs({"arn": self.arn, "bucketName": args.bucket_name})

    def declare_policy(self, extra_statements: Sequence[dict[str, Any]] = ()) -> aws.s3.BucketPolicy:
        """Declare the deferred bucket policy with statements only known later (a statement
        naming a resource that itself needs this bucket, such as a CloudFront distribution)."""
        if self.policy is not None:
            raise ValueError(f"{self._name}: the bucket policy is already declared")
        return self._declare_policy(self._args.vpc_endpoint_ids, extra_statements)

    def admit_only_through(self, vpc_endpoint_ids: Sequence[pulumi.Input[str]]) -> aws.s3.BucketPolicy:
        """Declare the deferred bucket policy: objects only through these endpoints."""
        if self.policy is not None:
            raise ValueError(f"{self._name}: the bucket policy is already declared")
        if not vpc_endpoint_ids:
            raise ValueError(f"{self._name}: admit_only_through needs at least one VPC endpoint")
        return self._declare_policy(vpc_endpoint_ids)

    def _declare_policy(self, vpc_endpoint_ids: Sequence[pulumi.Input[str]],
                        later_statements: Sequence[dict[str, Any]] = ()) -> aws.s3.BucketPolicy:
        args = self._args
        statements = [policies.deny_insecure_transport(self.arn)]
        if vpc_endpoint_ids:
            statements.extend(policies.deny_outside_vpc_endpoints_statements(
                self.arn, vpc_endpoint_ids, remote_readers=args.remote_readers, remote_writers=args.remote_writers))
        if args.writer_arns:
            statements.append(policies.deny_writes_except(self.arn, args.writer_arns))
        if args.named_access is not None:
            statements.extend(policies.named_object_access_statements(self.arn, args.named_access))
        statements.extend(args.extra_statements)
        statements.extend(later_statements)
        self.policy = aws.s3.BucketPolicy(
            resource_name(self._name, "policy"),
            bucket=self.bucket.id,
            policy=pulumi.Output.json_dumps(policies.document(*statements)),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.public_access_block]),
        )
        return self.policy

    # --- grants: one inline policy on the grantee per grant ------------------------------

    def grant_read(self, role: Role, prefix: str = "") -> aws.iam.RolePolicy:
        """Read (and list) objects, optionally only under `prefix`; decrypt with the bucket key."""
        return self.grant_read_prefixes(role, policy_name_for("read", self._name, prefix), [prefix] if prefix else [])

    def grant_read_prefixes(self, role: Role, policy_name: str, prefixes: Sequence[str]) -> aws.iam.RolePolicy:
        """Read (and list) objects under any of `prefixes` (all objects when empty), in one
        inline policy; decrypt with the bucket key."""
        list_conditions = {"StringLike": {"s3:prefix": [f"{p}*" for p in prefixes]}} if prefixes else None
        objects = [policies.objects_under(self.arn, p) for p in prefixes] or [policies.objects_under(self.arn, "")]
        return role.add_policy(policy_name, [
            policies.statement("ListObjects", policies.S3_LIST_ACTIONS, [self.arn], conditions=list_conditions),
            policies.statement("ReadObjects", policies.S3_READ_ACTIONS, objects),
            policies.statement("DecryptObjects", policies.KEY_DECRYPT_ACTIONS, [self.key.arn]),
        ])

    def grant_write(self, role: Role, prefix: str = "") -> aws.iam.RolePolicy:
        """Put new objects (never delete), optionally only under `prefix`; encrypt with the bucket key."""
        return role.add_policy(policy_name_for("write", self._name, prefix), [
            policies.statement("WriteObjects", policies.S3_WRITE_ACTIONS, [policies.objects_under(self.arn, prefix)]),
            policies.statement("EncryptObjects", ["kms:GenerateDataKey", "kms:Encrypt", "kms:DescribeKey"], [self.key.arn]),
        ])


def _lifecycle_rules(lifecycle: Lifecycle) -> list[dict[str, Any]]:
    rule: dict[str, Any] = {
        "id": "retention",
        "status": "Enabled",
        "filter": {},
        "abort_incomplete_multipart_upload": {"days_after_initiation": lifecycle.abort_incomplete_multipart_upload_days},
    }
    if lifecycle.noncurrent_version_expiration_days is not None:
        rule["noncurrent_version_expiration"] = {"noncurrent_days": lifecycle.noncurrent_version_expiration_days}
    if lifecycle.transition_to_infrequent_access_days is not None:
        rule["transitions"] = [{"days": lifecycle.transition_to_infrequent_access_days, "storage_class": "STANDARD_IA"}]
    if lifecycle.expiration_days is not None:
        rule["expiration"] = {"days": lifecycle.expiration_days}
    return [rule]
