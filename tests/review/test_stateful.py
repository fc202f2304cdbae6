"""The one table of stateful types: every resource type that holds data, as AWS documents it,
is in `awsfacts.STATEFUL_TYPES`, and the diff calls deleting or replacing one dangerous.

HOLDS_DATA is written from AWS's documentation, not from the kit's table: what each service
loses when the resource is deleted."""

from __future__ import annotations

import pytest

from components.awsfacts import STATEFUL_TYPES, is_stateful
from tcenter.analysis import danger
from tcenter.analysis.diff import diff_plans

HOLDS_DATA = {
    "aws:s3/bucket:Bucket": "S3: deleting a bucket deletes its objects (an empty bucket only, but the diff deletes it)",
    "aws:s3/bucketV2:BucketV2": "the same bucket under pulumi-aws's older token",
    "aws:dynamodb/table:Table": "DynamoDB DeleteTable: the table and all its items",
    "aws:dynamodb/tableReplica:TableReplica": "a replica holds the table's items",
    "aws:ebs/volume:Volume": "EC2 DeleteVolume: the volume's data is lost",
    "aws:ebs/snapshot:Snapshot": "EC2 DeleteSnapshot: the point-in-time copy is gone",
    "aws:kms/key:Key": "KMS ScheduleKeyDeletion: data encrypted under the key becomes unrecoverable",
    "aws:kms/externalKey:ExternalKey": "a KMS key with imported material: the same loss",
    "aws:kms/replicaKey:ReplicaKey": "a replica key decrypts what its primary encrypted",
    "aws:kms/customKeyStore:CustomKeyStore": "its keys live in the HSMs of the backing cluster",
    "aws:cloudhsmv2/cluster:Cluster": "CloudHSM: deleting the cluster deletes its keys unless a backup exists",
    "aws:cloudhsmv2/hsm:Hsm": "CloudHSM: deleting the last HSM of a cluster deletes its keys",
    "aws:secretsmanager/secret:Secret": "Secrets Manager DeleteSecret: the value is gone after the recovery window",
    "aws:ssm/parameter:Parameter": "SSM DeleteParameter: the value (and history) is gone",
    "aws:cloudwatch/logGroup:LogGroup": "CloudWatch Logs DeleteLogGroup: every archived event",
    "aws:cloudtrail/eventDataStore:EventDataStore": "CloudTrail Lake: the stored events",
    "aws:backup/vault:Vault": "AWS Backup: the vault's recovery points",
    "aws:glacier/vault:Vault": "S3 Glacier: the archives in the vault",
    "aws:sqs/queue:Queue": "SQS DeleteQueue: the messages in the queue are deleted",
    "aws:kinesis/stream:Stream": "Kinesis DeleteStream: the records it retains",
    "aws:efs/fileSystem:FileSystem": "EFS DeleteFileSystem: the files",
    "aws:rds/instance:Instance": "RDS DeleteDBInstance: the database (unless a final snapshot is taken)",
    "aws:rds/cluster:Cluster": "RDS DeleteDBCluster: the database",
    "aws:ecr/repository:Repository": "ECR DeleteRepository: the images",
    "aws:acmpca/certificateAuthority:CertificateAuthority": "AWS Private CA: the CA's private key",
}


def _resource(type_: str, **options) -> dict:
    return {"urn": f"urn:pulumi:s::p::{type_}::x", "type": type_, "name": "x", "custom": True, "inputs": {},
            "options": options}


@pytest.mark.parametrize("type_", sorted(HOLDS_DATA))
def test_every_type_that_holds_data_is_in_the_one_table(type_):
    assert is_stateful(type_), f"{type_} holds data ({HOLDS_DATA[type_]}) but awsfacts.STATEFUL_TYPES lacks it"


@pytest.mark.parametrize("type_", sorted(HOLDS_DATA))
def test_deleting_it_is_a_dangerous_loss(type_):
    result = diff_plans({"resources": [_resource(type_)]}, {"resources": []})
    assert result.exit_code == 2
    assert any(d.startswith("[loss]") and type_ in d for d in result.dangers), result.dangers


def test_the_danger_module_keeps_no_table_of_its_own():
    assert not hasattr(danger, "STATEFUL_WORDS")
    assert all(danger.is_stateful(t) for t in STATEFUL_TYPES)


def test_every_stateful_type_the_kit_declares_is_listed_here(plan_of):
    declared = {r["type"] for stack in ("dev", "zurich-prod") for r in plan_of(stack)["resources"]}
    assert {t for t in declared if is_stateful(t)} <= set(HOLDS_DATA), "a new stateful type: list what it holds"
