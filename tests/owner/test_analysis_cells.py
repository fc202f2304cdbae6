"""Issue 28's attacker checks over the real zurich-prod plan: a detonated sample (a cell's role),
any other principal of the plan, and the AV-database builders, judged by the kit's effective
access (tcenter/analysis/access.py) object by object: `samples/`, `verdicts/` and any other key
of every customer data store. Generated from the plan: every principal, every store, every
region's cells; the expected sets come from the issue, not from the component."""

from __future__ import annotations

import copy
import json
from dataclasses import replace
from typing import Any

import pytest

from tcenter.analysis import access
from tcenter.analysis.diff import diff_plans

from .conftest import PROD, plant

KEYS = {"samples": "samples/0f343b0931126a20f133d67c2b018a3b", "verdicts": "verdicts/0f343b0931126a20f133d67c2b018a3b.json",
        "other": "customers/europe/rules.json"}


@pytest.fixture(scope="module")
def model(prod: dict[str, Any]) -> access.Model:
    return access.collect_model(prod)


def stores(model: access.Model) -> dict[str, access.Asset]:
    """customer region -> the store bucket (its name: tc-data-<region>-objects-bucket)."""
    found = {a.name.removeprefix("tc-data-").removesuffix("-objects-bucket"): a for a in model.assets
             if a.kind == "bucket" and a.customer_data and a.name.startswith("tc-data-") and a.name.endswith("-objects-bucket")}
    assert len(found) == 6, sorted(found)
    return found


def bucket_arn(store: access.Asset) -> str:
    (arn,) = [a for a in store.arns if "/" not in a.removeprefix("arn:aws:s3:::")]
    return arn


def can_object(model: access.Model, principal: access.Principal, store: access.Asset, action: str, key: str) -> bool:
    obj = replace(store, arns=(f"{bucket_arn(store)}/{key}",))
    return bool(access.decide(principal, obj, action, model.account))


def cell_roles(model: access.Model) -> dict[str, access.Principal]:
    found = {k.rsplit("-cell-", 1)[1]: p for k, p in model.principals.items() if ":role/tc-zurich-prod-cell-" in k}
    assert len(found) == 6, sorted(found)
    return found


def av_builders(model: access.Model) -> list[access.Principal]:
    found = [p for k, p in model.principals.items() if ":role/tc-zurich-prod-build-av-databases-" in k]
    assert len(found) == 2
    return found


def test_no_principal_but_the_regions_cells_reads_its_samples(model):
    cells = cell_roles(model)
    for region, store in stores(model).items():
        readers = sorted(k for k, p in model.principals.items()
                         if can_object(model, p, store, "s3:GetObject", KEYS["samples"]))
        assert readers == [cells[region].key], (region, readers)


@pytest.mark.parametrize("action", ["s3:PutObject", "s3:DeleteObject", "s3:PutObjectAcl", "s3:PutObjectRetention"])
def test_a_cell_writes_nothing_outside_verdicts(model, action):
    for region, cell in cell_roles(model).items():
        for other_region, store in stores(model).items():
            for what, key in KEYS.items():
                allowed = can_object(model, cell, store, action, key)
                expected = action == "s3:PutObject" and what == "verdicts" and other_region == region
                assert allowed == expected, (region, other_region, action, key)


def test_a_cell_reads_only_its_own_regions_samples(model):
    for region, cell in cell_roles(model).items():
        for other_region, store in stores(model).items():
            for what, key in KEYS.items():
                allowed = can_object(model, cell, store, "s3:GetObject", key)
                assert allowed == (what == "samples" and other_region == region), (region, other_region, key)
            listing = replace(store, arns=(bucket_arn(store),))
            assert not access.decide(cell, listing, "s3:ListBucket", model.account), (region, other_region)


def test_av_builders_read_verdicts_and_nothing_else_of_the_stores(model):
    for builder in av_builders(model):
        for region, store in stores(model).items():
            for what, key in KEYS.items():
                assert can_object(model, builder, store, "s3:GetObject", key) == (what == "verdicts"), (builder.key, region, key)
                assert not can_object(model, builder, store, "s3:PutObject", key), (builder.key, region, key)


def test_product_builders_read_no_verdicts(model):
    products = [p for k, p in model.principals.items() if ":role/tc-zurich-prod-build-products-" in k]
    assert products
    for builder in products:
        for store in stores(model).values():
            assert not any(can_object(model, builder, store, "s3:GetObject", key) for key in KEYS.values())


# --- planted widenings: each is dangerous in `tcenter diff` and a `check` violation --------------

def _role_policy(name: str, role: str, *statements: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "role": role, "policy": json.dumps({"Version": "2012-10-17", "Statement": list(statements)})}


