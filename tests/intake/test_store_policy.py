"""The bucket policy of every store, from the zurich-prod plan, evaluated for the requests the
intake and its attackers make (IAM's rules: tests/intake/policy_eval.py). moto evaluates no bucket
policy, so these are the conditions of a real upload that the end-to-end test cannot see:
presigned only, a signature younger than the intake's expiry, the store's own key, write-once."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components.awsfacts import PRESIGNED_URL_MAX_SECONDS
from tests.intake.policy_eval import denying

PROD = "zurich-prod"
ACCOUNT = "333333333333"
SAMPLE = "samples/" + "0" * 64


@pytest.fixture(scope="module")
def stores(prod_plan) -> dict[str, dict[str, Any]]:
    plan = prod_plan
    by_name = {r["name"]: r for r in plan["resources"]}
    stores = {}
    for resource in plan["resources"]:
        if resource["type"] == "aws:s3/bucketPolicy:BucketPolicy" and "-data-" in resource["inputs"]["bucket"]:
            region = resource["inputs"]["bucket"].split(f"{PROD}-data-", 1)[1]
            stores[region] = {
                "bucket": resource["inputs"]["bucket"],
                "policy": json.loads(resource["inputs"]["policy"]),
                "key": by_name[f"tc-data-{region}-key-key"]["outputs"]["arn"],
                "endpoint": plan["outputs"]["s3GatewayEndpointId"],
            }
    assert len(stores) == 6
    return stores


def broker(region: str) -> str:
    return f"arn:aws:iam::{ACCOUNT}:role/tc-{PROD}-intake-broker-{region}"


def ingest(region: str) -> str:
    return f"arn:aws:iam::{ACCOUNT}:role/tc-{PROD}-data-{region}-ingest"


def presigned_upload(key_arn: str, **override: Any) -> dict[str, str]:
    """A customer's PUT with the broker's presigned URL, from the internet (no VPC endpoint)."""
    context = {"aws:SecureTransport": "true", "aws:PrincipalIsAWSService": "false", "s3:authType": "REST-QUERY-STRING",
               "s3:signatureAge": "2000", "s3:x-amz-server-side-encryption-aws-kms-key-id": key_arn,
               "s3:if-none-match": "*", "s3:ObjectCreationOperation": "true"}
    context.update(override)
    return {k: v for k, v in context.items() if v is not None}


def test_a_fresh_presigned_upload_of_a_sample_is_not_denied(stores):
    for region, store in stores.items():
        arn = f"arn:aws:s3:::{store['bucket']}/{SAMPLE}"
        assert denying(store["policy"], broker(region), "s3:PutObject", arn, presigned_upload(store["key"])) == [], region


@pytest.mark.parametrize("change, sid", [
    ({"s3:authType": "REST-HEADER"}, "DenyIntakeUploadsNotPresigned"),
    ({"s3:authType": "POST"}, "DenyIntakeUploadsNotPresigned"),
    ({"s3:signatureAge": str(PRESIGNED_URL_MAX_SECONDS * 1000 + 1)}, "DenyIntakeUploadsWithOldSignatures"),
    ({"s3:x-amz-server-side-encryption-aws-kms-key-id": None}, "DenyIntakeUploadsUnderAnotherKey"),
    ({"s3:if-none-match": None}, "DenyUploadsThatMayOverwrite"),
])
def test_an_upload_is_denied_when_it_breaks_a_condition(stores, change, sid):
    for region, store in stores.items():
        arn = f"arn:aws:s3:::{store['bucket']}/{SAMPLE}"
        assert sid in denying(store["policy"], broker(region), "s3:PutObject", arn, presigned_upload(store["key"], **change))


def test_an_upload_under_another_regions_key_is_denied(stores):
    for region, store in stores.items():
        for other, elsewhere in stores.items():
            if other != region:
                denied = denying(store["policy"], broker(region), "s3:PutObject",
                                 f"arn:aws:s3:::{store['bucket']}/{SAMPLE}", presigned_upload(elsewhere["key"]))
                assert "DenyIntakeUploadsUnderAnotherKey" in denied


def test_the_broker_does_nothing_else_on_its_store(stores):
    for region, store in stores.items():
        context = presigned_upload(store["key"])
        for action, key in (("s3:GetObject", SAMPLE), ("s3:DeleteObject", SAMPLE), ("s3:PutObjectRetention", SAMPLE),
                            ("s3:ListBucket", ""), ("s3:PutObject", "ingest/x"), ("s3:PutObject", "samples")):
            arn = f"arn:aws:s3:::{store['bucket']}" + (f"/{key}" if key else "")
            assert denying(store["policy"], broker(region), action, arn, context), f"{region}: {action} {key}"


def test_another_regions_broker_cannot_write(stores):
    regions = sorted(stores)
    for region, store in stores.items():
        other = regions[(regions.index(region) + 1) % len(regions)]
        denied = denying(store["policy"], broker(other), "s3:PutObject", f"arn:aws:s3:::{store['bucket']}/{SAMPLE}",
                         presigned_upload(store["key"]))
        assert "DenyObjectWritesToAnyoneNotNamed" in denied


def test_samples_are_write_once_for_the_stores_own_writer_too(stores):
    for region, store in stores.items():
        inside = {"aws:SecureTransport": "true", "aws:PrincipalIsAWSService": "false", "aws:SourceVpce": store["endpoint"],
                  "s3:ObjectCreationOperation": "true"}
        sample = f"arn:aws:s3:::{store['bucket']}/{SAMPLE}"
        assert denying(store["policy"], ingest(region), "s3:PutObject", sample, inside) == ["DenyUploadsThatMayOverwrite"]
        assert denying(store["policy"], ingest(region), "s3:PutObject", sample, {**inside, "s3:if-none-match": "*"}) == []
        other = f"arn:aws:s3:::{store['bucket']}/ingest/record"
        assert denying(store["policy"], ingest(region), "s3:PutObject", other, inside) == []
        outside = {k: v for k, v in inside.items() if k != "aws:SourceVpce"}
        assert "DenyObjectAccessOutsideCenterEndpoints" in denying(store["policy"], ingest(region), "s3:PutObject",
                                                                   other, outside)
