"""What IntakeEdge declares, read from the plans of every stack with an intake, and the config
model's refusals (one line per key, nothing declared)."""

from __future__ import annotations

import hashlib
import json
import math
from typing import Any

import pytest

from components.config import ConfigError, load_config
from components.intake import FUNCTION_SOURCE
from tcenter.core.stackfiles import load_stack_values
from tests.helpers import expect_refused, problem_keys

NS = "transparency-center"
INTAKE_STACKS = ("dev", "staging", "zurich-prod")


@pytest.fixture(scope="module", params=INTAKE_STACKS)
def run(request, declared):
    return declared(request.param)


def _intake(run) -> dict[str, Any]:
    return load_stack_values(run.stack)[f"{NS}:intake"]


def _one(run, type_: str):
    found = run.by_type(type_)
    assert len(found) == 1, f"{run.stack}: {len(found)} {type_}"
    return found[0]


def test_the_api_is_regional_and_reached_only_through_the_mutual_tls_domain(run):
    api = _one(run, "aws:apigateway/restApi:RestApi")
    assert api.inputs["endpointConfiguration"]["types"] == "REGIONAL"
    assert api.inputs["disableExecuteApiEndpoint"] is True
    domain = _one(run, "aws:apigateway/domainName:DomainName")
    config = _intake(run)
    assert domain.inputs["endpointConfiguration"]["types"] == "REGIONAL"
    assert domain.inputs["regionalCertificateArn"] == config["certificateArn"]
    assert ":acm:eu-central-2:" in domain.inputs["regionalCertificateArn"]
    assert not {"certificateArn", "certificateName", "certificateBody"} & set(domain.inputs)
    assert domain.inputs["securityPolicy"] == "TLS_1_2"
    truststore = _one(run, "aws:s3/bucketObjectv2:BucketObjectv2")
    bucket, key = domain.inputs["mutualTlsAuthentication"]["truststoreUri"].removeprefix("s3://").split("/", 1)
    assert (truststore.inputs["key"], bucket) == (key, truststore.inputs["bucket"])
    assert truststore.inputs["content"] == "".join(pem.strip() + "\n" for pem in config["productCaCertificates"])
    assert not run.by_type("aws:cloudfront/distribution:Distribution")
    assert not [r for r in run.resources if r.type.startswith("aws:globalaccelerator")]


def test_every_method_validates_its_body_and_is_throttled_per_region(run):
    config = _intake(run)
    regions = list(config["capacity"]["clients"])
    methods = run.by_type("aws:apigateway/method:Method")
    assert len(methods) == len(regions)
    for method in methods:
        assert method.inputs["httpMethod"] == "POST" and method.inputs["requestValidatorId"]
        assert method.inputs["requestModels"] == {"application/json": "SampleRequest"}
    schema = json.loads(_one(run, "aws:apigateway/model:Model").inputs["schema"])
    assert schema["additionalProperties"] is False and set(schema["required"]) == {"sha256", "size", "ruleId", "ruleSetDigest"}
    settings = {s.inputs["methodPath"]: s.inputs["settings"] for s in run.by_type("aws:apigateway/methodSettings:MethodSettings")}
    capacity = config["capacity"]
    per_day = capacity["lookupsPerClientPerDay"] + capacity["uploadsPerClientPerDay"]
    for region in regions:
        throttle = settings[f"v1/{region}/samples/POST"]
        peak = capacity["clients"][region] * per_day / 86400 * capacity.get("peakFactor", 3)
        assert throttle["throttlingRateLimit"] >= peak, region
        assert 0 < throttle["throttlingBurstLimit"] <= throttle["throttlingRateLimit"]


def test_brokers_run_in_the_data_zone_reaching_only_the_gateway_endpoints(run):
    data_subnets = set(run.outputs["subnetIds"]["data"])
    groups = {g.id: g for g in run.by_type("aws:ec2/securityGroup:SecurityGroup")}
    functions = run.by_type("aws:lambda/function:Function")
    assert len(functions) == len(_intake(run)["capacity"]["clients"])
    for function in functions:
        vpc = function.inputs["vpcConfig"]
        assert set(vpc["subnetIds"]) <= data_subnets and vpc["subnetIds"]
        for group_id in vpc["securityGroupIds"]:
            group = groups[group_id]
            assert group.inputs["ingress"] == []
            assert {e["toPort"] for e in group.inputs["egress"]} == {443}
            assert all(e.get("prefixListIds") and not e.get("cidrBlocks") for e in group.inputs["egress"])
        assert function.inputs["runtime"].startswith("python3")
        assert function.inputs["reservedConcurrentExecutions"] >= 1


