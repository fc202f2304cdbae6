"""Pure policy documents: IAM, KMS key and S3 bucket policies, built as dicts.

Values may be plain strings or pulumi Outputs; components serialize a whole document
with `pulumi.Output.json_dumps`. Nothing here declares a resource or uses a template.
"""

from __future__ import annotations

from typing import Any, Iterable, Sequence

from .config.base import REGION

VERSION = "2012-10-17"

KEY_ADMIN_ACTIONS = [
    "kms:CancelKeyDeletion", "kms:Create*", "kms:Delete*", "kms:Describe*", "kms:Disable*",
    "kms:Enable*", "kms:Get*", "kms:List*", "kms:Put*", "kms:Revoke*", "kms:RotateKeyOnDemand",
    "kms:ScheduleKeyDeletion", "kms:TagResource", "kms:UntagResource", "kms:Update*",
]
"""Administering a key, never using it: no Encrypt, Decrypt, GenerateDataKey or Sign."""

KEY_ENCRYPT_DECRYPT_ACTIONS = ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"]
KEY_DECRYPT_ACTIONS = ["kms:Decrypt", "kms:DescribeKey"]
KEY_VERIFY_ACTIONS = ["kms:DescribeKey", "kms:GetPublicKey", "kms:Verify"]
KEY_SIGN_ACTIONS = ["kms:Sign"]

S3_READ_ACTIONS = ["s3:GetObject", "s3:GetObjectVersion"]
S3_LIST_ACTIONS = ["s3:ListBucket"]
S3_WRITE_ACTIONS = ["s3:PutObject"]
S3_OBJECT_DATA_ACTIONS = ["s3:DeleteObject*", "s3:GetObject*", "s3:PutObject*", "s3:RestoreObject"]


