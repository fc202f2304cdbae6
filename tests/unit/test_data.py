"""RegionalDataStore as declared by each stack: one store per customer region, each with its
own key, bucket and table, every control on, roles that only write or only read, and
nothing that could put customer data outside Zurich."""

from __future__ import annotations

import json

import pytest

from components.config.data import DataStoresConfig, LifecycleConfig, ObjectLockConfig
from components.data import residency_problems
from tcenter.core.stackfiles import load_stack_values
from tests.helpers import expect_refused

NS = "transparency-center"
STORE_TYPE = "transparency-center:data:RegionalDataStore"

RESIDENCY_BREAKING_TYPES = {
    "aws:s3/bucketReplicationConfig:BucketReplicationConfig",
    "aws:dynamodb/globalTable:GlobalTable",
    "aws:dynamodb/tableReplica:TableReplica",
    "aws:kms/replicaKey:ReplicaKey",
    "aws:kms/replicaExternalKey:ReplicaExternalKey",
    "aws:s3control/multiRegionAccessPoint:MultiRegionAccessPoint",
}


def _data_config(run) -> dict:
    return load_stack_values(run.stack)[f"{NS}:dataStores"]


def _descendants(run, urn: str) -> list:
    children = run.children_of(urn)
    return children + [d for child in children for d in _descendants(run, child.urn)]


def _stores(run) -> dict[str, dict]:
    """Each store's own resources, by customer region (from the store's registered outputs)."""
    stores = {}
    for component in run.by_type(STORE_TYPE):
        outputs = run.component_outputs[component.urn]
        resources = _descendants(run, component.urn)

        # A store with an intake (components/intake.py) also holds the intake table and its own key;
        # they are the store's too, but not the key of its bucket nor its metadata table.
        own = [r for r in resources if "-intake" not in r.name]

        def only(type_: str, resources=own, component=component):
            found = [r for r in resources if r.type == type_]
            assert len(found) == 1, f"{component.name}: {len(found)} {type_}"
            return found[0]

        stores[outputs["customerRegion"]] = {
            "outputs": outputs,
            "resources": resources,
            "key": only("aws:kms/key:Key"),
            "bucket": only("aws:s3/bucket:Bucket"),
            "table": only("aws:dynamodb/table:Table"),
            "one": lambda type_, only=only: only(type_),
        }
    return stores


def _policy(resource) -> dict:
    value = resource.inputs["policy"]
    return json.loads(value) if isinstance(value, str) else value


def _as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def _statements_of_role(run, role_name: str) -> list[dict]:
    return [s for p in run.by_type("aws:iam/rolePolicy:RolePolicy") if p.inputs["role"] == role_name
            for s in _policy(p)["Statement"]]


def test_one_store_per_customer_region(each_stack):
    expected = _data_config(each_stack)["customerRegions"]
    stores = _stores(each_stack)
    assert sorted(stores) == sorted(expected)
    if each_stack.stack == "zurich-prod":
        assert len(stores) == 6
    keys = {s["key"].outputs["arn"] for s in stores.values()}
    buckets = {s["bucket"].inputs["bucket"] for s in stores.values()}
    tables = {s["table"].inputs["name"] for s in stores.values()}
    assert len(keys) == len(buckets) == len(tables) == len(stores), "no store shares a key, bucket or table"
    for region, store in stores.items():
        assert region in store["bucket"].inputs["bucket"] and region in store["table"].inputs["name"]


def test_every_store_resource_goes_through_the_data_zone_provider(each_stack):
    providers = {p.urn: p for p in each_stack.by_type("pulumi:providers:aws")}
    for store in _stores(each_stack).values():
        for r in store["resources"]:
            if r.custom:
                provider = providers[r.provider]
                assert provider.inputs["region"] == "eu-central-2", r.urn
                assert provider.name.endswith("-data"), f"{r.urn} uses {provider.name}"


def test_store_keys_rotate_stay_single_region_and_serve_only_s3_and_dynamodb(each_stack):
    for region, store in _stores(each_stack).items():
        key = store["key"]
        assert key.inputs["enableKeyRotation"] is True
        assert key.inputs["multiRegion"] is False
        assert key.inputs["customerMasterKeySpec"] == "SYMMETRIC_DEFAULT"
        statements = {s["Sid"]: s for s in _policy(key)["Statement"]}
        usage = statements["NamedUsersThroughNamedServicesOnly"]
        assert usage["Condition"]["StringLike"]["kms:ViaService"] == [
            "dynamodb.eu-central-2.amazonaws.com", "s3.eu-central-2.amazonaws.com"]
        # Named principals only: the store's own roles use the key; the account root delegates no use.
        roles = {store["outputs"]["ingestionRoleArn"], store["outputs"]["analysisRoleArn"]}
        assert roles <= set(usage["Principal"]["AWS"])
        root = f"arn:aws:iam::{key.outputs['arn'].split(':')[4]}:root"
        for statement in statements.values():
            assert statement["Principal"] != "*" and statement["Principal"].get("AWS") != "*", region
            if statement["Effect"] == "Allow" and statement["Principal"].get("AWS") == root:
                assert not {"kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"} & set(statement["Action"]), statement
        deny = statements["DenyDataKeysToAnyoneButUsers"]
        assert deny["Effect"] == "Deny" and roles <= set(deny["Condition"]["ArnNotEquals"]["aws:PrincipalArn"])


