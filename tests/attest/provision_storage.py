"""S3 buckets with every declared sub-resource, and DynamoDB tables with their resource policies."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from typing import Any

from tests.attest.provision import Provisioner, of, tag_list


def cap(key: str) -> str:
    return key[0].upper() + key[1:]


def lifecycle_rules(rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Pulumi's lifecycle rules in S3's shape (camelCase to PascalCase, nested)."""
    def convert(value: Any) -> Any:
        if isinstance(value, dict):
            return {("ID" if k == "id" else cap(k)): convert(v) for k, v in value.items()}
        if isinstance(value, list):
            return [convert(v) for v in value]
        return value

    out = []
    for rule in rules:
        converted = convert(rule)
        converted["Filter"] = converted.get("Filter") or {"Prefix": ""}
        out.append(converted)
    return out


@contextlib.contextmanager
def scalar_resources(s3: Any, bucket: str) -> Iterator[None]:
    """moto checks the log-delivery grant of a target bucket's policy only when `Resource` is a
    string (AWS takes the one-element list the kit writes): the same policy with scalars meanwhile."""
    policy = s3.get_bucket_policy(Bucket=bucket)["Policy"]
    document = json.loads(policy)
    for statement in document["Statement"]:
        if isinstance(statement.get("Resource"), list) and len(statement["Resource"]) == 1:
            statement["Resource"] = statement["Resource"][0]
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(document))
    try:
        yield
    finally:
        s3.put_bucket_policy(Bucket=bucket, Policy=policy)


def run(p: Provisioner) -> None:
    s3 = p.c["s3"]
    locked = {r["inputs"]["bucket"] for r in of(p.plan, "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration")}
    for bucket in of(p.plan, "aws:s3/bucket:Bucket"):
        i = bucket["inputs"]
        s3.create_bucket(Bucket=i["bucket"], CreateBucketConfiguration={"LocationConstraint": "eu-central-2"},
                         ObjectLockEnabledForBucket=i["bucket"] in locked or bool(i.get("objectLockEnabled")))
        if i.get("tags"):
            s3.put_bucket_tagging(Bucket=i["bucket"], Tagging={"TagSet": tag_list(i["tags"])})
    for versioning in of(p.plan, "aws:s3/bucketVersioning:BucketVersioning"):
        i = versioning["inputs"]
        s3.put_bucket_versioning(Bucket=i["bucket"], VersioningConfiguration={"Status": i["versioningConfiguration"]["status"]})
    for block in of(p.plan, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"):
        i = block["inputs"]
        s3.put_public_access_block(Bucket=i["bucket"], PublicAccessBlockConfiguration={
            cap(k): bool(i.get(k)) for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")})
    for controls in of(p.plan, "aws:s3/bucketOwnershipControls:BucketOwnershipControls"):
        i = controls["inputs"]
        s3.put_bucket_ownership_controls(Bucket=i["bucket"], OwnershipControls={"Rules": [{"ObjectOwnership": i["rule"]["objectOwnership"]}]})
    for lock in of(p.plan, "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration"):
        i = lock["inputs"]
        retention = {k.capitalize(): v for k, v in i["rule"]["defaultRetention"].items()}
        s3.put_object_lock_configuration(Bucket=i["bucket"], ObjectLockConfiguration={
            "ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": retention}})
    for encryption in of(p.plan, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"):
        i = encryption["inputs"]
        rules = []
        for rule in i["rules"]:
            default = rule["applyServerSideEncryptionByDefault"]
            entry: dict[str, Any] = {"SSEAlgorithm": default["sseAlgorithm"]}
            if default.get("kmsMasterKeyId"):
                entry["KMSMasterKeyID"] = p.live(default["kmsMasterKeyId"])
            rules.append({"ApplyServerSideEncryptionByDefault": entry, "BucketKeyEnabled": bool(rule.get("bucketKeyEnabled"))})
        s3.put_bucket_encryption(Bucket=i["bucket"], ServerSideEncryptionConfiguration={"Rules": rules})
    for policy in of(p.plan, "aws:s3/bucketPolicy:BucketPolicy"):  # before logging: it grants the log delivery
        s3.put_bucket_policy(Bucket=policy["inputs"]["bucket"], Policy=p.live(policy["inputs"]["policy"]))
    for logging in of(p.plan, "aws:s3/bucketLogging:BucketLogging"):
        i = logging["inputs"]
        with scalar_resources(s3, i["targetBucket"]):
            s3.put_bucket_logging(Bucket=i["bucket"], BucketLoggingStatus={"LoggingEnabled": {
                "TargetBucket": i["targetBucket"], "TargetPrefix": i.get("targetPrefix", "")}})
    for lifecycle in of(p.plan, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"):
        i = lifecycle["inputs"]
        s3.put_bucket_lifecycle_configuration(Bucket=i["bucket"], LifecycleConfiguration={"Rules": lifecycle_rules(i["rules"])})
    dynamodb = p.c["dynamodb"]
    for table in of(p.plan, "aws:dynamodb/table:Table"):
        i = table["inputs"]
        keys = [{"AttributeName": i["hashKey"], "KeyType": "HASH"}]
        if i.get("rangeKey"):
            keys.append({"AttributeName": i["rangeKey"], "KeyType": "RANGE"})
        sse = i.get("serverSideEncryption") or {}
        created = dynamodb.create_table(
            TableName=i["name"], BillingMode=i.get("billingMode", "PROVISIONED"), KeySchema=keys,
            AttributeDefinitions=[{"AttributeName": a["name"], "AttributeType": a["type"]} for a in i["attributes"]],
            SSESpecification={"Enabled": bool(sse.get("enabled")), "SSEType": "KMS",
                              **({"KMSMasterKeyId": p.live(sse["kmsKeyArn"])} if sse.get("kmsKeyArn") else {})},
            DeletionProtectionEnabled=bool(i.get("deletionProtectionEnabled")), Tags=tag_list(i.get("tags")))["TableDescription"]
        p.assign(table, arn=created["TableArn"])
        if (i.get("pointInTimeRecovery") or {}).get("enabled"):
            dynamodb.update_continuous_backups(TableName=i["name"], PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})


def documents(p: Provisioner) -> None:
    for policy in of(p.plan, "aws:dynamodb/resourcePolicy:ResourcePolicy"):
        p.c["dynamodb"].put_resource_policy(ResourceArn=p.live(policy["inputs"]["resourceArn"]), Policy=p.live(policy["inputs"]["policy"]))