def _europe_bucket(plan: dict[str, Any]) -> str:
    (bucket,) = [r for r in plan["resources"] if r["name"] == "tc-data-europe-objects-bucket"]
    return f"arn:aws:s3:::{bucket['inputs']['bucket']}"


def test_a_cell_given_writes_outside_verdicts_is_dangerous_and_a_violation(prod):
    from tcenter.guardrails import check

    head = copy.deepcopy(prod)
    plant(head, "aws:iam/rolePolicy:RolePolicy", "planted-cell-writes-anywhere", _role_policy(
        "write-anywhere", "tc-zurich-prod-cell-europe",
        {"Effect": "Allow", "Action": "s3:PutObject", "Resource": f"{_europe_bucket(head)}/*"}))
    d = diff_plans(prod, head)
    assert d.exit_code == 2, d.dangers
    assert "analysis-cells-verdicts-only" in {v.rule for v in check.check_plan(head)}


def test_another_reader_of_samples_is_dangerous_and_a_violation(prod):
    from tcenter.guardrails import check

    head = copy.deepcopy(prod)
    (policy,) = [r for r in head["resources"] if r["name"] == "tc-data-europe-objects-policy"]
    document = json.loads(policy["inputs"]["policy"])
    (fence,) = [s for s in document["Statement"] if s.get("Sid") == "DenySampleReadsButCells"]
    analyze = [a for a in access.collect_model(prod).principals if a.endswith("role/tc-zurich-prod-data-europe-analyze")]
    fence["Condition"]["ArnNotEquals"]["aws:PrincipalArn"] = [*fence["Condition"]["ArnNotEquals"]["aws:PrincipalArn"], *analyze]
    policy["inputs"]["policy"] = json.dumps(document)
    d = diff_plans(prod, head)
    assert d.exit_code == 2, d.dangers
    assert "analysis-samples-cells-only" in {v.rule for v in check.check_plan(head)}
    model = access.collect_model(head)
    assert can_object(model, model.principals[analyze[0]], stores(model)["europe"], "s3:GetObject", KEYS["samples"])


def test_the_analysis_zone_given_a_route_is_a_violation(prod):
    from tcenter.guardrails import check

    head = copy.deepcopy(prod)
    (table,) = [r for r in head["resources"] if r["type"] == "aws:ec2/routeTable:RouteTable"
                and (r["inputs"].get("tags") or {}).get("zone") == "analysis"]
    table["inputs"]["routes"] = [{"cidrBlock": "10.42.16.0/20", "vpcPeeringConnectionId": "pcx-0123456789abcdef0"}]
    assert "analysis-zone-isolated" in {v.rule for v in check.check_plan(head)}
    assert PROD == "zurich-prod"


def test_a_verdict_once_written_is_never_rewritten_even_by_a_cell(prod):
    """A sample that takes over a cell may write its own verdict, never replace another's: every
    verdict PUT without `If-None-Match: *` is denied by the store (IAM's rules: tests/intake/policy_eval.py)."""
    from tests.intake.policy_eval import denying

    endpoint = next(r for r in prod["resources"] if r["type"] == "aws:ec2/vpcEndpoint:VpcEndpoint"
                    and r["inputs"].get("tags", {}).get("zone") == "analysis" and r["inputs"]["serviceName"].endswith(".s3"))
    policies = {r["inputs"]["bucket"]: json.loads(r["inputs"]["policy"]) for r in prod["resources"]
                if r["type"] == "aws:s3/bucketPolicy:BucketPolicy" and "-data-" in r["inputs"]["bucket"]}
    assert len(policies) == 6
    for bucket, policy in policies.items():
        region = bucket.split("-data-", 1)[1]
        cell = next(p["outputs"]["arn"] for p in prod["resources"] if p["type"] == "aws:iam/role:Role"
                    and p["inputs"].get("name") == f"tc-zurich-prod-cell-{region}")
        verdict = f"arn:aws:s3:::{bucket}/{KEYS['verdicts']}"
        request = {"aws:SecureTransport": "true", "aws:PrincipalIsAWSService": "false",
                   "aws:SourceVpce": endpoint["outputs"]["id"], "s3:ObjectCreationOperation": "true"}
        assert denying(policy, cell, "s3:PutObject", verdict, {**request, "s3:if-none-match": "*"}) == [], region
        assert denying(policy, cell, "s3:PutObject", verdict, request) == ["DenyVerdictOverwrites"], region


# --- weakenings of the real prod plan, each caught by `tcenter check` ------------------------------