def test_store_buckets_have_every_control(each_stack):
    config = _data_config(each_stack)
    access_log_bucket = each_stack.outputs["accessLogBucket"]
    for region, store in _stores(each_stack).items():
        one, bucket, key_arn = store["one"], store["bucket"], store["key"].outputs["arn"]
        bucket_id = bucket.id
        assert bucket.inputs["objectLockEnabled"] is True
        # The lock tag carries the stack file's mode: AWS Config's lock rule is scoped to it.
        assert bucket.inputs["tags"] == {"customer-region": region, "data-class": "customer-data",
                                         "object-lock": config["objectLock"]["mode"]}
        block = one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock").inputs
        assert block["bucket"] == bucket_id
        assert all(block[k] is True for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"))
        assert one("aws:s3/bucketOwnershipControls:BucketOwnershipControls").inputs["rule"]["objectOwnership"] == "BucketOwnerEnforced"
        assert one("aws:s3/bucketVersioning:BucketVersioning").inputs["versioningConfiguration"]["status"] == "Enabled"
        (sse,) = one("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration").inputs["rules"]
        assert sse["applyServerSideEncryptionByDefault"] == {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": key_arn}
        assert sse["bucketKeyEnabled"] is True
        assert one("aws:s3/bucketLogging:BucketLogging").inputs["targetBucket"] == access_log_bucket
        lock = one("aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration").inputs
        assert lock["rule"]["defaultRetention"] == {
            "mode": config["objectLock"]["mode"], "days": config["objectLock"]["retentionDays"]}
        (rule,) = one("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration").inputs["rules"]
        lifecycle = {**LifecycleConfig().model_dump(by_alias=True), **config.get("lifecycle", {})}
        assert rule["status"] == "Enabled"
        assert rule["noncurrentVersionExpiration"]["noncurrentDays"] == lifecycle["noncurrentVersionExpirationDays"]
        assert rule["abortIncompleteMultipartUpload"]["daysAfterInitiation"] == lifecycle["abortIncompleteMultipartUploadDays"]
        if lifecycle["transitionToInfrequentAccessDays"] is None:
            assert "transitions" not in rule
        else:
            assert rule["transitions"] == [{"days": lifecycle["transitionToInfrequentAccessDays"], "storageClass": "STANDARD_IA"}]


def test_store_bucket_policy_tls_only_endpoint_only_single_writer(each_stack):
    endpoint = each_stack.outputs["s3GatewayEndpointId"]
    for _region, store in _stores(each_stack).items():
        statements = {s["Sid"]: s for s in _policy(store["one"]("aws:s3/bucketPolicy:BucketPolicy"))["Statement"]}
        arn = store["bucket"].outputs["arn"]
        tls = statements["DenyInsecureTransport"]
        assert tls["Effect"] == "Deny" and tls["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        assert tls["Resource"] == [arn, f"{arn}/*"]
        outside = statements["DenyObjectAccessOutsideCenterEndpoints"]
        assert outside["Effect"] == "Deny" and outside["Resource"] == f"{arn}/*"
        # the center's endpoint, and the analysis zone's own (issue 28): the cells come in through it
        analysis = "analysisCellRoleArns" in each_stack.outputs
        cells_endpoint = [each_stack.outputs["analysisS3EndpointId"]] if analysis else []
        assert sorted(outside["Condition"]["StringNotEquals"]["aws:SourceVpce"]) == sorted([endpoint, *cells_endpoint])
        assert {"s3:GetObject*", "s3:PutObject*"} <= set(outside["Action"])
        # The region's intake broker (a Lambda role) signs customers' uploads of samples/: the one other
        # writer, of samples/ only, exempt from the endpoint Deny and fenced by the intake statements.
        brokers = [r.outputs["arn"] for r in each_stack.by_type("aws:iam/role:Role")
                   if (r.inputs.get("tags") or {}).get("customer-region") == _region
                   and "lambda.amazonaws.com" in r.inputs["assumeRolePolicy"]]
        cell = [each_stack.outputs["analysisCellRoleArns"][_region]] if analysis else []
        av_builders = [arn for builder, arn in each_stack.outputs["builderRoleArns"].items()
                       if builder.startswith("av-databases-") and analysis]
        writers = statements["DenyObjectWritesToAnyoneNotNamed"]
        assert writers["Effect"] == "Deny" and writers["Resource"] == [arn, f"{arn}/*"]
        assert sorted(writers["Condition"]["ArnNotEquals"]["aws:PrincipalArn"]) == sorted(
            [store["outputs"]["ingestionRoleArn"], *cell, *brokers])
        assert outside["Condition"].get("ArnNotEquals", {}).get("aws:PrincipalArn", []) == brokers
        if brokers:
            samples = statements["DenyWritesOutsideSamplesToItsWriters"]
            assert samples["NotResource"] == [f"{arn}/samples/*"] and samples["Effect"] == "Deny"
            assert samples["Condition"] == {"ArnEquals": {"aws:PrincipalArn": brokers}}
        readers = statements["DenyObjectReadsToAnyoneNotNamed"]
        assert sorted(readers["Condition"]["ArnNotEquals"]["aws:PrincipalArn"]) == sorted(
            [store["outputs"]["analysisRoleArn"], *cell, *av_builders])
        # ... and the analysis flow's fence: samples/ to the cells alone (tests/owner/test_analysis_cells.py
        # judges what it leaves with the kit's access evaluation)
        if analysis:
            samples = statements["DenySampleReadsButCells"]
            assert samples["Resource"] == [f"{arn}/samples/*"]
            assert samples["Condition"]["ArnNotEquals"] == {"aws:PrincipalArn": cell}
        assert "s3:GetObject*" in readers["Action"]
        assert not [s for s in statements.values() if s["Effect"] == "Allow"], "the bucket policy grants nothing"


def test_metadata_tables_recover_and_use_the_store_key(each_stack):
    for region, store in _stores(each_stack).items():
        table = store["table"].inputs
        assert table["pointInTimeRecovery"]["enabled"] is True
        assert table["serverSideEncryption"] == {"enabled": True, "kmsKeyArn": store["key"].outputs["arn"]}
        assert table["tags"] == {"customer-region": region, "data-class": "customer-data"}
        assert not table.get("replicas") and not table.get("streamEnabled")


def _allowed_actions(statements: list[dict]) -> set[str]:
    return {a for s in statements if s["Effect"] == "Allow" for a in _as_list(s["Action"])}


def test_ingestion_role_only_writes_and_analysis_role_only_reads(each_stack):
    for region, store in _stores(each_stack).items():
        ingest = _statements_of_role(each_stack, f"tc-{each_stack.stack}-data-{region}-ingest")
        analyze = _statements_of_role(each_stack, f"tc-{each_stack.stack}-data-{region}-analyze")
        ingest_actions, analyze_actions = _allowed_actions(ingest), _allowed_actions(analyze)
        assert {"s3:PutObject", "dynamodb:PutItem"} <= ingest_actions
        assert not {a for a in ingest_actions if a.startswith(("s3:Get", "s3:List", "s3:Delete", "dynamodb:Get",
                                                                "dynamodb:Query", "dynamodb:Scan", "dynamodb:Delete",
                                                                "dynamodb:Update", "dynamodb:Batch"))}
        assert {"s3:GetObject", "s3:ListBucket", "dynamodb:GetItem", "dynamodb:Query"} <= analyze_actions
        assert not {a for a in analyze_actions if a.startswith(("s3:Put", "s3:Delete", "dynamodb:Put", "dynamodb:Delete",
                                                                 "dynamodb:Update", "dynamodb:BatchWrite", "kms:Encrypt",
                                                                 "kms:GenerateDataKey"))}
        # Each role reaches its own store only.
        own = {store["bucket"].outputs["arn"], f"{store['bucket'].outputs['arn']}/*",
               store["table"].outputs["arn"], store["key"].outputs["arn"]}
        for statement in ingest + analyze:
            if statement["Effect"] == "Allow":
                assert set(_as_list(statement["Resource"])) <= own, statement


def test_only_the_stores_own_roles_are_allowed_on_customer_data(each_stack):
    """Reviewers (and every other role) get nothing on a store's bucket, table or key."""
    stores = _stores(each_stack)
    for region, store in stores.items():
        bucket_arn = store["bucket"].outputs["arn"]
        guarded = {bucket_arn, f"{bucket_arn}/*", store["table"].outputs["arn"], store["key"].outputs["arn"]}
        owners = {f"tc-{each_stack.stack}-data-{region}-ingest", f"tc-{each_stack.stack}-data-{region}-analyze"}
        broker = f"tc-{each_stack.stack}-intake-broker-{region}"  # writes samples/ only: tests/intake/test_access.py
        # issue 28: the region's analysis cells (samples/ and verdicts/ only) and the AV-database builders
        # (verdicts/ only) use the store key through S3; neither is granted the whole bucket or the table
        flow = {f"tc-{each_stack.stack}-cell-{region}",
                *(f"tc-{each_stack.stack}-build-{b}" for b in each_stack.outputs["builderRoleArns"] if b.startswith("av-"))}
        for policy in each_stack.by_type("aws:iam/rolePolicy:RolePolicy"):
            for statement in _policy(policy)["Statement"]:
                if statement["Effect"] == "Allow" and guarded & set(_as_list(statement["Resource"])):
                    if policy.inputs["role"] == broker:
                        assert statement["Action"] in (["s3:PutObject"], ["kms:GenerateDataKey"]), statement
                        continue
                    assert policy.inputs["role"] in owners | flow, f"{policy.name} grants {statement['Sid']} on {region}'s data"
                    if policy.inputs["role"] in flow:
                        assert guarded & set(_as_list(statement["Resource"])) <= {store["key"].outputs["arn"], bucket_arn}


def test_nothing_replicates_or_leaves_zurich(each_stack):
    found = sorted({r.type for r in each_stack.resources} & RESIDENCY_BREAKING_TYPES)
    assert found == []
    for key in each_stack.by_type("aws:kms/key:Key"):
        assert key.inputs.get("multiRegion") in (False, None), key.urn
    for table in each_stack.by_type("aws:dynamodb/table:Table"):
        assert not table.inputs.get("replicas"), table.urn
    for provider in each_stack.by_type("pulumi:providers:aws"):
        assert provider.inputs["region"] == "eu-central-2"
    for r in each_stack.resources:
        assert r.inputs.get("region") in (None, "eu-central-2"), f"{r.urn} overrides its provider's region"


def test_store_names_are_exported_per_customer_region(each_stack):
    stores = _stores(each_stack)
    assert each_stack.outputs["dataStoreBuckets"] == {r: s["bucket"].inputs["bucket"] for r, s in stores.items()}
    assert each_stack.outputs["dataStoreTables"] == {r: s["table"].inputs["name"] for r, s in stores.items()}
    assert each_stack.outputs["dataStoreKeyArns"] == {r: s["key"].outputs["arn"] for r, s in stores.items()}


# --- config that would break residency or prod's minimums is refused ----------------------



@pytest.mark.parametrize("field, value, key, reason", [
    ("storageRegion", "eu-central-1", "dataStores.storageRegion", "eu-central-2"),
    ("replicationRegions", ["eu-west-1"], "dataStores.replicationRegions", "replication"),
    ("multiRegionKeys", True, "dataStores.multiRegionKeys", "multi-Region"),
])
@pytest.mark.parametrize("stack", ["dev", "zurich-prod"])
def test_residency_breaking_config_is_refused_with_the_reason(declare_with, stack_values, stack, field, value, key, reason):
    values = stack_values(stack)
    values[f"{NS}:dataStores"][field] = value
    error = expect_refused(declare_with, values, stack)
    assert [k for k, _ in error.problems] == [f"{NS}:{key}"]
    message = dict(error.problems)[f"{NS}:{key}"]
    assert reason in message and "residency" in message


def test_prod_lock_retention_below_minimum_is_refused(declare_with, stack_values):
    values = stack_values("zurich-prod")
    values[f"{NS}:dataStores"]["objectLock"]["retentionDays"] = 7
    error = expect_refused(declare_with, values, "zurich-prod")
    assert [k for k, _ in error.problems] == [f"{NS}:dataStores.objectLock.retentionDays"]
    assert "30" in str(error) and "7" in str(error)


def test_the_same_short_retention_is_fine_outside_prod(stack_values):
    from components.config import load_config
    from tcenter.plan.engine import to_pulumi_config

    values = stack_values("dev")
    values[f"{NS}:dataStores"]["objectLock"]["retentionDays"] = 7
    assert load_config(to_pulumi_config(values)[0], "dev").data_stores.object_lock.retention_days == 7


def test_the_component_refuses_residency_breaking_config_even_if_it_bypassed_validation():
    broken = DataStoresConfig.model_construct(
        customer_regions=["europe"], storage_region="eu-central-1", object_lock=ObjectLockConfig(),
        lifecycle=LifecycleConfig(), replication_regions=["eu-west-1"], multi_region_keys=True,
    )
    problems = residency_problems(broken)
    assert len(problems) == 3
    assert residency_problems(DataStoresConfig(customer_regions=["europe"])) == []