def document(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": VERSION, "Statement": list(statements)}


def statement(
    sid: str,
    actions: Sequence[str],
    resources: Sequence[Any] | Any = "*",
    *,
    effect: str = "Allow",
    principals: dict[str, Any] | None = None,
    conditions: dict[str, Any] | None = None,
    not_principals: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One statement. `sid` is required: reviewers read policies statement by statement."""
    result: dict[str, Any] = {"Sid": sid, "Effect": effect}
    if principals is not None:
        result["Principal"] = principals
    if not_principals is not None:
        result["NotPrincipal"] = not_principals
    result["Action"] = sorted(actions)
    result["Resource"] = list(resources) if isinstance(resources, (list, tuple)) else resources
    if conditions:
        result["Condition"] = conditions
    return result


def account_root(account_id: str) -> str:
    return f"arn:aws:iam::{account_id}:root"


def role_arn(account_id: str, role_name: str) -> str:
    return f"arn:aws:iam::{account_id}:role/{role_name}"


def service_endpoint(service: str) -> str:
    return f"{service}.{REGION}.amazonaws.com"


# --- trust policies -------------------------------------------------------------------

def assume_role_by_service(service: str, account_id: str) -> dict[str, Any]:
    """Trust an AWS service, only on behalf of this account (confused-deputy guard)."""
    # EC2 sends no aws:SourceAccount when it assumes an instance role.
    conditions = None if service == "ec2.amazonaws.com" else {"StringEquals": {"aws:SourceAccount": account_id}}
    return document(statement("TrustService", ["sts:AssumeRole"], principals={"Service": service}, conditions=conditions))


def assume_role_by_principals(principal_arns: Sequence[str], require_mfa: bool = True) -> dict[str, Any]:
    """Trust named IAM principals of this account (e.g. an identity center permission set role)."""
    conditions = {"Bool": {"aws:MultiFactorAuthPresent": "true"}} if require_mfa else None
    return document(statement(
        "TrustNamedPrincipals", ["sts:AssumeRole"], principals={"AWS": sorted(principal_arns)}, conditions=conditions,
    ))


# --- key policies ---------------------------------------------------------------------

def key_admin_statement(administrators: Sequence[str]) -> dict[str, Any]:
    return statement("KeyAdministration", KEY_ADMIN_ACTIONS, principals={"AWS": sorted(administrators)})


def encryption_key_policy(
    account_id: str,
    administrators: Sequence[str],
    via_services: Sequence[str],
    service_statements: Iterable[dict[str, Any]] = (),
) -> dict[str, Any]:
    """A symmetric key: administrators administer; principals of this account may use it
    only through the named AWS services, and only when an IAM policy grants it to them
    (the `grant_*` methods write those policies)."""
    usage = statement(
        "UseThroughNamedServicesOnly",
        KEY_ENCRYPT_DECRYPT_ACTIONS + ["kms:CreateGrant"],
        principals={"AWS": account_root(account_id)},
        conditions={
            "StringEquals": {"kms:CallerAccount": account_id},
            "StringLike": {"kms:ViaService": sorted(service_endpoint(s) for s in via_services)},
        },
    )
    return document(key_admin_statement(administrators), usage, *service_statements)


def logs_service_key_statement(account_id: str) -> dict[str, Any]:
    """CloudWatch Logs may use the key only for log groups of this account in Zurich."""
    return statement(
        "CloudWatchLogsEncryptLogGroups", KEY_ENCRYPT_DECRYPT_ACTIONS,
        principals={"Service": service_endpoint("logs")},
        conditions={"ArnLike": {"kms:EncryptionContext:aws:logs:arn": f"arn:aws:logs:{REGION}:{account_id}:log-group:*"}},
    )


def cloudtrail_key_statements(account_id: str, trail_arn: str) -> list[dict[str, Any]]:
    """CloudTrail may encrypt log files of this account's trail; this account may decrypt them."""
    return [
        statement(
            "CloudTrailEncryptLogs", ["kms:GenerateDataKey*"], principals={"Service": "cloudtrail.amazonaws.com"},
            conditions={
                "StringEquals": {"aws:SourceArn": trail_arn},
                "StringLike": {"kms:EncryptionContext:aws:cloudtrail:arn": f"arn:aws:cloudtrail:*:{account_id}:trail/*"},
            },
        ),
        statement(
            "CloudTrailDescribeKey", ["kms:DescribeKey"], principals={"Service": "cloudtrail.amazonaws.com"},
            conditions={"StringEquals": {"aws:SourceArn": trail_arn}},
        ),
    ]


# --- bucket policies ------------------------------------------------------------------

def bucket_arns(bucket_arn: Any) -> list[Any]:
    from pulumi import Output

    objects = Output.concat(bucket_arn, "/*") if isinstance(bucket_arn, Output) else f"{bucket_arn}/*"
    return [bucket_arn, objects]


def deny_insecure_transport(bucket_arn: Any) -> dict[str, Any]:
    """S3.5: every request must use TLS."""
    return statement(
        "DenyInsecureTransport", ["s3:*"], bucket_arns(bucket_arn), effect="Deny",
        principals={"AWS": "*"}, conditions={"Bool": {"aws:SecureTransport": "false"}},
    )


def deny_outside_vpc_endpoints(bucket_arn: Any, vpc_endpoint_ids: Sequence[Any]) -> dict[str, Any]:
    """Object reads and writes by people and roles only through the center's S3 endpoint.
    AWS services writing logs (CloudTrail, S3 logging) are exempt: they never come through a VPC."""
    return statement(
        "DenyObjectAccessOutsideCenterEndpoints", S3_OBJECT_DATA_ACTIONS, bucket_arns(bucket_arn)[1], effect="Deny",
        principals={"AWS": "*"},
        conditions={
            "StringNotEquals": {"aws:SourceVpce": list(vpc_endpoint_ids)},
            "Bool": {"aws:PrincipalIsAWSService": "false"},
        },
    )


def deny_writes_except(bucket_arn: Any, writer_arns: Sequence[Any]) -> dict[str, Any]:
    """Only the named roles may write objects."""
    return statement(
        "DenyWritesExceptNamedWriters", ["s3:PutObject"], bucket_arns(bucket_arn)[1], effect="Deny",
        principals={"AWS": "*"},
        conditions={
            "StringNotEquals": {"aws:PrincipalArn": list(writer_arns)},
            "Bool": {"aws:PrincipalIsAWSService": "false"},
        },
    )


def allow_log_delivery(bucket_arn: Any, account_id: str, prefix: str = "") -> dict[str, Any]:
    """S3 server access logging writes here, only for buckets of this account."""
    return statement(
        "AllowS3ServerAccessLogDelivery", ["s3:PutObject"], [_objects(bucket_arn, prefix)],
        principals={"Service": "logging.s3.amazonaws.com"},
        conditions={"StringEquals": {"aws:SourceAccount": account_id}},
    )


def _objects(bucket_arn: Any, prefix: str) -> Any:
    from pulumi import Output

    suffix = f"/{prefix}*" if prefix else "/*"
    return Output.concat(bucket_arn, suffix) if isinstance(bucket_arn, Output) else f"{bucket_arn}{suffix}"


def objects_under(bucket_arn: Any, prefix: str) -> Any:
    return _objects(bucket_arn, prefix)


# --- endpoint policies ----------------------------------------------------------------

def endpoint_policy_own_account(account_id: str) -> dict[str, Any]:
    """An interface endpoint serves only principals of this account (data perimeter)."""
    return document(statement(
        "OnlyThisAccountsPrincipals", ["*"], "*", principals={"AWS": "*"},
        conditions={"StringEquals": {"aws:PrincipalAccount": account_id}},
    ))


def s3_gateway_endpoint_policy(account_id: str) -> dict[str, Any]:
    """The S3 gateway serves this account's principals and this account's buckets only.
    Hosts run a pinned image and get no agent or package updates from AWS-owned buckets."""
    return document(statement(
        "OnlyThisAccountsPrincipalsAndBuckets", ["s3:*"], "*", principals={"AWS": "*"},
        conditions={"StringEquals": {"aws:PrincipalAccount": account_id, "aws:ResourceAccount": account_id}},
    ))


def s3_log_delivery_key_statement(account_id: str) -> dict[str, Any]:
    """S3 server access logging encrypts the log objects it delivers with this key."""
    return statement(
        "S3ServerAccessLogDelivery", ["kms:GenerateDataKey*", "kms:Decrypt"],
        principals={"Service": "logging.s3.amazonaws.com"},
        conditions={"StringEquals": {"aws:SourceAccount": account_id}},
    )