def _zone(plan: dict[str, Any], type_: str, service: str = "") -> list[dict[str, Any]]:
    def tagged(r: dict[str, Any]) -> bool:
        tags = r["inputs"].get("tags")
        if isinstance(tags, list):  # Auto Scaling groups: [{key, value, propagateAtLaunch}]
            return any(t.get("key") == "zone" and t.get("value") == "analysis" for t in tags)
        return (tags or {}).get("zone") == "analysis"
    found = [r for r in plan["resources"] if r["type"] == type_ and tagged(r)
             and str(r["inputs"].get("serviceName", "")).endswith(service)]
    assert found, (type_, service)
    return found


def _edit_statements(resource: dict[str, Any], edit: Any) -> None:
    document = json.loads(resource["inputs"]["policy"])
    document["Statement"] = edit(document["Statement"])
    resource["inputs"]["policy"] = json.dumps(document)


def _metadata(**override: Any) -> Any:
    def weaken(plan: dict[str, Any]) -> None:
        for template in _zone(plan, "aws:ec2/launchTemplate:LaunchTemplate"):
            template["inputs"]["metadataOptions"] = {**template["inputs"]["metadataOptions"], **override}
    return weaken


def _set(type_: str, **inputs: Any) -> Any:
    def weaken(plan: dict[str, Any]) -> None:
        for resource in _zone(plan, type_):
            resource["inputs"].update(inputs)
    return weaken


def _without_sids(type_: str, *sids: str, service: str = "") -> Any:
    def weaken(plan: dict[str, Any]) -> None:
        found = [r for r in plan["resources"] if r["type"] == type_ and any(
            s.get("Sid") in sids for s in json.loads(r["inputs"].get("policy") or '{"Statement": []}')["Statement"])]
        assert found, sids
        for resource in found:
            _edit_statements(resource, lambda statements: [s for s in statements if s.get("Sid") not in sids])
    return weaken


def _sqs_endpoint_anything(plan: dict[str, Any]) -> None:
    for endpoint in _zone(plan, "aws:ec2/vpcEndpoint:VpcEndpoint", ".sqs"):
        _edit_statements(endpoint, lambda statements: [{**s, "Resource": "*"} for s in statements])


def _session_manager(plan: dict[str, Any]) -> None:
    for role in _zone(plan, "aws:iam/role:Role"):
        plant(plan, "aws:iam/rolePolicyAttachment:RolePolicyAttachment", f"planted-ssm-{role['name']}",
              {"role": role["inputs"]["name"], "policyArn": "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"})


WEAKENINGS = {
    "hop limit 2": (_metadata(httpPutResponseHopLimit=2), "analysis-cells-ephemeral"),
    "IMDSv1": (_metadata(httpTokens="optional"), "analysis-cells-ephemeral"),
    "stopped, not terminated": (_set("aws:ec2/launchTemplate:LaunchTemplate", instanceInitiatedShutdownBehavior="stop"),
                                "analysis-cells-ephemeral"),
    "a key pair": (_set("aws:ec2/launchTemplate:LaunchTemplate", keyName="operator"), "analysis-cells-ephemeral"),
    "cells live for ever": (_set("aws:autoscaling/group:Group", maxInstanceLifetime=0), "analysis-cells-ephemeral"),
    "Session Manager on the cells": (_session_manager, "analysis-cells-ephemeral"),
    "anyone takes jobs": (_without_sids("aws:sqs/queuePolicy:QueuePolicy", "DenyJobsButCells"), "analysis-jobs-cells-only"),
    "anyone sends jobs": (_without_sids("aws:sqs/queuePolicy:QueuePolicy", "DenySendingButSampleEvents"),
                          "analysis-jobs-cells-only"),
    "the SQS endpoint reaches any queue": (_sqs_endpoint_anything, "analysis-jobs-cells-only"),
    "verdicts rewritable": (_without_sids("aws:s3/bucketPolicy:BucketPolicy", "DenyVerdictOverwrites"),
                            "analysis-cells-verdicts-only"),
    "samples readable by anyone": (_without_sids("aws:s3/bucketPolicy:BucketPolicy", "DenySampleReadsButCells"),
                                   "analysis-samples-cells-only"),
}


@pytest.mark.parametrize("weakening", sorted(WEAKENINGS))
def test_each_weakening_of_the_cells_in_the_prod_plan_is_a_violation(prod, weakening):
    from tcenter.guardrails import check

    weaken, rule = WEAKENINGS[weakening]
    assert rule not in {v.rule for v in check.check_plan(prod)}
    head = copy.deepcopy(prod)
    weaken(head)
    assert rule in {v.rule for v in check.check_plan(head)}, weakening