def test_the_function_code_is_the_repositorys_and_the_plan_is_deterministic(run):
    from tcenter.plan.format import build_plan, dumps

    function = run.by_type("aws:lambda/function:Function")[0]
    archive = function.inputs["code"]
    files = {name: asset.text for name, asset in archive.assets.items()}
    on_disk = {f"intake_broker/{p.name}": p.read_text() for p in FUNCTION_SOURCE.glob("*.py")}
    assert files == on_disk and "intake_broker/handler.py" in files
    if run.stack == "dev":
        from tcenter.plan.engine import run_program

        again = run_program("dev")
        assert dumps(build_plan(run)) == dumps(build_plan(again))
        entry = next(r for r in build_plan(run)["resources"] if r["type"] == "aws:lambda/function:Function")
        assert entry["inputs"]["code"]["archive"]["intake_broker/handler.py"]["sha256"] == \
            hashlib.sha256(on_disk["intake_broker/handler.py"].encode()).hexdigest()


def test_quota_increases_are_declared_exactly_for_what_exceeds_a_default(run):
    requested = {(q.inputs["serviceCode"], q.inputs["quotaCode"]): q.inputs["value"]
                 for q in run.by_type("aws:servicequotas/serviceQuota:ServiceQuota")}
    capacity = _intake(run)["capacity"]
    per_day = capacity["lookupsPerClientPerDay"] + capacity["uploadsPerClientPerDay"]
    peak = sum(capacity["clients"].values()) * per_day / 86400 * capacity.get("peakFactor", 3)
    if run.stack == "zurich-prod":
        assert requested[("apigateway", "L-8A5B8E43")] >= peak > 2500
        concurrency = sum(f.inputs["reservedConcurrentExecutions"] for f in run.by_type("aws:lambda/function:Function"))
        assert requested[("lambda", "L-B99A9384")] >= concurrency + 100 > 1000
        assert requested[("dynamodb", "L-AB614373")] > 40000
    else:
        assert peak < 2500 and requested == {}, "a small stack asks for nothing"


def test_intake_tables_claim_hashes_under_their_own_key_through_the_endpoint(run):
    tables = [t for t in run.by_type("aws:dynamodb/table:Table") if t.inputs["name"].endswith("-intake")]
    assert len(tables) == len(_intake(run)["capacity"]["clients"])
    keys = {k.outputs["arn"]: k for k in run.by_type("aws:kms/key:Key")}
    for table in tables:
        assert table.inputs["hashKey"] == "pk" and table.inputs["ttl"] == {"attributeName": "expiresAt", "enabled": True}
        key = keys[table.inputs["serverSideEncryption"]["kmsKeyArn"]]
        assert "intake" in key.inputs["description"], "not the key of the store's samples"
        assert table.inputs["onDemandThroughput"]["maxWriteRequestUnits"] >= 100
        assert table.inputs["deletionProtectionEnabled"] is (run.stack == "zurich-prod")
    policies = [p for p in run.by_type("aws:dynamodb/resourcePolicy:ResourcePolicy") if "-intake-policy" in p.name]
    assert len(policies) == len(tables)


def test_the_trail_records_reads_of_the_intake_tables_and_the_rule_set_bucket(run):
    (trail,) = [t for t in run.by_type("aws:cloudtrail/trail:Trail") if "-evidence-" not in t.inputs["name"]]
    selectors = trail.inputs["advancedEventSelectors"]
    reads = next(s for s in selectors if s["name"] == "DynamoDB item reads of the intake tables")
    fields = {f["field"]: f for f in reads["fieldSelectors"]}
    assert fields["readOnly"]["equals"] == ["true"] and len(fields["resources.ARN"]["equals"]) == len(_intake(run)["capacity"]["clients"])
    watched = next(s for s in selectors if s["name"] == "S3 object data events of the watched buckets")
    arns = next(f for f in watched["fieldSelectors"] if f["field"] == "resources.ARN")["startsWiths"]
    assert any("-intake/" in a for a in arns)


def test_the_sequencer_reads_the_pending_log_entries_and_nothing_else_of_the_intake_bucket(run):
    """`tcenter intake publish` leaves an approved set's log entry under rules/log-pending/ (its
    tcenter.intake.tlog.PENDING_PREFIX) for the transparency log's sequencer: create-only, read by
    the sequencer role alone besides the publisher."""
    from components.intake import LOG_PENDING_PREFIX
    from tcenter.intake.tlog import PENDING_PREFIX

    assert PENDING_PREFIX == LOG_PENDING_PREFIX
    bucket = run.outputs["intakeBucket"]
    assert run.outputs["intakeLogPendingPrefix"] == f"s3://{bucket}/{LOG_PENDING_PREFIX}"
    sequencer = run.outputs["transparencySequencerRoleArn"].rsplit("/", 1)[-1]
    (grant,) = [p for p in run.by_type("aws:iam/rolePolicy:RolePolicy")
                if p.inputs["role"] == sequencer and p.inputs["name"] == "read-intake-log-pending"]
    statements = {s["Sid"]: s for s in json.loads(grant.inputs["policy"])["Statement"]}
    assert statements["ListPendingRuleSetEntries"]["Condition"] == {"StringLike": {"s3:prefix": ["rules/log-pending/*"]}}
    assert statements["ReadPendingRuleSetEntries"]["Resource"] == [f"arn:aws:s3:::{bucket}/rules/log-pending/*"]
    assert statements["ReadPendingRuleSetEntries"]["Action"] == ["s3:GetObject"]
    (policy,) = [p for p in run.by_type("aws:s3/bucketPolicy:BucketPolicy") if p.inputs["bucket"] == bucket]
    create_only = [s for s in json.loads(policy.inputs["policy"])["Statement"]
                   if s["Effect"] == "Deny" and f"arn:aws:s3:::{bucket}/rules/log-pending/*" in s.get("Resource", [])
                   and "s3:if-none-match" in json.dumps(s.get("Condition"))]
    assert create_only, "a pending entry can be overwritten"


