"""Pure policy documents: IAM, KMS key and S3 bucket policies, built as dicts.

Values may be plain strings or pulumi Outputs; components serialize a whole document
with `pulumi.Output.json_dumps`. Nothing here declares a resource or uses a template.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Sequence

from .config.base import REGION
from .awsfacts import ENDPOINT_ACTIONS_WITHOUT_RESOURCE_ACCOUNT
from .awsfacts import KEY_LIFECYCLE_ACTIONS as _KEY_LIFECYCLE_ACTIONS
from .awsfacts import account_root, role_arn, service_endpoint, service_principal  # noqa: F401 - re-exported

VERSION = "2012-10-17"

KEY_ADMIN_ACTIONS = [
    "kms:CancelKeyDeletion", "kms:CreateAlias", "kms:DeleteAlias", "kms:DescribeKey", "kms:EnableKey",
    "kms:EnableKeyRotation", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:ListGrants",
    "kms:ListKeyPolicies", "kms:ListKeyRotations", "kms:ListResourceTags", "kms:PutKeyPolicy",
    "kms:RevokeGrant", "kms:RotateKeyOnDemand", "kms:TagResource", "kms:UntagResource", "kms:UpdateAlias",
    "kms:UpdateKeyDescription",
]
"""Administering a key, never using it, listed one by one: no Encrypt, Decrypt,
GenerateDataKey or Sign, and no CreateGrant (a grant would let an administrator hand itself
Decrypt). kms:PutKeyPolicy stays: KMS's lockout safety check refuses a key policy unless the
principal setting it (the deploying role, one of the administrators) may put the next one;
every use of it is a CloudTrail management event (alarms: the organization issue)."""

KEY_LIFECYCLE_ACTIONS = list(_KEY_LIFECYCLE_ACTIONS)
"""Actions that make everything a key encrypted unreadable (a disabled trail key, a deleted
data key). Destroyable stacks give them to the administrators (pulumi destroy schedules
deletion); prod gives them to the break-glass role only (access.breakGlassRole)."""

KEY_ENCRYPT_DECRYPT_ACTIONS = ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"]
KEY_DECRYPT_ACTIONS = ["kms:Decrypt", "kms:DescribeKey"]
KEY_VERIFY_ACTIONS = ["kms:DescribeKey", "kms:GetPublicKey", "kms:Verify"]
KEY_SIGN_ACTIONS = ["kms:Sign"]

S3_READ_ACTIONS = ["s3:GetObject", "s3:GetObjectVersion"]
S3_LIST_ACTIONS = ["s3:ListBucket", "s3:ListBucketVersions"]
"""Listing includes versions: a reviewer sees an overwritten or deleted-marked object's history."""
S3_WRITE_ACTIONS = ["s3:PutObject"]
S3_OBJECT_DATA_ACTIONS = ["s3:DeleteObject*", "s3:GetObject*", "s3:PutObject*", "s3:RestoreObject"]


