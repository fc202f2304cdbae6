"""Reading storage: every bucket (the center's with all their configuration: policy, public access
block, Object Lock, encryption, versioning, ownership, ACL grants, logging, lifecycle,
replication, tags), the account's S3 public access block, DynamoDB tables with their backups,
tags and resource policies."""

from __future__ import annotations

import json
from typing import Any

from .identity import ACCOUNT, key_of
from .read import Live, Reader, Unread, policy_data, tags_of


NOTIFICATION = "aws:s3/bucketNotification:BucketNotification"
# S3's destination lists -> the plan's input and the destination's ARN field in it.
DESTINATIONS = {"QueueConfigurations": ("queues", "QueueArn", "queueArn"),
                "LambdaFunctionConfigurations": ("lambdaFunctions", "LambdaFunctionArn", "lambdaFunctionArn"),
                "TopicConfigurations": ("topics", "TopicArn", "topicArn")}


def camel(value: Any) -> Any:
    """S3's PascalCase configuration as the plan's camelCase (`ID` -> `id`)."""
    if isinstance(value, dict):
        return {("id" if k == "ID" else k[0].lower() + k[1:]): camel(v) for k, v in value.items()}
    if isinstance(value, list):
        return [camel(v) for v in value]
    return value


def put(live: Live, kind: str, inputs: dict[str, Any], ids: dict[str, Any] | None = None, **kw: Any) -> None:
    live.put(kind, key_of(kind, inputs), inputs, ids, **kw)


def read_buckets(reader: Reader, live: Live, declared: set[str]) -> None:
    buckets = reader.call("s3", "list_buckets", "Buckets")
    live.read_types.update(t for t in (
        "aws:s3/bucket:Bucket", "aws:s3/bucketPolicy:BucketPolicy", "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
        "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration",
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        "aws:s3/bucketVersioning:BucketVersioning", "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
        "aws:s3/bucketLogging:BucketLogging", "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
        NOTIFICATION))
    for bucket in buckets:
        name = bucket["Name"]
        if name not in declared:
            put(live, "aws:s3/bucket:Bucket", {"bucket": name}, {"id": name}, label=f"bucket {name}")
            continue
        read_bucket(reader, live, name)


def read_bucket(reader: Reader, live: Live, name: str) -> None:
    s3 = "s3"
    lock = reader.optional(s3, "get_object_lock_configuration", ("ObjectLockConfigurationNotFoundError",), Bucket=name)
    lock_config = (lock or {}).get("ObjectLockConfiguration") or {}
    replication = reader.optional(s3, "get_bucket_replication", ("ReplicationConfigurationNotFoundError",), Bucket=name)
    acl = reader.call(s3, "get_bucket_acl", Bucket=name)
    owner = (acl.get("Owner") or {}).get("ID")
    grants = sorted(f"{g['Permission']} to {g['Grantee'].get('ID') or g['Grantee'].get('URI') or g['Grantee'].get('EmailAddress')}"
                    for g in acl.get("Grants", [])
                    if not (g["Grantee"].get("ID") == owner and g["Permission"] == "FULL_CONTROL"))
    tagging = reader.optional(s3, "get_bucket_tagging", ("NoSuchTagSet",), Bucket=name)
    put(live, "aws:s3/bucket:Bucket", {
        "bucket": name, "objectLockEnabled": lock_config.get("ObjectLockEnabled") == "Enabled",
        "tags": tags_of((tagging or {}).get("TagSet")), "acl": grants,
        "replication": camel((replication or {}).get("ReplicationConfiguration"))}, {"id": name, "arn": f"arn:aws:s3:::{name}"},
        label=f"bucket {name}")
    policy = reader.optional(s3, "get_bucket_policy", ("NoSuchBucketPolicy",), Bucket=name)
    if policy:
        put(live, "aws:s3/bucketPolicy:BucketPolicy", {"bucket": name, "policy": policy_data(policy["Policy"])})
    block = reader.optional(s3, "get_public_access_block", ("NoSuchPublicAccessBlockConfiguration",), Bucket=name)
    if block:
        put(live, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", {
            "bucket": name, **{k[0].lower() + k[1:]: v for k, v in sorted(block["PublicAccessBlockConfiguration"].items())}})
    if lock_config:
        retention = (lock_config.get("Rule") or {}).get("DefaultRetention") or {}
        put(live, "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration", {
            "bucket": name, "objectLockEnabled": lock_config.get("ObjectLockEnabled"),
            "rule": {"defaultRetention": {k.lower(): v for k, v in retention.items() if v}} if retention else None})
    encryption = reader.optional(s3, "get_bucket_encryption", ("ServerSideEncryptionConfigurationNotFoundError",), Bucket=name)
    if encryption:
        rules = []
        for rule in encryption["ServerSideEncryptionConfiguration"].get("Rules", []):
            default = rule.get("ApplyServerSideEncryptionByDefault", {})
            rules.append({"applyServerSideEncryptionByDefault": {"sseAlgorithm": default.get("SSEAlgorithm"),
                                                                 "kmsMasterKeyId": default.get("KMSMasterKeyID")},
                          "bucketKeyEnabled": bool(rule.get("BucketKeyEnabled"))})
        put(live, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
            {"bucket": name, "rules": rules})
    versioning = reader.call(s3, "get_bucket_versioning", Bucket=name)
    put(live, "aws:s3/bucketVersioning:BucketVersioning", {
        "bucket": name, "versioningConfiguration": {"status": versioning.get("Status", "Disabled")}})
    ownership = reader.optional(s3, "get_bucket_ownership_controls", ("OwnershipControlsNotFoundError",), Bucket=name)
    if ownership:
        rules = ownership["OwnershipControls"].get("Rules", [])
        put(live, "aws:s3/bucketOwnershipControls:BucketOwnershipControls", {
            "bucket": name, "rule": {"objectOwnership": rules[0]["ObjectOwnership"]} if rules else None})
    logging = reader.call(s3, "get_bucket_logging", Bucket=name).get("LoggingEnabled")
    if logging:
        put(live, "aws:s3/bucketLogging:BucketLogging", {"bucket": name, "targetBucket": logging.get("TargetBucket"),
                                                         "targetPrefix": logging.get("TargetPrefix", "")})
    notification = notification_inputs(name, reader.call(s3, "get_bucket_notification_configuration", Bucket=name))
    if notification:
        put(live, NOTIFICATION, notification, label=f"event notifications of bucket {name}")
    lifecycle = reader.optional(s3, "get_bucket_lifecycle_configuration", ("NoSuchLifecycleConfiguration",), Bucket=name)
    if lifecycle:
        put(live, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
            {"bucket": name, "rules": camel(lifecycle.get("Rules", []))})