# --- config refusals --------------------------------------------------------------------------

def _with_intake(stack: str, **changes: Any) -> dict[str, Any]:
    values = load_stack_values(stack)
    values[f"{NS}:intake"].update(changes)
    return values


@pytest.mark.parametrize("change, key, needle", [
    ({"certificateArn": "arn:aws:acm:us-east-1:111111111111:certificate/00000000-0000-4000-8000-000000000027"},
     "intake.certificateArn", "in eu-central-2"),
    ({"certificateArn": "arn:aws:acm:eu-central-2:999999999999:certificate/00000000-0000-4000-8000-000000000027"},
     "intake.certificateArn", "not the stack's"),
    ({"uploadUrlSeconds": 301}, "intake.uploadUrlSeconds", "300"),
    ({"productCaCertificates": ["not a pem"]}, "intake.productCaCertificates", "not a PEM X.509 certificate"),
    ({"ruleSetQuorum": 2}, "intake.ruleSetQuorum", "exceeds the 1 organization"),
    ({"domainName": "Intake.Example"}, "intake.domainName", "hostname"),
    ({"rulePublishers": ["arn:aws:iam::111111111111:user/alice"]}, "intake.rulePublishers", "role ARNs"),
    ({"sampleSize": {"minBytes": 10, "maxBytes": 5}}, "intake.sampleSize", "larger than maxBytes"),
])
def test_bad_intake_config_is_refused_naming_the_key(declare_with, change, key, needle):
    error = expect_refused(declare_with, _with_intake("dev", **change))
    assert problem_keys(error) == [f"{NS}:{key}"]
    assert needle in error.problems[0][1] and "\n" not in error.problems[0][1]


def test_a_leaf_certificate_is_refused_as_the_truststore(pki):
    from cryptography.hazmat.primitives import serialization

    leaf = pki.client("client-1", "europe")[0].public_bytes(serialization.Encoding.PEM).decode()
    with pytest.raises(ConfigError) as caught:
        load_config(_with_intake("dev", productCaCertificates=[leaf]), "dev")
    assert "is not a CA certificate" in str(caught.value)


def test_capacity_must_cover_exactly_the_stores_regions(declare_with):
    values = load_stack_values("dev")
    values[f"{NS}:intake"]["capacity"]["clients"] = {"europe": 10, "japan": 5}
    error = expect_refused(declare_with, values)
    assert problem_keys(error) == [f"{NS}:intake.capacity.clients"] and "extra ['japan']" in error.problems[0][1]


def test_prod_needs_two_organizations_for_a_rule_set(declare_with):
    values = _with_intake("zurich-prod", ruleSetQuorum=1)
    error = expect_refused(declare_with, values, "zurich-prod")
    assert problem_keys(error) == [f"{NS}:intake.ruleSetQuorum"]


def test_throttle_and_concurrency_grow_with_the_clients():
    small = load_config(load_stack_values("dev"), "dev").intake
    values = load_stack_values("dev")
    values[f"{NS}:intake"]["capacity"]["clients"]["europe"] = 10_000_000
    big = load_config(values, "dev").intake
    from components.intake_capacity import plan_capacity

    a, b = plan_capacity(small).region("europe"), plan_capacity(big).region("europe")
    assert b.throttle_rate > a.throttle_rate and b.reserved_concurrency > a.reserved_concurrency
    ratio = b.peak_requests_per_second / a.peak_requests_per_second
    assert math.isclose(ratio, 10_000_000 / 1000)


def test_an_intake_without_the_transparency_log_is_refused(declare_with):
    """A rule set takes effect only once it is logged: no log, no intake."""
    values = load_stack_values("dev")
    values[f"{NS}:transparency"]["enabled"] = False
    error = expect_refused(declare_with, values)
    assert problem_keys(error) == [f"{NS}:transparency.enabled"] and "needs the transparency log" in error.problems[0][1]