def document(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": VERSION, "Statement": list(statements)}


def statement(
    sid: str,
    actions: Sequence[str],
    resources: Sequence[Any] | Any,
    *,
    effect: str = "Allow",
    principals: dict[str, Any] | None = None,
    conditions: dict[str, Any] | None = None,
    not_principals: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One statement of an identity or resource policy. `sid` is required: reviewers read
    policies statement by statement. `resources` is required too: a trust policy must not
    carry one (IAM refuses it), so trust statements come from `trust_statement`."""
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


def deny_all_but(sid: str, not_actions: Sequence[str], resources: Sequence[Any] | Any, *,
                 conditions: dict[str, Any] | None = None) -> dict[str, Any]:
    """An identity policy Deny of every action but `not_actions` (NotAction) on `resources`."""
    result: dict[str, Any] = {"Sid": sid, "Effect": "Deny", "NotAction": sorted(not_actions),
                              "Resource": list(resources) if isinstance(resources, (list, tuple)) else resources}
    if conditions:
        result["Condition"] = conditions
    return result


def trust_statement(
    sid: str, actions: Sequence[str], principals: dict[str, Any], *, conditions: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One statement of a role's trust policy: a Principal and never a Resource."""
    result: dict[str, Any] = {"Sid": sid, "Effect": "Allow", "Principal": principals, "Action": sorted(actions)}
    if conditions:
        result["Condition"] = conditions
    return result


THIS_KEY = "*"
"""In a key policy, Resource "*" means the key the policy is attached to."""


def key_statement(
    sid: str, actions: Sequence[str], principals: dict[str, Any], *, effect: str = "Allow",
    conditions: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One statement of a KMS key policy (its resource is always the key itself)."""
    return statement(sid, actions, THIS_KEY, effect=effect, principals=principals, conditions=conditions)


# --- trust policies -------------------------------------------------------------------

def assume_role_by_service(service: str, account_id: str) -> dict[str, Any]:
    """Trust an AWS service, only on behalf of this account (confused-deputy guard)."""
    # EC2 sends no aws:SourceAccount when it assumes an instance role.
    conditions = None if service == "ec2.amazonaws.com" else {"StringEquals": {"aws:SourceAccount": account_id}}
    return document(trust_statement("TrustService", ["sts:AssumeRole"], {"Service": service}, conditions=conditions))


def assume_role_by_principals(principal_arns: Sequence[str], require_mfa: bool = True) -> dict[str, Any]:
    """Trust named IAM principals of this account (e.g. an identity center permission set role)."""
    conditions = {"Bool": {"aws:MultiFactorAuthPresent": "true"}} if require_mfa else None
    return document(trust_statement(
        "TrustNamedPrincipals", ["sts:AssumeRole"], {"AWS": sorted(principal_arns)}, conditions=conditions,
    ))


# --- key policies ---------------------------------------------------------------------

def key_admin_statements(
    account_id: str, administrators: Sequence[str], *, guard_lifecycle: bool, break_glass_role: str | None = None,
) -> list[dict[str, Any]]:
    """Administration of a key. With `guard_lifecycle` (prod), DisableKey and
    ScheduleKeyDeletion are denied to every principal but `break_glass_role` (to all when
    it is None), whatever an IAM policy or a later statement allows. The Denies name the
    account (every principal of it); other accounts have no Allow on the key at all."""
    everyone_here = {"AWS": account_root(account_id)}
    if not guard_lifecycle:
        return [statement("KeyAdministration", KEY_ADMIN_ACTIONS + KEY_LIFECYCLE_ACTIONS, "*",
                          principals={"AWS": sorted(administrators)})]
    statements = [statement("KeyAdministration", KEY_ADMIN_ACTIONS, "*", principals={"AWS": sorted(administrators)})]
    if break_glass_role is None:
        statements.append(statement("DenyDisableOrDeleteToEveryone", KEY_LIFECYCLE_ACTIONS, "*",
                                    effect="Deny", principals=everyone_here))
        return statements
    statements.append(statement("BreakGlassDisableOrDelete", KEY_LIFECYCLE_ACTIONS, "*",
                                principals={"AWS": break_glass_role}))
    statements.append(statement("DenyDisableOrDeleteButBreakGlass", KEY_LIFECYCLE_ACTIONS, "*",
                                effect="Deny", principals=everyone_here,
                                conditions={"ArnNotEquals": {"aws:PrincipalArn": break_glass_role}}))
    return statements


def encryption_key_policy(
    account_id: str,
    administrators: Sequence[str],
    via_services: Sequence[str],
    service_statements: Iterable[dict[str, Any]] = (),
    *,
    guard_lifecycle: bool = True,
    break_glass_role: str | None = None,
) -> dict[str, Any]:
    """A symmetric key: administrators administer; principals of this account may use it
    only through the named AWS services, and only when an IAM policy grants it to them
    (the `grant_*` methods write those policies)."""
    usage = key_statement(
        "UseThroughNamedServicesOnly",
        KEY_ENCRYPT_DECRYPT_ACTIONS + ["kms:CreateGrant"],
        principals={"AWS": account_root(account_id)},
        conditions={
            "StringEquals": {"kms:CallerAccount": account_id},
            "StringLike": {"kms:ViaService": sorted(service_endpoint(s) for s in via_services)},
        },
    )
    admin = key_admin_statements(account_id, administrators, guard_lifecycle=guard_lifecycle, break_glass_role=break_glass_role)
    return document(*admin, usage, *service_statements)


def logs_service_key_statement(account_id: str) -> dict[str, Any]:
    """CloudWatch Logs may use the key only for log groups of this account in Zurich."""
    return key_statement(
        "CloudWatchLogsEncryptLogGroups", KEY_ENCRYPT_DECRYPT_ACTIONS,
        principals={"Service": service_endpoint("logs")},
        conditions={"ArnLike": {"kms:EncryptionContext:aws:logs:arn": f"arn:aws:logs:{REGION}:{account_id}:log-group:*"}},
    )


def cloudtrail_key_statements(account_id: str, trail_arn: str) -> list[dict[str, Any]]:
    """CloudTrail may encrypt log files of this account's trail; this account may decrypt them."""
    return [
        key_statement(
            "CloudTrailEncryptLogs", ["kms:GenerateDataKey*"], principals={"Service": "cloudtrail.amazonaws.com"},
            conditions={
                "StringEquals": {"aws:SourceArn": trail_arn},
                "StringLike": {"kms:EncryptionContext:aws:cloudtrail:arn": f"arn:aws:cloudtrail:*:{account_id}:trail/*"},
            },
        ),
        key_statement(
            "CloudTrailDescribeKey", ["kms:DescribeKey"], principals={"Service": "cloudtrail.amazonaws.com"},
            conditions={"StringEquals": {"aws:SourceArn": trail_arn}},
        ),
    ]


def arn_with(arn: Any, suffix: str) -> Any:
    """An ARN with a suffix (`/*`, `/index/*`, `:log-stream:*`), known now or once deployed."""
    from pulumi import Output

    return Output.concat(arn, suffix) if isinstance(arn, Output) else f"{arn}{suffix}"


# --- bucket policies ------------------------------------------------------------------

def bucket_arns(bucket_arn: Any) -> list[Any]:
    return [bucket_arn, arn_with(bucket_arn, "/*")]


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


def deny_outside_vpc_endpoints_statements(bucket_arn: Any, vpc_endpoint_ids: Sequence[Any], *,
                                          remote_readers: Sequence[Any] = (),
                                          remote_writers: Sequence[Any] = ()) -> list[dict[str, Any]]:
    """`deny_outside_vpc_endpoints`, except that `remote_readers` may read and `remote_writers`
    may put objects from anywhere (each nothing else)."""
    base = deny_outside_vpc_endpoints(bucket_arn, vpc_endpoint_ids)
    remote = [*remote_readers, *remote_writers]
    if not remote:
        return [base]
    base["Condition"]["ArnNotEquals"] = {"aws:PrincipalArn": list(remote)}
    outside = {"StringNotEquals": {"aws:SourceVpce": list(vpc_endpoint_ids)}}
    statements = [base]
    if remote_readers:
        statements.append(statement(
            "DenyRemoteReadersAnythingButReads", ["s3:DeleteObject*", "s3:PutObject*", "s3:RestoreObject"],
            bucket_arns(bucket_arn)[1], effect="Deny", principals={"AWS": "*"},
            conditions={**outside, "ArnEquals": {"aws:PrincipalArn": list(remote_readers)}}))
    if remote_writers:
        statements.append(statement(
            "DenyRemoteWritersAnythingButPuts", ["s3:DeleteObject*", "s3:GetObject*", "s3:RestoreObject"],
            bucket_arns(bucket_arn)[1], effect="Deny", principals={"AWS": "*"},
            conditions={**outside, "ArnEquals": {"aws:PrincipalArn": list(remote_writers)}}))
    return statements


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
    return arn_with(bucket_arn, f"/{prefix}*" if prefix else "/*")


def objects_under(bucket_arn: Any, prefix: str) -> Any:
    return _objects(bucket_arn, prefix)


# --- endpoint policies ----------------------------------------------------------------

def interface_endpoint_policy(service: str, account_id: str) -> dict[str, Any]:
    """An interface endpoint serves only this account's principals acting on this account's
    resources (data perimeter: no foreign key, role or secret through the center), plus the
    documented actions that carry no resource (`awsfacts.ENDPOINT_ACTIONS_WITHOUT_RESOURCE_ACCOUNT`)."""
    statements = [statement(
        "OnlyThisAccountsPrincipalsAndResources", ["*"], "*", principals={"AWS": "*"},
        conditions={"StringEquals": {"aws:PrincipalAccount": account_id, "aws:ResourceAccount": account_id}},
    )]
    if service in ENDPOINT_ACTIONS_WITHOUT_RESOURCE_ACCOUNT:
        actions, _why = ENDPOINT_ACTIONS_WITHOUT_RESOURCE_ACCOUNT[service]
        statements.append(statement(
            "ActionsWithoutAResourceByThisAccountsPrincipals", list(actions), "*", principals={"AWS": "*"},
            conditions={"StringEquals": {"aws:PrincipalAccount": account_id}},
        ))
    return document(*statements)


def s3_gateway_endpoint_policy(account_id: str) -> dict[str, Any]:
    """The S3 gateway serves this account's principals and this account's buckets only.
    Hosts run a pinned image and get no agent or package updates from AWS-owned buckets."""
    return document(statement(
        "OnlyThisAccountsPrincipalsAndBuckets", ["s3:*"], "*", principals={"AWS": "*"},
        conditions={"StringEquals": {"aws:PrincipalAccount": account_id, "aws:ResourceAccount": account_id}},
    ))


def dynamodb_gateway_endpoint_policy(account_id: str, table_arn_pattern: str) -> dict[str, Any]:
    """The DynamoDB gateway serves this account's principals and the center's tables only
    (`table_arn_pattern` covers them and their indexes), for item and describe actions."""
    return document(statement(
        "OnlyThisAccountsPrincipalsAndCenterTables",
        sorted({*DYNAMODB_READ_ACTIONS, *DYNAMODB_WRITE_ACTIONS}),
        [table_arn_pattern, f"{table_arn_pattern}/index/*"], principals={"AWS": "*"},
        conditions={"StringEquals": {"aws:PrincipalAccount": account_id, "aws:ResourceAccount": account_id}},
    ))


def s3_log_delivery_key_statement(account_id: str) -> dict[str, Any]:
    """S3 server access logging encrypts the log objects it delivers with this key."""
    return key_statement(
        "S3ServerAccessLogDelivery", ["kms:GenerateDataKey*", "kms:Decrypt"],
        principals={"Service": "logging.s3.amazonaws.com"},
        conditions={"StringEquals": {"aws:SourceAccount": account_id}},
    )


# --- signing keys (SigningService) ----------------------------------------------------



def signing_key_policy(
    account_id: str, administrators: Sequence[str], signer_role_arn: Any, kms_endpoint_id: Any,
    *, guard_lifecycle: bool = True, break_glass_role: str | None = None,
    signing_algorithms: Sequence[str] = (),
) -> dict[str, Any]:
    """An asymmetric signing key: administrators administer; only the class's signer role
    signs, only through the center's KMS interface endpoint (and, when `signing_algorithms`
    is given, only with those); public key and Verify are delegated to IAM of this account
    (granted to reviewers by `grant_verify`)."""
    everyone_here = {"AWS": account_root(account_id)}
    sign_conditions: dict[str, Any] = {"StringEquals": {"aws:SourceVpce": kms_endpoint_id}}
    if signing_algorithms:
        sign_conditions["StringEquals"]["kms:SigningAlgorithm"] = sorted(signing_algorithms)
    return document(
        *key_admin_statements(account_id, administrators, guard_lifecycle=guard_lifecycle, break_glass_role=break_glass_role),
        key_statement(
            "SignOnlyBySignerRoleThroughCenterEndpoint", KEY_SIGN_ACTIONS,
            principals={"AWS": signer_role_arn},
            conditions=sign_conditions,
        ),
        key_statement(
            "PublicKeyAndVerifyWhenGrantedByIam", KEY_VERIFY_ACTIONS, principals=everyone_here,
            conditions={"StringEquals": {"kms:CallerAccount": account_id}},
        ),
        # Guards that still hold if someone later adds an Allow to this policy or to IAM.
        key_statement(
            "DenySignToAnyoneButSignerRole", KEY_SIGN_ACTIONS, effect="Deny", principals=everyone_here,
            conditions={"ArnNotEquals": {"aws:PrincipalArn": signer_role_arn}},
        ),
        key_statement(
            "DenySignOutsideCenterEndpoint", KEY_SIGN_ACTIONS, effect="Deny", principals=everyone_here,
            conditions={"StringNotEquals": {"aws:SourceVpce": kms_endpoint_id}},
        ),
        key_statement("DenyGrants", ["kms:CreateGrant"], effect="Deny", principals=everyone_here),
    )


# --- DynamoDB (customer data store metadata tables) -----------------------------------

DYNAMODB_READ_ACTIONS = ["dynamodb:BatchGetItem", "dynamodb:DescribeTable", "dynamodb:GetItem", "dynamodb:Query", "dynamodb:Scan"]
DYNAMODB_WRITE_ACTIONS = ["dynamodb:PutItem"]
"""Write-only: put new items; no update, delete or read."""


DYNAMODB_ITEM_ACTIONS = [
    "dynamodb:BatchGetItem", "dynamodb:BatchWriteItem", "dynamodb:DeleteItem", "dynamodb:GetItem",
    "dynamodb:PartiQLDelete", "dynamodb:PartiQLInsert", "dynamodb:PartiQLSelect", "dynamodb:PartiQLUpdate",
    "dynamodb:PutItem", "dynamodb:Query", "dynamodb:Scan", "dynamodb:UpdateItem",
]
"""Every action that reads or writes a table's items (table management stays with the deploy role)."""


def table_items_only_through_endpoint(table_arn: Any, dynamodb_endpoint_id: Any) -> dict[str, Any]:
    """A table's resource policy: its items are read and written only through the center's
    DynamoDB gateway endpoint (AWS services, such as backups, are exempt)."""
    return document(statement(
        "DenyItemAccessOutsideCenterEndpoint", DYNAMODB_ITEM_ACTIONS, [table_arn, arn_with(table_arn, "/index/*")],
        effect="Deny", principals={"AWS": "*"},
        conditions={"StringNotEquals": {"aws:SourceVpce": dynamodb_endpoint_id},
                    "Bool": {"aws:PrincipalIsAWSService": "false"}},
    ))


def dynamodb_read_statements(table_arn: Any, key_arn: Any) -> list[dict[str, Any]]:
    """Read a table's items; the table key decrypts them only through DynamoDB."""
    return [
        statement("ReadTableItems", DYNAMODB_READ_ACTIONS, [table_arn]),
        statement("DecryptTableThroughDynamoDB", KEY_DECRYPT_ACTIONS, [key_arn],
                  conditions={"StringEquals": {"kms:ViaService": service_endpoint("dynamodb")}}),
    ]


def dynamodb_write_statements(table_arn: Any, key_arn: Any) -> list[dict[str, Any]]:
    """Put items without reading any back (no ReturnValues); the key is usable only through DynamoDB."""
    return [
        statement("PutTableItems", DYNAMODB_WRITE_ACTIONS, [table_arn],
                  conditions={"StringEqualsIfExists": {"dynamodb:ReturnValues": "NONE"}}),
        statement("EncryptTableThroughDynamoDB", KEY_ENCRYPT_DECRYPT_ACTIONS, [key_arn],
                  conditions={"StringEquals": {"kms:ViaService": service_endpoint("dynamodb")}}),
    ]


# --- CloudTrail -----------------------------------------------------------------------

def cloudtrail_log_delivery_statement(log_group_arn: Any) -> dict[str, Any]:
    """CloudTrail's role may create streams in, and write to, the trail's log group only."""
    return statement("DeliverTrailToLogGroup", ["logs:CreateLogStream", "logs:PutLogEvents"],
                     [arn_with(log_group_arn, ":log-stream:*")])


def s3_data_event_selectors(
    bucket_arns: Sequence[Any], *, read_bucket_arns: Sequence[Any] = (), table_arns: Sequence[Any] = (),
    read_table_arns: Sequence[Any] = (),
    write_prefixes: Sequence[Any] = (),
) -> list[dict[str, Any]]:
    """Advanced event selectors: every management event, object-level data events (reads
    and writes) of `bucket_arns`, object reads of `read_bucket_arns` (the trail's own archive
    and the access logs: their writes are the deliveries themselves, recording them would
    feed back into the archive), object writes under `write_prefixes` (the archive's session
    transcripts and release records, which people's hosts write, not CloudTrail), item-level
    data events of the DynamoDB `table_arns`, and item reads of `read_table_arns` (the intake
    tables)."""
    def objects(arns: Sequence[Any]) -> list[Any]:
        return [arn_with(arn, "/") for arn in arns]

    prefixes = objects(bucket_arns)
    selectors: list[dict[str, Any]] = [{
        "name": "All management events",
        "field_selectors": [{"field": "eventCategory", "equals": ["Management"]}],
    }]
    if prefixes:
        selectors.append({
            "name": "S3 object data events of the watched buckets",
            "field_selectors": [
                {"field": "eventCategory", "equals": ["Data"]},
                {"field": "resources.type", "equals": ["AWS::S3::Object"]},
                {"field": "resources.ARN", "starts_withs": prefixes},
            ],
        })
    if read_bucket_arns:
        selectors.append({
            "name": "S3 object reads of the evidence buckets",
            "field_selectors": [
                {"field": "eventCategory", "equals": ["Data"]},
                {"field": "resources.type", "equals": ["AWS::S3::Object"]},
                {"field": "readOnly", "equals": ["true"]},
                {"field": "resources.ARN", "starts_withs": objects(read_bucket_arns)},
            ],
        })
    if write_prefixes:
        selectors.append({
            "name": "S3 object writes under the evidence prefixes",
            "field_selectors": [
                {"field": "eventCategory", "equals": ["Data"]},
                {"field": "resources.type", "equals": ["AWS::S3::Object"]},
                {"field": "readOnly", "equals": ["false"]},
                {"field": "resources.ARN", "starts_withs": list(write_prefixes)},
            ],
        })
    if table_arns:
        selectors.append({
            "name": "DynamoDB item data events of the customer data tables",
            "field_selectors": [
                {"field": "eventCategory", "equals": ["Data"]},
                {"field": "resources.type", "equals": ["AWS::DynamoDB::Table"]},
                {"field": "resources.ARN", "equals": list(table_arns)},
            ],
        })
    if read_table_arns:
        selectors.append({
            "name": "DynamoDB item reads of the intake tables",
            "field_selectors": [
                {"field": "eventCategory", "equals": ["Data"]},
                {"field": "resources.type", "equals": ["AWS::DynamoDB::Table"]},
                {"field": "readOnly", "equals": ["true"]},
                {"field": "resources.ARN", "equals": list(read_table_arns)},
            ],
        })
    return selectors


# --- reviewer roles (ReviewerZone) ----------------------------------------------------

REVIEWER_READ_ONLY_ACTIONS = sorted({
    *S3_READ_ACTIONS, *S3_LIST_ACTIONS, *KEY_DECRYPT_ACTIONS, *KEY_VERIFY_ACTIONS,
    "logs:DescribeLogStreams", "logs:FilterLogEvents", "logs:GetLogEvents", "logs:GetQueryResults",
    "ssm:DescribeInstanceInformation", "ssm:DescribeSessions", "ssm:GetConnectionStatus",
    "ec2:DescribeInstances",
})
"""What a reviewer role may read at most (its permission boundary). Session and query
actions are bounded separately, to this account's instances, documents and log groups."""

REVIEWER_DENIED_SIGNING_ACTIONS = ["kms:Sign", "kms:CreateGrant"]
"""A reviewer never signs, nor hands itself a grant that would let it sign."""

DATA_ZONE_TAG = {"aws:ResourceTag/zone": "data"}
"""Every data-zone resource carries zone=data (its provider's default tags)."""


def reviewer_trust_policy(principal_arns: Sequence[str], account_id: str) -> dict[str, Any]:
    """Named roles of this account only (IAM Identity Center permission-set roles). No MFA
    condition: assuming a role from a role session never carries aws:MultiFactorAuthPresent;
    identity center enforces MFA when the reviewer signs in. Dev and staging only: these roles
    are the center owner's (prod trusts the organization's own account, `reviewer_account_trust_policy`)."""
    return document(trust_statement(
        "TrustNamedReviewerRolesOfThisAccount", ["sts:AssumeRole", "sts:SetSourceIdentity"],
        {"AWS": sorted(principal_arns)},
        conditions={"StringEquals": {"aws:PrincipalAccount": account_id}},
    ))


def reviewer_account_trust_policy(reviewer_account: str, principal_arns: Sequence[str] = ()) -> dict[str, Any]:
    """The reviewer organization's own AWS account (or named roles of it): the organization, not
    the center's owner, decides who of its people may review. Every session names the person
    (sts:SourceIdentity), which CloudTrail records with each call of the session."""
    return document(trust_statement(
        "TrustTheReviewerOrganizationsOwnAccount", ["sts:AssumeRole", "sts:SetSourceIdentity"],
        {"AWS": sorted(principal_arns) if principal_arns else account_root(reviewer_account)},
        conditions={"StringEquals": {"aws:PrincipalAccount": reviewer_account},
                    "Null": {"sts:SourceIdentity": "false"}},
    ))


REVIEWER_CONFIGURATION_READS = sorted({
    "dynamodb:Describe*", "dynamodb:GetResourcePolicy", "kms:DescribeKey", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus",
    "kms:List*", "s3:GetBucket*", "s3:GetEncryptionConfiguration", "s3:GetLifecycleConfiguration",
})
"""What a reviewer may read of a customer data store: how it is guarded (its policies, keys,
locks), never what it holds."""


def reviewer_deny_statements(customer_data_arns: Sequence[Any], contents_arns: Sequence[Any] = (),
                             key_aliases: Sequence[str] = ()) -> list[dict[str, Any]]:
    """Explicit denies that no Allow (inline, managed or granted later) can override: everything on
    a customer data store but reading its configuration (`customer_data_arns`: buckets, tables,
    keys), and everything at all on its contents (`contents_arns`: objects, indexes, streams)."""
    statements = [
        statement("DenySigning", REVIEWER_DENIED_SIGNING_ACTIONS, "*", effect="Deny"),
        # Defence in depth for data-zone resources whose ARN is not listed below (KMS keys,
        # tables and buckets support aws:ResourceTag; objects are covered by the ARNs).
        deny_all_but("DenyDataZoneResourcesButTheirConfiguration", REVIEWER_CONFIGURATION_READS, "*",
                     conditions={"StringEquals": dict(DATA_ZONE_TAG)}),
    ]
    if customer_data_arns:
        statements.append(deny_all_but("DenyCustomerDataButItsConfiguration", REVIEWER_CONFIGURATION_READS,
                                       list(customer_data_arns)))
    if contents_arns:
        statements.append(statement("DenyCustomerDataContents", ["*"], list(contents_arns), effect="Deny"))
    if key_aliases:
        statements.append(statement("DenyCustomerDataKeys", [*KEY_USE_ACTIONS, "kms:CreateGrant"], "*", effect="Deny",
                                    conditions={"ForAnyValue:StringLike": {"kms:ResourceAliases": list(key_aliases)}}))
    return statements


def session_resources(account_id: str, session_document_name: str) -> dict[str, Any]:
    """ARNs of Session Manager: this account's instances, one document, one's own sessions."""
    return {
        "instances": f"arn:aws:ec2:{REGION}:{account_id}:instance/*",
        "document": f"arn:aws:ssm:{REGION}:{account_id}:document/{session_document_name}",
        "own_sessions": f"arn:aws:ssm:{REGION}:{account_id}:session/${{aws:userid}}-*",
        "log_groups": f"arn:aws:logs:{REGION}:{account_id}:log-group:*",
    }


def reviewer_boundary_policy(
    denied: Any, session_key_alias: str, account_id: str, session_document_name: str,
    extra_allows: Sequence[dict[str, Any]] = (),
) -> dict[str, Any]:
    """The permission boundary of a reviewer role: read-only actions; sessions only with its
    own preferences document; a data key only from its own session key (by alias: the
    boundary exists before the key); `extra_allows` (a workstation's SSM agent writing its
    session log); and the denies of `denied` (reviewers.DeniedData: stores, contents)."""
    arns = session_resources(account_id, session_document_name)
    return document(
        statement("AllowAtMostReadOnlyReview", REVIEWER_READ_ONLY_ACTIONS, "*"),
        statement("AllowLogQueriesInThisAccount", ["logs:StartQuery"], [arns["log_groups"]]),
        statement("AllowSessionsWithOwnPreferencesOnly", ["ssm:StartSession"], [arns["instances"], arns["document"]],
                  conditions={"BoolIfExists": {"ssm:SessionDocumentAccessCheck": "true"}}),
        statement("AllowOwnSessionsOnly", ["ssm:ResumeSession", "ssm:TerminateSession"], [arns["own_sessions"]]),
        statement("AllowSessionDataKeyOnly", ["kms:GenerateDataKey"], "*",
                  conditions={"ForAnyValue:StringEquals": {"kms:ResourceAliases": [session_key_alias]}}),
        *extra_allows,
        *reviewer_deny_statements(denied.stores, denied.contents, denied.key_aliases),
    )


def session_logging_statements(account_id: str, session_log_objects_arn: Any, session_log_bucket_arn: Any,
                               session_log_bucket_key_arn: Any, session_log_group_arn: Any,
                               session_key_arn: Any) -> list[dict[str, Any]]:
    """What a host's SSM agent needs so that sessions on it are logged and encrypted:
    decrypt the session stream, write transcripts and log streams."""
    return [
        statement("DecryptSessionData", ["kms:Decrypt"], [session_key_arn]),
        statement("CheckSessionBucketEncryption", ["s3:GetEncryptionConfiguration"], [session_log_bucket_arn]),
        statement("WriteSessionTranscripts", ["s3:PutObject"], [session_log_objects_arn]),
        statement("EncryptSessionTranscripts", ["kms:Encrypt", "kms:GenerateDataKey"], [session_log_bucket_key_arn]),
        # DescribeLogGroups has no resource-level permission (IAM's service authorization reference).
        statement("CheckSessionLogGroupEncryption", ["logs:DescribeLogGroups"], "*"),
        statement("WriteSessionStreams", ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"],
                  [session_log_group_arn, _log_streams(session_log_group_arn)]),
    ]


def session_agent_statements(account_id: str, session_log_objects_arn: Any, session_log_bucket_arn: Any,
                             session_log_bucket_key_arn: Any, session_log_group_arn: Any,
                             session_key_arn: Any) -> list[dict[str, Any]]:
    """What the SSM agent of a host needs for logged, encrypted sessions, and nothing else."""
    return [
        *ssm_managed_instance_statements(),
        *session_logging_statements(account_id, session_log_objects_arn, session_log_bucket_arn,
                                    session_log_bucket_key_arn, session_log_group_arn, session_key_arn),
    ]


def instance_credentials_stay_in_their_vpc() -> list[dict[str, Any]]:
    """A host's role credentials work only from that host's VPC and address: copied off the
    host (metadata read by a user, a leaked file), they are refused everywhere else. AWS
    services acting on the host's behalf are exempt (`aws:ViaAWSService`)."""
    return [
        statement(
            "DenyInstanceCredentialsOutsideTheirVpc", ["*"], "*", effect="Deny",
            conditions={
                "StringNotEquals": {"aws:ec2InstanceSourceVPC": "${aws:SourceVpc}"},
                "Null": {"aws:ec2InstanceSourceVPC": "false"},
                "BoolIfExists": {"aws:ViaAWSService": "false"},
            },
        ),
        statement(
            "DenyInstanceCredentialsFromAnotherAddress", ["*"], "*", effect="Deny",
            conditions={
                "StringNotEquals": {"aws:ec2InstanceSourcePrivateIPv4": "${aws:VpcSourceIp}"},
                "Null": {"aws:ec2InstanceSourceVPC": "false"},
                "BoolIfExists": {"aws:ViaAWSService": "false"},
            },
        ),
    ]


def log_group_read_statements(log_group_arns: Sequence[Any], through_endpoint: Any = None,
                              *, queries: bool = True) -> list[dict[str, Any]]:
    """Read the events of the named log groups (and their streams), and query them with Logs
    Insights when `queries`; only through the VPC endpoint `through_endpoint` when given."""
    resources: list[Any] = []
    for arn in log_group_arns:
        resources.extend([arn, _log_streams(arn)])
    inside = {"StringEquals": {"aws:SourceVpce": through_endpoint}} if through_endpoint is not None else None
    reads = [statement("ReadLogGroups", ["logs:DescribeLogStreams", "logs:FilterLogEvents", "logs:GetLogEvents",
                                         *(["logs:StartQuery"] if queries else [])], resources, conditions=inside)]
    if not queries:
        return reads
    return [
        *reads,
        # Logs Insights results are addressed by query id only (no resource-level permission).
        statement("ReadLogQueryResults", ["logs:GetQueryResults"], "*"),
    ]


def _log_streams(arn: Any) -> Any:
    return arn_with(arn, ":*")


def session_key_statements(session_starter_arns: Sequence[Any], session_agent_arns: Sequence[Any]) -> list[dict[str, Any]]:
    """Session Manager encryption: whoever starts a session makes a data key, the SSM agent
    on the host decrypts it; both call KMS directly, not through another service."""
    statements = [key_statement("SessionStartersMakeDataKeys", ["kms:GenerateDataKey"],
                            principals={"AWS": list(session_starter_arns)})]
    if session_agent_arns:
        statements.append(key_statement("SessionAgentsDecrypt", ["kms:Decrypt"], principals={"AWS": list(session_agent_arns)}))
    return statements


# --- host instance roles ----------------------------------------------------------------

SSM_SESSION_ACTIONS = [
    "ssm:UpdateInstanceInformation",
    "ssmmessages:CreateControlChannel", "ssmmessages:CreateDataChannel",
    "ssmmessages:OpenControlChannel", "ssmmessages:OpenDataChannel",
]
"""What the SSM agent needs to register and serve Session Manager sessions (the AWS managed
AWSCloud9SSMInstanceProfile has exactly these). Left out of AmazonSSMManagedInstanceCore:
ssm:GetParameter(s) (every parameter of the account), ec2messages:* (Run Command; the
center has no ec2messages endpoint), State Manager, inventory and patch operations."""


def ssm_managed_instance_statements() -> list[dict[str, Any]]:
    """SSM Session Manager for a host: the actions support no resource-level scoping, so
    Resource is "*"; session logging grants (bucket, key) come from whoever owns them."""
    return [statement("SsmSessionManagerAgent", SSM_SESSION_ACTIONS, "*")]


def session_stream_key_policy(
    account_id: str, administrators: Sequence[str], *, guard_lifecycle: bool = True, break_glass_role: str | None = None,
) -> dict[str, Any]:
    """A key for Session Manager streams: whoever starts a session makes a data key and the
    host's agent decrypts it, both calling KMS directly; IAM policies of this account decide who."""
    return document(
        *key_admin_statements(account_id, administrators, guard_lifecycle=guard_lifecycle, break_glass_role=break_glass_role),
        key_statement("SessionParticipantsThroughIam", ["kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKey"],
                  principals={"AWS": account_root(account_id)},
                  conditions={"StringEquals": {"kms:CallerAccount": account_id}}),
    )


def deny_overwrites(bucket_arn: Any, prefix: str = "") -> dict[str, Any]:
    """Create-only objects: a PutObject or CompleteMultipartUpload (s3:ObjectCreationOperation
    true) without `If-None-Match: *` is denied, so an existing key is never replaced."""
    return statement(
        "DenyUploadsThatMayOverwrite", ["s3:PutObject"], [_objects(bucket_arn, prefix)], effect="Deny",
        principals={"AWS": "*"},
        conditions={"Null": {"s3:if-none-match": "true"}, "Bool": {"s3:ObjectCreationOperation": "true"}},
    )


# --- detective controls ---------------------------------------------------------------

def config_delivery_bucket_statements(bucket_arn: str, prefix: str, account_id: str) -> list[dict[str, Any]]:
    """AWS Config (through its service-linked role) checks the bucket and delivers
    snapshots and history under `prefix`, for this account only (Config developer guide,
    "Permissions for the Amazon S3 bucket")."""
    config = {"Service": service_principal("config")}
    this_account = {"StringEquals": {"aws:SourceAccount": account_id}}
    return [
        statement("ConfigAclCheck", ["s3:GetBucketAcl", "s3:ListBucket"], bucket_arn, principals=config,
                  conditions=this_account),
        statement("ConfigDelivery", ["s3:PutObject"], f"{bucket_arn}/{prefix}/AWSLogs/{account_id}/Config/*",
                  principals=config,
                  conditions={"StringEquals": {"aws:SourceAccount": account_id,
                                               "s3:x-amz-acl": "bucket-owner-full-control"}}),
    ]


def config_delivery_key_statement(account_id: str) -> dict[str, Any]:
    """AWS Config encrypts what it delivers with the archive's key, for this account only."""
    return key_statement("ConfigEncryptDeliveries", ["kms:Decrypt", "kms:GenerateDataKey"],
                         principals={"Service": service_principal("config")},
                         conditions={"StringEquals": {"aws:SourceAccount": account_id}})


ALERT_PUBLISHERS = ("cloudwatch", "events")
"""CloudWatch alarms and EventBridge rules (GuardDuty findings) publish to the alert topic."""


def alert_key_statements(account_id: str) -> list[dict[str, Any]]:
    """The alert topic's key: the publishing services use it only through SNS, for this account."""
    return [key_statement(
        "AlertPublishersEncryptThroughSns", ["kms:Decrypt", "kms:GenerateDataKey*"],
        principals={"Service": sorted(service_principal(s) for s in ALERT_PUBLISHERS)},
        conditions={"StringEquals": {"kms:ViaService": service_endpoint("sns"), "aws:SourceAccount": account_id}},
    )]


def alert_topic_policy(topic_arn: Any, account_id: str) -> dict[str, Any]:
    """Only this account's alarms and rules publish; nothing over plain HTTP."""
    return document(
        statement("AlarmsAndRulesPublish", ["sns:Publish"], topic_arn,
                  principals={"Service": sorted(service_principal(s) for s in ALERT_PUBLISHERS)},
                  conditions={"StringEquals": {"aws:SourceAccount": account_id}}),
        statement("DenyInsecureTransport", ["sns:Publish", "sns:Subscribe"], topic_arn, effect="Deny",
                  principals={"AWS": "*"}, conditions={"Bool": {"aws:SecureTransport": "false"}}),
    )


# --- the sample intake (components/intake.py, RegionalDataStore.grant_intake_broker) ---------

INTAKE_SAMPLES_PREFIX = "samples/"
"""The only prefix of a customer data store the intake writes: `samples/<sha256>`."""
INTAKE_TABLE_KEYS = ("sample#*", "client#*")
"""Partition keys of an intake table: a claimed or stored sample hash, a client's hourly counter."""
LAMBDA_VPC_ACTIONS = [
    "ec2:AssignPrivateIpAddresses", "ec2:CreateNetworkInterface", "ec2:DeleteNetworkInterface",
    "ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets", "ec2:UnassignPrivateIpAddresses",
]
"""What Lambda does with a function's execution role to place it in a VPC (the actions of AWS's
AWSLambdaVPCAccessExecutionRole, written out: the kit attaches no managed policy)."""


def intake_upload_statements(bucket_arn: Any, broker_arn: Any, key_arn: Any, max_signature_age_ms: int,
                             presigned_auth_type: str) -> list[dict[str, Any]]:
    """A customer data store's fence around its intake broker: the broker's credentials (which sign
    the uploads customers send from the internet, outside the center's endpoint) may do nothing on
    the bucket but put objects, only through a presigned URL younger than the intake's expiry,
    encrypted under the store's own key; and `samples/` is write-once for everybody
    (`deny_overwrites`). That it writes under `samples/` only is the bucket's named access
    (`NamedObjectAccess.prefix_writers`)."""
    broker = {"ArnEquals": {"aws:PrincipalArn": broker_arn}}
    objects = arn_with(bucket_arn, "/*")
    samples = arn_with(bucket_arn, f"/{INTAKE_SAMPLES_PREFIX}*")
    everyone = {"AWS": "*"}

    def deny(sid: str, extra: dict[str, Any], resources: Any = samples) -> dict[str, Any]:
        return statement(sid, S3_WRITE_ACTIONS, [resources], effect="Deny", principals=everyone,
                         conditions={**broker, **extra})

    anything_else = {"Sid": "DenyIntakeBrokerAnythingButUploads", "Effect": "Deny", "Principal": everyone,
                     "NotAction": sorted(S3_WRITE_ACTIONS), "Resource": [bucket_arn, objects], "Condition": broker}
    return [
        anything_else,
        deny("DenyIntakeUploadsNotPresigned", {"StringNotEquals": {"s3:authType": presigned_auth_type}}),
        deny("DenyIntakeUploadsWithOldSignatures", {"NumericGreaterThan": {"s3:signatureAge": str(max_signature_age_ms)}}),
        deny("DenyIntakeUploadsUnderAnotherKey",
             {"ArnNotEquals": {"s3:x-amz-server-side-encryption-aws-kms-key-id": key_arn}}),
        deny_overwrites(bucket_arn, INTAKE_SAMPLES_PREFIX),
    ]


def intake_data_key_conditions(bucket_arn: Any) -> dict[str, Any]:
    """S3's encryption context of a sample: the bucket (S3 Bucket Keys) or an object under `samples/`."""
    return {"StringLike": {"kms:EncryptionContext:aws:s3:arn": [bucket_arn, arn_with(bucket_arn, f"/{INTAKE_SAMPLES_PREFIX}*")]}}


def intake_broker_statements(bucket_arn: Any, data_key_arn: Any, table_arn: Any, table_key_arn: Any) -> list[dict[str, Any]]:
    """What a region's intake broker may do with its store: sign uploads of `samples/` (S3 checks
    them against this role), have S3 encrypt them under the store's key (GenerateDataKey, never
    Decrypt), and claim hashes and count requests in the intake table without reading an item."""
    return [
        statement("SignSampleUploads", S3_WRITE_ACTIONS, [arn_with(bucket_arn, f"/{INTAKE_SAMPLES_PREFIX}*")]),
        statement("EncryptSamplesThroughS3Only", ["kms:GenerateDataKey"], [data_key_arn],
                  conditions={"StringEquals": {"kms:ViaService": service_endpoint("s3")},
                              **intake_data_key_conditions(bucket_arn)}),
        statement("ClaimHashesAndCountRequests", ["dynamodb:PutItem", "dynamodb:UpdateItem"], [table_arn],
                  conditions={"ForAllValues:StringLike": {"dynamodb:LeadingKeys": list(INTAKE_TABLE_KEYS)},
                              "StringEqualsIfExists": {"dynamodb:ReturnValues": "NONE"}}),
        statement("UseIntakeTableKeyThroughDynamoDB", KEY_ENCRYPT_DECRYPT_ACTIONS, [table_key_arn],
                  conditions={"StringEquals": {"kms:ViaService": service_endpoint("dynamodb")}}),
    ]


def read_object_statements(sid: str, object_arns: Sequence[Any], key_arn: Any) -> list[dict[str, Any]]:
    """Read named objects (no listing) and decrypt them through S3 only."""
    return [
        statement(sid, ["s3:GetObject"], list(object_arns)),
        statement(f"{sid}Decrypt", ["kms:Decrypt"], [key_arn],
                  conditions={"StringEquals": {"kms:ViaService": service_endpoint("s3")}}),
    ]


def write_objects_statements(sid: str, objects_arn: Any, key_arn: Any) -> list[dict[str, Any]]:
    """Put objects under one prefix, encrypted through S3 with `key_arn`."""
    return [
        statement(sid, S3_WRITE_ACTIONS, [objects_arn]),
        statement(f"{sid}Encrypt", ["kms:GenerateDataKey"], [key_arn],
                  conditions={"StringEquals": {"kms:ViaService": service_endpoint("s3")}}),
    ]


def deny_writes_under_prefix_except(bucket_arn: Any, prefix: str, writer_arns: Sequence[Any], sid: str) -> dict[str, Any]:
    """Only the named principals may put objects under `prefix`."""
    return statement(sid, S3_WRITE_ACTIONS, [_objects(bucket_arn, prefix)], effect="Deny", principals={"AWS": "*"},
                     conditions={"ArnNotEquals": {"aws:PrincipalArn": list(writer_arns)},
                                 "Bool": {"aws:PrincipalIsAWSService": "false"}})


def log_stream_write_statements(log_group_arn: Any) -> list[dict[str, Any]]:
    """Write log events to one log group (a Lambda function's own)."""
    return [statement("WriteOwnLogStreams", ["logs:CreateLogStream", "logs:PutLogEvents"], [_log_streams(log_group_arn)])]


def lambda_vpc_statements(account_id: str) -> list[dict[str, Any]]:
    """Lambda's network interfaces for a function in the center's VPC. The Describe actions take no
    resource; the others are bounded to this account's Zurich EC2 resources."""
    ec2 = f"arn:aws:ec2:{REGION}:{account_id}:*"
    describe = [a for a in LAMBDA_VPC_ACTIONS if ":Describe" in a]
    return [
        statement("DescribeNetworkForVpcFunction", describe, "*"),
        statement("ManageFunctionNetworkInterfaces", [a for a in LAMBDA_VPC_ACTIONS if a not in describe], [ec2]),
    ]


def api_gateway_log_statements(log_group_arn: Any) -> list[dict[str, Any]]:
    """API Gateway's account-level CloudWatch role: write the intake's access log, read nothing.
    DescribeLogGroups has no resource-level permission."""
    return [
        statement("FindLogGroups", ["logs:DescribeLogGroups"], "*"),
        statement("WriteAccessLog", ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"],
                  [log_group_arn, _log_streams(log_group_arn)]),
    ]


# --- the transparency log (TransparencyLog) ---------------------------------------------

LOG_OBJECT_LOCK_ACTIONS = ["s3:BypassGovernanceRetention", "s3:DeleteObject", "s3:DeleteObjectVersion",
                           "s3:PutObjectLegalHold", "s3:PutObjectRetention"]
"""What could remove or unlock a log object: a delete marker hides a tile (the locked version stays,
but a later create-only PUT would then succeed), a version delete or a bypass removes one."""

LOG_WRITE_ACTIONS = ["s3:AbortMultipartUpload", "s3:PutObject", "s3:ReplicateDelete", "s3:ReplicateObject",
                     "s3:ReplicateTags"]
"""Everything that puts bytes into the log or takes an upload away: PutObject, and what S3
replication calls on a destination (an administrator's replication rule could write into the
log as its destination), and aborting another writer's upload."""

LOG_BUCKET_CONFIGURATION_ACTIONS = [
    "s3:DeleteBucket", "s3:DeleteBucketPolicy", "s3:PutBucketCORS", "s3:PutBucketObjectLockConfiguration",
    "s3:PutBucketOwnershipControls", "s3:PutBucketPolicy", "s3:PutBucketPublicAccessBlock", "s3:PutBucketVersioning",
    "s3:PutBucketWebsite", "s3:PutEncryptionConfiguration", "s3:PutLifecycleConfiguration",
    "s3:PutReplicationConfiguration",
]
"""Bucket settings that could hide, expire, copy out or publish the log. (S3 always lets the
account's root user change the bucket policy; every change is a management event that alarms.)"""


def _sid_part(name: str) -> str:
    """`swiss-review-lab` -> `SwissReviewLab` (Sids are letters and digits only)."""
    return "".join(part[:1].upper() + part[1:] for part in name.replace("_", "-").split("-") if part)


def log_bucket_statements(
    bucket_arn: Any,
    *,
    checkpoint_key: str,
    tile_prefix: str,
    sequencer_arn: Any,
    s3_endpoint_id: Any,
    cosigners: Sequence[tuple[str, Any, str]],
    administrators: Sequence[str],
    distribution_arn: Any = None,
    history_prefix: str | None = None,
) -> list[dict[str, Any]]:
    """The transparency log's bucket policy (after DenyInsecureTransport). Every write rule is a
    Deny that names the one principal it admits (`aws:PrincipalArn`), so no other principal of the
    account, administrators and root included, can write, whatever its IAM policy says:

    - the checkpoint, `tile_prefix` and `history_prefix` (every checkpoint the log signed) only
      by the sequencer, only through the center's S3 endpoint;
    - `cosigners` = (organization, role ARN, prefix): each prefix only by that organization's role
      (from wherever its witness runs: the witness key never enters the center);
    - nothing anywhere else; every object but the checkpoint create-only (`If-None-Match: *` on
      PutObject and CompleteMultipartUpload; the multipart steps that take no condition header
      are exempt by `s3:ObjectCreationOperation`), the checkpoint only with a precondition
      (`If-None-Match` or `If-Match`: compare-and-swap, so two sequencers cannot race);
    - no delete, version delete, retention bypass or change, by anyone;
    - bucket settings only by the named `administrators` (the key administrators, which
      include the deploying role);
    - with `distribution_arn`, that one CloudFront distribution reads (Origin Access Control)."""
    checkpoint = arn_with(bucket_arn, f"/{checkpoint_key}")
    tiles = _objects(bucket_arn, tile_prefix)
    sequencer_objects = [checkpoint, tiles, *([_objects(bucket_arn, history_prefix)] if history_prefix else [])]
    cosignature_objects = [_objects(bucket_arn, prefix) for _, _, prefix in cosigners]
    everyone = {"AWS": "*"}
    put = ["s3:PutObject"]
    writes = LOG_WRITE_ACTIONS
    statements = [
        statement("DenyLogWritesExceptSequencer", writes, sequencer_objects, effect="Deny", principals=everyone,
                  conditions={"ArnNotEquals": {"aws:PrincipalArn": sequencer_arn}}),
        statement("DenyLogWritesOutsideCenterEndpoint", writes, sequencer_objects, effect="Deny", principals=everyone,
                  conditions={"StringNotEquals": {"aws:SourceVpce": s3_endpoint_id}}),
    ]
    for organization, writer_arn, prefix in cosigners:
        statements.append(statement(
            f"DenyCosignaturesOf{_sid_part(organization)}ExceptItsRole", writes, [_objects(bucket_arn, prefix)],
            effect="Deny", principals=everyone, conditions={"ArnNotEquals": {"aws:PrincipalArn": writer_arn}}))
    not_layout = {"Sid": "DenyWritesOutsideTheLogLayout", "Effect": "Deny", "Principal": everyone, "Action": writes,
                  "NotResource": [*sequencer_objects, *cosignature_objects]}
    create_only = {"Sid": "DenyUploadsThatMayOverwrite", "Effect": "Deny", "Principal": everyone, "Action": put,
                   "NotResource": [checkpoint],
                   "Condition": {"Null": {"s3:if-none-match": "true"}, "Bool": {"s3:ObjectCreationOperation": "true"}}}
    statements += [
        not_layout,
        create_only,
        statement("DenyCheckpointWritesWithoutPrecondition", put, [checkpoint], effect="Deny", principals=everyone,
                  conditions={"Null": {"s3:if-none-match": "true", "s3:if-match": "true"},
                              "Bool": {"s3:ObjectCreationOperation": "true"}}),
        statement("DenyDeletesAndRetentionChanges", LOG_OBJECT_LOCK_ACTIONS, [_objects(bucket_arn, "")],
                  effect="Deny", principals=everyone),
        statement("DenyBucketChangesExceptAdministrators", LOG_BUCKET_CONFIGURATION_ACTIONS, bucket_arn,
                  effect="Deny", principals=everyone,
                  conditions={"ArnNotEquals": {"aws:PrincipalArn": sorted(administrators)}}),
    ]
    if distribution_arn is not None:
        statements.append(statement(
            "PublishThroughTheLogDistribution", ["s3:GetObject"], [_objects(bucket_arn, "")],
            principals={"Service": service_principal("cloudfront")},
            conditions={"StringEquals": {"aws:SourceArn": distribution_arn}}))
    return statements


def cloudfront_log_key_statement(account_id: str) -> dict[str, Any]:
    """CloudFront (Origin Access Control) decrypts log objects for this account's distributions.
    The key exists before the distribution (the bucket needs the key, the distribution the
    bucket), so the key names the account's distributions and the bucket policy the one."""
    return key_statement(
        "CloudFrontDecryptsForThisAccountsDistributions", ["kms:Decrypt"],
        principals={"Service": service_principal("cloudfront")},
        conditions={"StringEquals": {"aws:SourceAccount": account_id},
                    "ArnLike": {"aws:SourceArn": f"arn:aws:cloudfront::{account_id}:distribution/*"}},
    )


# --- the update repositories (Distribution) ------------------------------------------------

DISTRIBUTION_DELETE_ACTIONS = ["s3:BypassGovernanceRetention", "s3:DeleteObject", "s3:DeleteObjectVersion",
                               "s3:PutObjectLegalHold", "s3:PutObjectRetention"]


def distribution_bucket_statements(
    bucket_arn: Any, *, mutable_key: str, publisher_arn: Any, s3_endpoint_id: Any, administrators: Sequence[str],
    distribution_arn: Any = None,
) -> list[dict[str, Any]]:
    """An update repository's bucket policy (after DenyInsecureTransport). Like the log's, every
    write rule is a Deny naming the one principal it spares, so no other principal of the account,
    administrators and root included, writes whatever its IAM policy says:

    - objects only by the publisher role, only through the center's S3 endpoint (PutObject, and
      what S3 replication calls on a destination: an administrator's replication rule elsewhere
      could otherwise write into a repository);
    - every object but `mutable_key` (metadata/timestamp.json) create-only: consistent snapshots
      name every other file by its version or hash, so nothing is ever replaced;
    - deletes and retention changes only by the publisher (it prunes old snapshots);
    - bucket settings only by the named administrators;
    - with `distribution_arn`, that one CloudFront distribution reads (Origin Access Control)."""
    everyone = {"AWS": "*"}
    objects = _objects(bucket_arn, "")
    put = ["s3:PutObject"]
    writes = LOG_WRITE_ACTIONS  # PutObject, what S3 replication calls on a destination, aborting an upload
    statements = [
        statement("DenyWritesExceptPublisher", writes, [objects], effect="Deny", principals=everyone,
                  conditions={"ArnNotEquals": {"aws:PrincipalArn": publisher_arn}}),
        statement("DenyWritesOutsideCenterEndpoint", writes, [objects], effect="Deny", principals=everyone,
                  conditions={"StringNotEquals": {"aws:SourceVpce": s3_endpoint_id}}),
        {"Sid": "DenyUploadsThatMayOverwrite", "Effect": "Deny", "Principal": everyone, "Action": put,
         "NotResource": [arn_with(bucket_arn, f"/{mutable_key}")],
         "Condition": {"Null": {"s3:if-none-match": "true"}, "Bool": {"s3:ObjectCreationOperation": "true"}}},
        statement("DenyDeletesExceptPublisher", DISTRIBUTION_DELETE_ACTIONS, [objects], effect="Deny",
                  principals=everyone, conditions={"ArnNotEquals": {"aws:PrincipalArn": publisher_arn}}),
        statement("DenyBucketChangesExceptAdministrators", LOG_BUCKET_CONFIGURATION_ACTIONS, bucket_arn,
                  effect="Deny", principals=everyone,
                  conditions={"ArnNotEquals": {"aws:PrincipalArn": sorted(administrators)}}),
    ]
    if distribution_arn is not None:
        statements.append(statement(
            "PublishThroughTheUpdateDistribution", ["s3:GetObject"], [objects],
            principals={"Service": service_principal("cloudfront")},
            conditions={"StringEquals": {"aws:SourceArn": distribution_arn}}))
    return statements
# --- named principals only (issue 29: the owner's own administrators are not in the plan) ---

NOT_A_SERVICE = {"aws:PrincipalIsAWSService": "false"}
"""AWS services delivering for the center (CloudTrail, Config, S3 logging, DynamoDB's own
grants) carry no aws:PrincipalArn of the account; a Deny that names principals exempts them."""


def deny_unless_named(sid: str, actions: Sequence[str], resources: Sequence[Any] | Any, named: Sequence[Any],
                      principals: dict[str, Any] | None = None) -> dict[str, Any]:
    """Deny `actions` to every principal whose ARN is not in `named` (an empty `named`: to every
    principal but AWS services). `principals` defaults to everyone (`*`); key policies pass the
    account root (every principal of the account; other accounts have no Allow on a key)."""
    conditions: dict[str, Any] = {"Bool": dict(NOT_A_SERVICE)}
    if named:
        conditions["ArnNotEquals"] = {"aws:PrincipalArn": sorted(set(named), key=str) if all(isinstance(n, str) for n in named)
                                      else list(named)}
    return statement(sid, actions, resources, effect="Deny", principals=principals or {"AWS": "*"},
                     conditions=conditions)


S3_READ_OBJECT_ACTIONS = ["s3:GetObject*", "s3:RestoreObject"]
S3_LIST_OBJECT_ACTIONS = ["s3:ListBucket*"]
S3_WRITE_OBJECT_ACTIONS = ["s3:AbortMultipartUpload", "s3:PutObject*", "s3:ReplicateObject"]
S3_DELETE_OBJECT_ACTIONS = ["s3:DeleteObject*"]
"""Object reads, listings (object keys name customers' files), writes and deletes."""


@dataclass(frozen=True)
class NamedObjectAccess:
    """Who may read, write and delete a bucket's objects; everyone else is denied each, whatever
    their IAM policies allow. A class left empty is denied to every person and role."""

    readers: tuple[Any, ...] = ()
    writers: tuple[Any, ...] = ()
    deleters: tuple[Any, ...] = ()
    prefix_writers: tuple[tuple[Any, str], ...] = ()
    """(principal, prefix): writers of that prefix only (the intake brokers: `samples/`)."""
    fence_reads: bool = True
    """False: reads stay with IAM (the source mirror: the owner's own source is no secret)."""
    configurers: tuple[Any, ...] = ()
    """When set (the deploy and break-glass roles): only they change the bucket's policy, lock,
    versioning, encryption, lifecycle, replication or inventory, or delete anything but objects."""


def named_object_access_statements(bucket_arn: Any, access: NamedObjectAccess) -> list[dict[str, Any]]:
    resources = bucket_arns(bucket_arn)
    statements = []
    if access.fence_reads:
        statements.append(deny_unless_named("DenyObjectReadsToAnyoneNotNamed", S3_READ_OBJECT_ACTIONS, resources,
                                            access.readers))
        statements.append(deny_unless_named("DenyListingToAnyoneNotNamed", S3_LIST_OBJECT_ACTIONS, resources,
                                            [*access.readers, *access.deleters]))
    statements.append(deny_unless_named("DenyObjectWritesToAnyoneNotNamed", S3_WRITE_OBJECT_ACTIONS, resources,
                                        [*access.writers, *(who for who, _ in access.prefix_writers)]))
    for prefix in sorted({prefix for _, prefix in access.prefix_writers}):
        who = [w for w, p in access.prefix_writers if p == prefix]
        statements.append({"Sid": f"DenyWritesOutside{_sid_part(prefix.strip('/'))}ToItsWriters", "Effect": "Deny",
                           "Principal": {"AWS": "*"}, "Action": S3_WRITE_OBJECT_ACTIONS,
                           "NotResource": [_objects(bucket_arn, prefix)],
                           "Condition": {"ArnEquals": {"aws:PrincipalArn": who}}})
    statements.append(deny_unless_named("DenyObjectDeletesToAnyoneNotNamed", S3_DELETE_OBJECT_ACTIONS, resources,
                                        access.deleters))
    if access.configurers:
        statements.append(deny_unless_named("DenyConfigurationChangesButDeployer", S3_CONFIGURATION_ACTIONS, resources,
                                            access.configurers))
        statements.append(deny_unless_named("DenyOtherDeletesButDeployer", ["s3:Delete*"], resources,
                                            [*access.configurers, *access.deleters]))
        statements.append(deny_unless_named("DenyGovernanceBypassButDeleters", ["s3:BypassGovernanceRetention"],
                                            resources, access.deleters))
    return statements


S3_CONFIGURATION_ACTIONS = ["s3:Put*Configuration", "s3:PutBucket*"]
"""A bucket's guard (policy, public access block, lock, versioning, ACL, ownership) and what
would copy or expire its objects elsewhere (replication, inventory, lifecycle, logging)."""


def writes_only_from_own_instance(sid: str, objects_arn: Any, role_arn_: Any, role_unique_id: Any,
                                  instance_id: Any) -> dict[str, Any]:
    """The role's object writes under `objects_arn` only with its instance's own credentials:
    an instance role's aws:userid is `<role unique id>:<instance id>` (IAM user guide, principal
    key values), so the same role passed to another instance writes nothing here."""
    from pulumi import Output

    userid = Output.concat(role_unique_id, ":", instance_id) if not all(
        isinstance(v, str) for v in (role_unique_id, instance_id)) else f"{role_unique_id}:{instance_id}"
    return statement(sid, ["s3:PutObject"], [objects_arn], effect="Deny", principals={"AWS": "*"},
                     conditions={"ArnEquals": {"aws:PrincipalArn": role_arn_},
                                 "StringNotEquals": {"aws:userid": userid}})


KEY_USE_ACTIONS = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"]
NAMED_KEY_USER_ACTIONS = ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey",
                          "kms:GenerateDataKeyWithoutPlaintext", "kms:ReEncryptFrom", "kms:ReEncryptTo"]
"""What a named user of a data key may do, listed one by one (no wildcard in a statement that
names roles: kms-no-admin-grants)."""
KEY_GRANT_MAKER_ACTIONS = ["kms:CreateGrant", "kms:DescribeKey"]
"""What the principal creating or restoring a DynamoDB table with a customer managed key calls
(through DynamoDB); DynamoDB itself then uses the grant it made."""


def named_key_policy(
    account_id: str, administrators: Sequence[str], users: Sequence[Any], via_services: Sequence[str],
    grant_makers: Sequence[str] = (), *, guard_lifecycle: bool = True, break_glass_role: str | None = None,
    encryptors: Sequence[Any] = (), encryptor_conditions: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A symmetric key used by named principals only: `users` encrypt and decrypt through the named
    services; `grant_makers` (deployer, break-glass) only create grants through DynamoDB for the
    tables they create or restore; `encryptors` (the intake brokers) only have S3 generate data
    keys, under `encryptor_conditions`, and never decrypt. No statement delegates use to the
    account root, and the Denies hold whatever a later statement or IAM policy says."""
    everyone_here = {"AWS": account_root(account_id)}
    via = {"StringEquals": {"kms:CallerAccount": account_id},
           "StringLike": {"kms:ViaService": sorted(service_endpoint(s) for s in via_services)}}
    statements = [
        *key_admin_statements(account_id, administrators, guard_lifecycle=guard_lifecycle, break_glass_role=break_glass_role),
        key_statement("NamedUsersThroughNamedServicesOnly", NAMED_KEY_USER_ACTIONS, principals={"AWS": list(users)},
                      conditions=via),
    ]
    if grant_makers:
        # Creating or restoring a table makes DynamoDB's grant with the caller's credentials. The
        # statement names the account (IAM decides; kms-no-admin-grants keeps CreateGrant out of
        # statements naming roles), and the Denies below leave it to the grant makers alone.
        through_dynamodb = {"StringEquals": {"kms:CallerAccount": account_id, "kms:ViaService": service_endpoint("dynamodb")}}
        statements.append(key_statement(
            "TableGrantsThroughDynamoDBOnly", ["kms:CreateGrant"], principals=everyone_here,
            conditions={**through_dynamodb, "Bool": {"kms:GrantIsForAWSResource": "true"}}))
        statements.append(key_statement("DescribeThroughDynamoDB", ["kms:DescribeKey"], principals=everyone_here,
                                        conditions=through_dynamodb))
    if encryptors:
        through_s3 = {"StringEquals": {"kms:CallerAccount": account_id, "kms:ViaService": service_endpoint("s3")}}
        statements.append(key_statement(
            "NamedEncryptorsDataKeysThroughS3Only", ["kms:GenerateDataKey"], principals={"AWS": list(encryptors)},
            conditions={**through_s3, **(encryptor_conditions or {})}))
    statements += [
        deny_unless_named("DenyUseToAnyoneNotNamed", [*KEY_USE_ACTIONS, "kms:CreateGrant"], THIS_KEY,
                          [*users, *grant_makers, *encryptors], principals=everyone_here),
        deny_unless_named("DenyDataKeysToAnyoneButUsers", KEY_USE_ACTIONS, THIS_KEY, [*users, *encryptors],
                          principals=everyone_here),
    ]
    if encryptors:
        statements.append({"Sid": "DenyEncryptorsAnythingButDataKeys", "Effect": "Deny", "Principal": everyone_here,
                           "NotAction": ["kms:GenerateDataKey"], "Resource": THIS_KEY,
                           "Condition": {"ArnEquals": {"aws:PrincipalArn": list(encryptors)}}})
    return document(*statements)


DYNAMODB_READ_ITEM_ACTIONS = ["dynamodb:BatchGetItem", "dynamodb:GetItem", "dynamodb:GetRecords",
                              "dynamodb:GetShardIterator", "dynamodb:PartiQLSelect", "dynamodb:Query", "dynamodb:Scan"]
DYNAMODB_WRITE_ITEM_ACTIONS = ["dynamodb:BatchWriteItem", "dynamodb:PartiQLInsert", "dynamodb:PartiQLUpdate",
                               "dynamodb:PutItem", "dynamodb:UpdateItem"]
DYNAMODB_DELETE_ITEM_ACTIONS = ["dynamodb:DeleteItem", "dynamodb:PartiQLDelete"]
DYNAMODB_LEAVING_ACTIONS = ["dynamodb:CreateBackup", "dynamodb:DeleteTable", "dynamodb:ExportTableToPointInTime",
                            "dynamodb:RestoreTableFromBackup", "dynamodb:RestoreTableToPointInTime"]
"""Ways the items leave the table (a copy under another key, in another account) or vanish."""
DYNAMODB_POLICY_ACTIONS = ["dynamodb:DeleteResourcePolicy", "dynamodb:PutResourcePolicy", "dynamodb:UpdateTable"]
"""Changing the table's guard or its encryption: the deployer's, through a reviewed plan."""


SERVICE_LINKED_ROLES = "arn:aws:iam::*:role/aws-service-role/*"
"""Roles only AWS services create and assume (AWS Config, Access Analyzer, Security Hub read a
resource's configuration with them); nobody can create or assume a role under this path."""


def table_named_principals_statements(table_arn: Any, readers: Sequence[Any], writers: Sequence[Any],
                                      deleters: Sequence[Any], deployer: str, break_glass: str | None,
                                      observers: Sequence[Any] = ()) -> list[dict[str, Any]]:
    """A customer data table admits exactly the named principals, and nobody else for anything:
    readers read, writers write, deleters delete items; `observers` (reviewers) and AWS's
    service-linked roles may only read its configuration (their own policies say so); the items
    leave (export, restore, backup) or the table goes only by break-glass; its policy and
    encryption change only by the deployer. DynamoDB lets the account root DeleteResourcePolicy
    whatever this says: the organization's SCP denies it."""
    resources = [table_arn, arn_with(table_arn, "/*")]
    named = [*readers, *writers, *deleters, deployer, *([break_glass] if break_glass else []), *observers]
    everything = deny_unless_named("DenyEverythingToAnyoneNotNamed", ["dynamodb:*"], resources, named)
    everything["Condition"]["ArnNotLike"] = {"aws:PrincipalArn": SERVICE_LINKED_ROLES}
    return [
        everything,
        deny_unless_named("DenyItemReadsToAnyoneNotNamed", DYNAMODB_READ_ITEM_ACTIONS, resources, readers),
        deny_unless_named("DenyItemWritesToAnyoneNotNamed", DYNAMODB_WRITE_ITEM_ACTIONS, resources, writers),
        deny_unless_named("DenyItemDeletesToAnyoneNotNamed", DYNAMODB_DELETE_ITEM_ACTIONS, resources, deleters),
        deny_unless_named("DenyCopiesAndDeletionButBreakGlass", DYNAMODB_LEAVING_ACTIONS, resources,
                          [break_glass] if break_glass else []),
        deny_unless_named("DenyGuardChangesButDeployer", DYNAMODB_POLICY_ACTIONS, resources, [deployer]),
    ]


def secret_only_for_host_statements(secret_arn: Any, reader_arn: Any, reader_unique_id: Any, instance_ids: Sequence[Any],
                                    deployer: str) -> list[dict[str, Any]]:
    """A secret only its host reads: its role, with its instance's own credentials (aws:userid
    `<role unique id>:<instance id>`); its resource policy changes only by the deployer."""
    from pulumi import Output

    userids = [Output.concat(reader_unique_id, ":", i) for i in instance_ids]
    return [
        deny_unless_named("DenyReadsToAnyoneButItsHost", ["secretsmanager:GetSecretValue"], "*", [reader_arn]),
        statement("DenyReadsFromAnotherInstance", ["secretsmanager:GetSecretValue"], "*", effect="Deny",
                  principals={"AWS": "*"},
                  conditions={"ArnEquals": {"aws:PrincipalArn": reader_arn}, "StringNotEquals": {"aws:userid": userids}}),
        deny_unless_named("DenyPolicyChangesButDeployer",
                          ["secretsmanager:DeleteResourcePolicy", "secretsmanager:PutResourcePolicy"], "*", [deployer]),
    ]


# --- analysis cells (components/analysis.py): samples/ in, verdicts/ out ---------------------

SAMPLES_PREFIX = "samples/"
"""Collected samples of a customer data store (`samples/<sha256>`, written by the intake)."""
VERDICTS_PREFIX = "verdicts/"
"""What a cell concluded about a sample (`verdicts/<sha256>.json`): the one thing derived from
samples that anything else (the AV-database builders) may read."""
SQS_JOB_ACTIONS = ["sqs:ChangeMessageVisibility", "sqs:DeleteMessage", "sqs:ReceiveMessage"]
"""What a cell does with its job queue: take a job, extend it, finish it."""


def cell_fence_statements(bucket_arn: Any, cells: Sequence[Any], verdict_readers: Sequence[Any]) -> list[dict[str, Any]]:
    """A store's fence around its analysis flow: only `cells` read `samples/` and write `verdicts/`;
    a cell reads nothing but `samples/`, writes nothing but `verdicts/` and lists nothing;
    `verdict_readers` (the AV-database builders) read and list `verdicts/` and nothing else;
    a verdict is create-only (no cell rewrites another's).
    (That the cells and builders may read or write at all is the store's NamedObjectAccess.)"""
    samples = arn_with(bucket_arn, f"/{SAMPLES_PREFIX}*")
    verdicts = arn_with(bucket_arn, f"/{VERDICTS_PREFIX}*")
    everyone = {"AWS": "*"}

    def confine(sid: str, actions: Sequence[str], not_resource: Any, who: Sequence[Any]) -> dict[str, Any]:
        return {"Sid": sid, "Effect": "Deny", "Principal": everyone, "Action": sorted(actions),
                "NotResource": [not_resource], "Condition": {"ArnEquals": {"aws:PrincipalArn": list(who)}}}

    statements = [
        deny_unless_named("DenySampleReadsButCells", S3_READ_OBJECT_ACTIONS, [samples], cells),
        deny_unless_named("DenyVerdictWritesButCells", S3_WRITE_OBJECT_ACTIONS, [verdicts], cells),
    ]
    if cells:
        statements += [
            confine("DenyCellsReadsOutsideSamples", S3_READ_OBJECT_ACTIONS, samples, cells),
            confine("DenyCellsWritesOutsideVerdicts", S3_WRITE_OBJECT_ACTIONS, verdicts, cells),
            statement("DenyCellsListing", S3_LIST_OBJECT_ACTIONS, [bucket_arn], effect="Deny", principals=everyone,
                      conditions={"ArnEquals": {"aws:PrincipalArn": list(cells)}}),
            # A cell a sample took over still cannot rewrite the verdicts other cells wrote.
            {**deny_overwrites(bucket_arn, VERDICTS_PREFIX), "Sid": "DenyVerdictOverwrites"},
        ]
    if verdict_readers:
        statements += [
            confine("DenyVerdictReadersOutsideVerdicts", S3_READ_OBJECT_ACTIONS, verdicts, verdict_readers),
            statement("DenyVerdictReadersListingOutsideVerdicts", S3_LIST_ACTIONS, [bucket_arn], effect="Deny",
                      principals=everyone, conditions={"ArnEquals": {"aws:PrincipalArn": list(verdict_readers)},
                                                       "StringNotLike": {"s3:prefix": f"{VERDICTS_PREFIX}*"}}),
            # s3:prefix is no key of ListBucketMultipartUploads (Service Authorization Reference): denied outright
            statement("DenyVerdictReadersMultipartListing", ["s3:ListBucketMultipartUploads"], [bucket_arn], effect="Deny",
                      principals=everyone, conditions={"ArnEquals": {"aws:PrincipalArn": list(verdict_readers)}}),
        ]
    return statements


def cell_s3_endpoint_policy(account_id: str, sample_objects: Sequence[Any], verdict_objects: Sequence[Any]) -> dict[str, Any]:
    """The analysis zone's S3 gateway endpoint: this account's principals read `samples/` and write
    `verdicts/` of the stores the cells serve, and nothing else of S3 at all."""
    account = {"StringEquals": {"aws:PrincipalAccount": account_id, "aws:ResourceAccount": account_id}}
    return document(
        statement("ReadSamplesOfServedStores", S3_READ_ACTIONS, list(sample_objects), principals={"AWS": "*"},
                  conditions=account),
        statement("WriteVerdictsOfServedStores", S3_WRITE_ACTIONS, list(verdict_objects), principals={"AWS": "*"},
                  conditions=account),
    )


def cell_sqs_endpoint_policy(account_id: str, queue_arns: Sequence[Any]) -> dict[str, Any]:
    """The analysis zone's SQS endpoint: this account's principals take and finish jobs of the
    cells' queues, nothing else (no SendMessage: a cell cannot feed another cell)."""
    return document(statement(
        "TakeJobsOfTheCellsQueues", SQS_JOB_ACTIONS, list(queue_arns), principals={"AWS": "*"},
        conditions={"StringEquals": {"aws:PrincipalAccount": account_id, "aws:ResourceAccount": account_id}}))


QUEUE_CHANGE_ACTIONS = ["sqs:AddPermission", "sqs:DeleteQueue", "sqs:PurgeQueue", "sqs:RemovePermission",
                        "sqs:SetQueueAttributes", "sqs:TagQueue", "sqs:UntagQueue"]


def failed_jobs_queue_policy(queue_arn: Any, configurers: Sequence[Any]) -> dict[str, Any]:
    """A region's failed jobs (the job queue's dead-letter queue): SQS moves a job there after its
    last attempt; nobody sends or takes jobs (operators watch its depth, not its messages, which
    carry the uploader's address), only the deploy and break-glass roles change the queue."""
    return document(
        deny_unless_named("DenySendingToEveryone", ["sqs:SendMessage"], [queue_arn], ()),
        deny_unless_named("DenyJobsToEveryone", SQS_JOB_ACTIONS, [queue_arn], ()),
        *([deny_unless_named("DenyQueueChangesButDeployer", QUEUE_CHANGE_ACTIONS, [queue_arn], configurers)]
          if configurers else []),
    )


def job_queue_policy(queue_arn: Any, rule_arn: Any, consumers: Sequence[Any], configurers: Sequence[Any]) -> dict[str, Any]:
    """A region's job queue: the store's `samples/` events arrive through the region's EventBridge
    rule (S3 keeps one notification configuration per bucket, and the intake's broker has it), only
    the cells serving the region take jobs, only the deploy and break-glass roles change the queue,
    nobody else sends."""
    return document(
        statement("SampleEventsRuleSends", ["sqs:SendMessage"], [queue_arn], principals={"Service": "events.amazonaws.com"},
                  conditions={"ArnEquals": {"aws:SourceArn": rule_arn}}),
        deny_unless_named("DenySendingButSampleEvents", ["sqs:SendMessage"], [queue_arn], ()),
        deny_unless_named("DenyJobsButCells", SQS_JOB_ACTIONS, [queue_arn], consumers),
        *([deny_unless_named("DenyQueueChangesButDeployer", QUEUE_CHANGE_ACTIONS, [queue_arn], configurers)]
          if configurers else []),
    )