def notification_inputs(name: str, config: dict[str, Any]) -> dict[str, Any] | None:
    """A bucket's notification configuration in the plan's shape (None when it sends nothing):
    per destination its ARN, events and key filter; S3's configuration ids (generated when not
    given) left out."""
    inputs: dict[str, Any] = {"bucket": name}
    for field, (plan_field, arn_field, plan_arn) in DESTINATIONS.items():
        items = []
        for item in config.get(field) or []:
            rules = {r.get("Name", "").lower(): r.get("Value") for r in
                     ((item.get("Filter") or {}).get("Key") or {}).get("FilterRules") or []}
            items.append({plan_arn: item.get(arn_field), "events": sorted(item.get("Events") or []),
                          **({"filterPrefix": rules["prefix"]} if rules.get("prefix") else {}),
                          **({"filterSuffix": rules["suffix"]} if rules.get("suffix") else {})})
        inputs[plan_field] = sorted(items, key=lambda i: json.dumps(i, sort_keys=True))
    inputs["eventbridge"] = "EventBridgeConfiguration" in config
    if not any(inputs[f] for f, _, _ in DESTINATIONS.values()) and not inputs["eventbridge"]:
        return None
    return inputs


def read_account_block(reader: Reader, live: Live) -> None:
    try:
        block = reader.optional("s3control", "get_public_access_block", ("NoSuchPublicAccessBlockConfiguration",),
                                AccountId=live.account)
    except Unread:
        return
    live.read_types.add("aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock")
    if block:
        live.put("aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock", ACCOUNT, {
            "accountId": live.account, **{k[0].lower() + k[1:]: v for k, v in block["PublicAccessBlockConfiguration"].items()}})


def read_tables(reader: Reader, live: Live, declared: set[str]) -> None:
    names = reader.call("dynamodb", "list_tables", "TableNames")
    live.read_types.update(("aws:dynamodb/table:Table", "aws:dynamodb/resourcePolicy:ResourcePolicy"))
    for name in names:
        if name not in declared:
            put(live, "aws:dynamodb/table:Table", {"name": name}, {"id": name}, label=f"DynamoDB table {name}")
            continue
        table = reader.call("dynamodb", "describe_table", TableName=name)["Table"]
        arn = table["TableArn"]
        backups = reader.call("dynamodb", "describe_continuous_backups", TableName=name).get("ContinuousBackupsDescription") or {}
        tags = reader.call("dynamodb", "list_tags_of_resource", "Tags", ResourceArn=arn)
        keys = {k["KeyType"]: k["AttributeName"] for k in table.get("KeySchema", [])}
        sse = table.get("SSEDescription") or {}
        put(live, "aws:dynamodb/table:Table", {
            "name": name, "hashKey": keys.get("HASH"), "rangeKey": keys.get("RANGE"),
            "attributes": sorted(({"name": a["AttributeName"], "type": a["AttributeType"]} for a in table.get("AttributeDefinitions", [])),
                                 key=lambda a: a["name"]),
            "billingMode": (table.get("BillingModeSummary") or {}).get("BillingMode", "PROVISIONED"),
            "deletionProtectionEnabled": bool(table.get("DeletionProtectionEnabled")),
            "pointInTimeRecovery": {"enabled": (backups.get("PointInTimeRecoveryDescription") or {}).get(
                "PointInTimeRecoveryStatus") == "ENABLED"},
            "serverSideEncryption": {"enabled": sse.get("Status") in ("ENABLED", "ENABLING"), "kmsKeyArn": sse.get("KMSMasterKeyArn")},
            "tags": tags_of(tags)}, {"id": name, "arn": arn}, label=f"DynamoDB table {name}")
        policy = reader.optional("dynamodb", "get_resource_policy", ("PolicyNotFoundException",), ResourceArn=arn)
        if policy and policy.get("Policy"):
            put(live, "aws:dynamodb/resourcePolicy:ResourcePolicy", {"resourceArn": arn, "policy": policy_data(policy["Policy"])})


def read_storage(reader: Reader, live: Live, buckets: set[str], tables: set[str]) -> None:
    read_buckets(reader, live, buckets)
    read_account_block(reader, live)
    try:
        read_tables(reader, live, tables)
    except Unread:
        pass
