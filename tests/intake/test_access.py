"""Effective access over the zurich-prod plan (tcenter.access): the brokers and the edge read no
customer data, and a broker writes only `samples/` of its own region's store.

The table's asset rows answer "may this principal read/write/... this asset at all"; a write
confined to a prefix is checked per object ARN with `decide` on the same evaluation (a bucket
policy Deny with NotResource makes the asset-level row understate it: see docs/intake.md)."""

from __future__ import annotations

from typing import Any

import pytest

from tcenter.analysis.access import NEVER, collect, decide, effective_access

PROD = "zurich-prod"


@pytest.fixture(scope="module")
def access(prod_plan) -> dict[str, Any]:
    return effective_access(prod_plan)


def _regions(prod_plan) -> list[str]:
    return sorted(r["inputs"]["environment"]["variables"]["CUSTOMER_REGION"] for r in prod_plan["resources"]
                  if r["type"] == "aws:lambda/function:Function")


def _intake_principals(access) -> dict[str, Any]:
    return {key: entry for key, entry in access["principals"].items()
            if "-intake-broker-" in key or "-intake-edge-logs" in key}


def test_every_region_has_a_broker_and_the_edge_has_its_role(prod_plan, access):
    regions = _regions(prod_plan)
    assert regions == sorted(["europe", "north-america", "australia", "japan", "south-korea", "singapore"])
    roles = {key for key, entry in _intake_principals(access).items() if entry["kind"] == "role"}
    assert len(roles) == len(regions) + 1


def test_brokers_and_edge_read_no_customer_data(access):
    customer = {name for name, asset in access["assets"].items() if asset["customer_data"]}
    assert customer, "the plan has customer data assets"
    for key, entry in _intake_principals(access).items():
        for asset, row in entry["access"].items():
            if asset in customer:
                assert "read" not in row, f"{key} may read {asset}: {row['read']}"
                assert not {"delete", "administer", "sign"} & set(row), f"{key} on {asset}: {row}"


def test_the_edge_writes_only_its_access_log(access):
    for key, entry in _intake_principals(access).items():
        if "-intake-edge-logs" in key:
            assert entry["access"] == {"tc-intake-access-log": {"write": "yes"}}, key


@pytest.fixture(scope="module")
def collected(prod_plan):
    return collect(prod_plan)


def may(collected, role: str, bucket: str, action: str, key: str) -> frozenset:
    """The decision for one object ARN of a store, with the store's own bucket policy."""
    from tcenter.analysis.access import Asset

    principals, assets, account = collected
    store = next(a for a in assets if a.kind == "bucket" and a.arns[0] == f"arn:aws:s3:::{bucket}")
    one = Asset(store.name, "bucket", (f"arn:aws:s3:::{bucket}/{key}",), "s3", True, store.policy)
    return decide(principals[role], one, action, account)


def test_a_broker_writes_only_samples_of_its_own_regions_store(prod_plan, collected):
    regions = _regions(prod_plan)
    account = "333333333333"
    sample = "samples/" + "a" * 64
    for region in regions:
        role = f"arn:aws:iam::{account}:role/tc-{PROD}-intake-broker-{region}"
        for target in regions:
            bucket = f"tc-{account}-{PROD}-data-{target}"
            if target == region:
                allowed = may(collected, role, bucket, "s3:PutObject", sample)
                assert allowed != NEVER, f"{region}'s broker cannot sign uploads of its own samples/"
                conditions = " ".join(sorted(c for clause in allowed for c in clause))
                for needed in ("s3:authType", "s3:signatureAge", "s3:x-amz-server-side-encryption-aws-kms-key-id",
                               "s3:if-none-match"):
                    assert needed in conditions, f"the upload is not fenced by {needed}: {conditions}"
            else:
                assert may(collected, role, bucket, "s3:PutObject", sample) == NEVER, \
                    f"{region}'s broker writes {target}'s samples/"
            for key in ("ingest/record.json", "samplesX/y", "other/" + "a" * 64):
                assert may(collected, role, bucket, "s3:PutObject", key) == NEVER, f"{region}'s broker writes {bucket}/{key}"
            for action in ("s3:GetObject", "s3:GetObjectVersion", "s3:DeleteObject", "s3:PutObjectAcl",
                           "s3:PutObjectRetention", "s3:BypassGovernanceRetention", "s3:RestoreObject"):
                assert may(collected, role, bucket, action, sample) == NEVER, f"{region}'s broker may {action} {bucket}"


def test_a_broker_never_decrypts_with_a_stores_key(collected):
    principals, assets, account = collected
    for key, principal in principals.items():
        if "-intake-broker-" not in key or principal.kind != "role":
            continue
        for asset in assets:
            if asset.kind == "key" and asset.customer_data and "-intake-key" not in asset.name:
                assert decide(principal, asset, "kms:Decrypt", account) == NEVER, f"{key} decrypts with {asset.name}"
                assert decide(principal, asset, "kms:ReEncryptFrom", account) == NEVER


def test_a_broker_reads_no_item_of_any_table(collected):
    principals, assets, account = collected
    for key, principal in principals.items():
        if "-intake-broker-" not in key or principal.kind != "role":
            continue
        for asset in assets:
            if asset.kind == "table":
                for action in ("dynamodb:GetItem", "dynamodb:Query", "dynamodb:Scan", "dynamodb:BatchGetItem",
                               "dynamodb:DeleteItem"):
                    assert decide(principal, asset, action, account) == NEVER, f"{key} may {action} on {asset.name}"
