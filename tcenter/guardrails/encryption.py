"""Rules about encryption at rest with customer managed keys: EBS, S3, log groups, DynamoDB,
CloudTrail, Secrets Manager."""

from __future__ import annotations

from typing import Any, Iterator, Mapping

from .model import (
    BUCKET_TYPES,
    Context,
    Resource,
    Rule,
    Stack,
    as_list,
    dig,
    is_off,
    is_unknown,
    truthy,
)


def _ebs_problems(label: str, device: Any) -> Iterator[str]:
    if not isinstance(device, Mapping):
        return
    encrypted = device.get("encrypted")
    if is_unknown(encrypted):
        return
    if truthy(encrypted) is not True:
        yield f"{label} is not encrypted (EC2.3)"
    elif not device.get("kmsKeyId"):
        yield f"{label} is encrypted with the AWS managed key; name a customer managed key (kmsKeyId)"


def check_ebs_cmk(resource: Resource, context: Context) -> Iterator[str]:
    if resource.type == "aws:ec2/instance:Instance":
        root = resource.inputs.get("rootBlockDevice")
        if root is None and resource.inputs.get("launchTemplate") is None:
            yield "no rootBlockDevice: the root volume would use the account default (unencrypted unless set)"
        elif root is not None:
            yield from _ebs_problems("rootBlockDevice", root)
        for index, device in enumerate(as_list(resource.inputs.get("ebsBlockDevices"))):
            yield from _ebs_problems(f"ebsBlockDevices[{index}]", device)
    elif resource.type == "aws:ebs/volume:Volume":
        yield from _ebs_problems("the volume", resource.inputs)
    elif resource.type == "aws:ec2/launchTemplate:LaunchTemplate":
        for index, mapping in enumerate(as_list(resource.inputs.get("blockDeviceMappings"))):
            if dig(mapping, "ebs") is not None:
                yield from _ebs_problems(f"blockDeviceMappings[{index}].ebs", dig(mapping, "ebs"))


EBS_CMK = Rule(
    "ebs-encryption-cmk", "FSBP EC2.3; CKV_AWS_8, CKV_AWS_189",
    "Every EBS volume (instance, launch template, standalone) is encrypted with a customer managed key.",
    resource_check=check_ebs_cmk,
)

SSE_TYPES = (
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
)
def _sse_rule_problems(rules: Any) -> Iterator[str]:
    if is_unknown(rules):
        return
    rules = as_list(rules)
    if not rules:
        yield "no encryption rule"
    for index, rule in enumerate(rules):
        default = dig(rule, "applyServerSideEncryptionByDefault")
        algorithm = dig(default, "sseAlgorithm")
        if is_unknown(algorithm):
            continue
        if algorithm not in ("aws:kms", "aws:kms:dsse"):
            yield f"rules[{index}] uses {algorithm!r}; use SSE-KMS ('aws:kms') with a customer managed key (S3.17)"
        elif not dig(default, "kmsMasterKeyId"):
            yield f"rules[{index}] uses SSE-KMS without kmsMasterKeyId, i.e. the AWS managed aws/s3 key"


def check_s3_sse(resource: Resource, context: Context) -> Iterator[str]:
    if resource.type in SSE_TYPES:
        yield from _sse_rule_problems(resource.inputs.get("rules"))
    elif resource.type in BUCKET_TYPES:
        inline = resource.inputs.get("serverSideEncryptionConfiguration")
        if isinstance(inline, Mapping):
            yield from _sse_rule_problems(as_list(inline.get("rule")) or as_list(inline.get("rules")))


def stack_s3_sse(stack: Stack) -> Iterator[tuple[Resource, str]]:
    configured = {b.urn for sse in stack.of_type(*SSE_TYPES) for b in stack.referenced(sse, "bucket", *BUCKET_TYPES)}
    for bucket in stack.of_type(*BUCKET_TYPES):
        if bucket.urn not in configured and not isinstance(bucket.inputs.get("serverSideEncryptionConfiguration"), Mapping):
            yield bucket, "no server-side encryption configuration with a customer managed key"


S3_SSE_CMK = Rule(
    "s3-sse-kms-cmk", "FSBP S3.17; CKV_AWS_145",
    "Every bucket has SSE-KMS by default with the ARN of a customer managed key.",
    resource_check=check_s3_sse, stack_check=stack_s3_sse,
)


def check_log_group_cmk(resource: Resource, context: Context) -> Iterator[str]:
    if resource.type == "aws:cloudwatch/logGroup:LogGroup" and not resource.inputs.get("kmsKeyId"):
        yield "no kmsKeyId: log events are encrypted only with a CloudWatch-owned key"


LOG_GROUP_CMK = Rule(
    "log-group-cmk", "CKV_AWS_158 (CloudWatch log groups encrypted by KMS)",
    "Every log group is encrypted with a customer managed key.",
    resource_check=check_log_group_cmk,
)


def check_dynamodb_cmk(resource: Resource, context: Context) -> Iterator[str]:
    if resource.type != "aws:dynamodb/table:Table":
        return
    sse = resource.inputs.get("serverSideEncryption")
    if is_unknown(sse):
        return
    if is_off(dig(sse, "enabled")):
        yield "serverSideEncryption is off: the table uses an AWS owned key"
    elif not dig(sse, "kmsKeyArn"):
        yield "serverSideEncryption has no kmsKeyArn: the AWS managed aws/dynamodb key"


DYNAMODB_CMK = Rule(
    "dynamodb-cmk", "CKV_AWS_119 (DynamoDB encrypted with a customer managed key)",
    "Every DynamoDB table is encrypted with a customer managed key.",
    resource_check=check_dynamodb_cmk,
)


def check_cloudtrail_cmk(resource: Resource, context: Context) -> Iterator[str]:
    if resource.type == "aws:cloudtrail/trail:Trail" and not resource.inputs.get("kmsKeyId"):
        yield "no kmsKeyId: log files are encrypted only with SSE-S3"


CLOUDTRAIL_CMK = Rule(
    "cloudtrail-cmk", "FSBP CloudTrail.2; CIS 3.5; CKV_AWS_35",
    "CloudTrail log files are encrypted with a customer managed key.",
    resource_check=check_cloudtrail_cmk,
)


def check_secret_cmk(resource: Resource, context: Context) -> Iterator[str]:
    if resource.type == "aws:secretsmanager/secret:Secret" and not resource.inputs.get("kmsKeyId"):
        yield "no kmsKeyId: the secret uses the AWS managed aws/secretsmanager key"


SECRET_CMK = Rule(
    "secret-cmk", "CKV_AWS_149",
    "Secrets Manager secrets are encrypted with a customer managed key.",
    resource_check=check_secret_cmk,
)


