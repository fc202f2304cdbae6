"""What AWS itself would refuse: document sizes, tags (the mock engine accepts anything)."""

from __future__ import annotations

import json
from typing import Any, Iterator, Mapping

from components import awsfacts

from .model import (
    BUCKET_TYPES,
    Context,
    LOCK_TYPES,
    Resource,
    Rule,
    Stack,
    bucket_name_of,
    dig,
    is_unknown,
    parse_document,
    truthy,
)


TAGGED_INPUTS = ("tags",)


def _document_size(value: Any) -> int | None:
    document = parse_document(value)
    return None if document is None else len(json.dumps(document, separators=(",", ":")))


def check_aws_limits(resource: Resource, context: Context) -> Iterator[str]:
    """Rules AWS enforces at deploy time that the mock engine and preview never see."""
    for (type_, key), limit in awsfacts.POLICY_SIZE_LIMITS.items():
        if resource.type == type_:
            size = _document_size(resource.inputs.get(key))
            if size is not None and size > limit:
                yield f"{key} is {size} characters; AWS accepts at most {limit}"
    if resource.type in BUCKET_TYPES:
        name = bucket_name_of(resource)
        problem = awsfacts.bucket_name_problem(name) if name else None
        if problem:
            yield f"bucket name {name!r} would be refused by S3: {problem}"
    if resource.type == "aws:kms/key:Key":
        usage = resource.inputs.get("keyUsage") or "ENCRYPT_DECRYPT"
        spec = resource.inputs.get("customerMasterKeySpec") or resource.inputs.get("keySpec") or "SYMMETRIC_DEFAULT"
        if not is_unknown(usage) and not is_unknown(spec):
            allowed = awsfacts.KEY_SPECS_BY_USAGE.get(usage)
            if allowed is None:
                yield f"key usage {usage!r} is not one KMS knows: {sorted(awsfacts.KEY_SPECS_BY_USAGE)}"
            elif spec not in allowed:
                yield f"KMS refuses key spec {spec} for usage {usage}; allowed: {list(allowed)}"
            if truthy(resource.inputs.get("enableKeyRotation")) and spec not in awsfacts.ROTATABLE_KEY_SPECS:
                yield f"KMS rotates only {list(awsfacts.ROTATABLE_KEY_SPECS)} keys; {spec} refuses enableKeyRotation"
        window = resource.inputs.get("deletionWindowInDays")
        low, high = awsfacts.KEY_DELETION_WINDOW_DAYS
        if isinstance(window, int) and not low <= window <= high:
            yield f"deletionWindowInDays {window} is outside KMS's {low}-{high}"
    tags = resource.inputs.get("tags")
    if isinstance(tags, Mapping):
        if len(tags) > awsfacts.TAGS_PER_RESOURCE_MAX:
            yield f"{len(tags)} tags; AWS allows {awsfacts.TAGS_PER_RESOURCE_MAX} per resource"
        for key, value in tags.items():
            if len(str(key)) > awsfacts.TAG_KEY_MAX or str(key).lower().startswith("aws:"):
                yield f"tag key {str(key)[:40]!r} is longer than {awsfacts.TAG_KEY_MAX} or uses the reserved aws: prefix"
            if isinstance(value, str) and not is_unknown(value) and len(value) > awsfacts.TAG_VALUE_MAX:
                yield f"tag {key!r} has a value longer than {awsfacts.TAG_VALUE_MAX} characters"


NOTIFICATION_TYPE = "aws:s3/bucketNotification:BucketNotification"


def stack_aws_limits(stack: Stack) -> Iterator[tuple[Resource, str]]:
    """Object Lock needs versioning: a locked bucket whose versioning is declared anything but
    Enabled is refused by S3. S3 keeps one notification configuration per bucket: a second
    declaration replaces the first at every deploy."""
    versioning = {}
    for each in stack.of_type("aws:s3/bucketVersioning:BucketVersioning", "aws:s3/bucketVersioningV2:BucketVersioningV2"):
        for bucket in stack.referenced(each, "bucket", *BUCKET_TYPES):
            versioning[bucket.urn] = dig(each.inputs, "versioningConfiguration", "status")
    for lock in stack.of_type(*LOCK_TYPES):
        for bucket in stack.referenced(lock, "bucket", *BUCKET_TYPES):
            status = versioning.get(bucket.urn)
            if status != "Enabled" and not is_unknown(status):
                yield bucket, f"Object Lock needs versioning Enabled (declared: {status or 'no versioning resource'})"
    notified: dict[str, list[Resource]] = {}
    for notification in stack.of_type(NOTIFICATION_TYPE):
        for bucket in stack.referenced(notification, "bucket", *BUCKET_TYPES):
            notified.setdefault(bucket.urn, []).append(notification)
    for notifications in notified.values():
        if len(notifications) > 1:
            yield notifications[-1], (f"{len(notifications)} notification configurations on one bucket "
                                      f"({', '.join(n.name for n in notifications)}): S3 keeps one, each replaces the "
                                      "last; declare one (EventBridge can fan its events out)")


AWS_LIMITS = Rule(
    "aws-limits", "AWS service quotas and validation (IAM, KMS, S3, tagging)",
    "What AWS would refuse at deploy time: policy sizes, bucket names, KMS key spec/usage pairs, rotation and "
    "deletion windows, tag limits, Object Lock without versioning, two notification configurations on one bucket.",
    resource_check=check_aws_limits, stack_check=stack_aws_limits,
)


