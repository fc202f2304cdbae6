"""The update repositories' guardrails (tcenter/guardrails/distribution.py): each fails on its
planted weakening and passes on the fixed repository; the real prod plan passes and holds
repositories to judge; each guard of the real prod policies, removed, is caught by a rule."""

from __future__ import annotations

import json

import pytest

from tcenter.guardrails import RULES as ALL_RULES
from tcenter.guardrails import check
from tcenter.guardrails import distribution as guardrails

from .conftest import case_resources, plan_of, real_plan
from .distribution_cases import CASES

DIST_RULES = (guardrails.DIST_PUBLISHER_ONLY, guardrails.DIST_ONLINE_KEYS)
RULES = {r.id: r for r in DIST_RULES}


def violations(plan) -> list:
    return [v for v in check.check_plan(plan) if v.rule in RULES]


def ids(found) -> set[str]:
    return {v.rule for v in found}


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_rule_fails_on_the_failing_repository_and_passes_on_the_fixed_one(case):
    failing = violations(plan_of(case.stack, case_resources(case, "failing")))
    passing = violations(plan_of(case.stack, case_resources(case, "passing")))
    assert case.rule in ids(failing), [str(v) for v in failing]
    assert passing == [], [str(v) for v in passing]


def test_every_rule_has_cases_and_is_registered():
    assert {c.rule for c in CASES} == set(RULES)
    for rule in DIST_RULES:
        assert rule.control and rule.description and rule.stack_check
        assert rule in ALL_RULES, f"{rule.id} is not registered in tcenter.guardrails.RULES"


def test_the_prod_plan_has_repositories_and_passes():
    plan = real_plan("zurich-prod")
    view = check.plan_view(plan)
    assert len(guardrails.repository_buckets(view)) == 2 and len(guardrails.online_keys(view)) == 6
    assert violations(plan) == []


def _policies(plan) -> list[dict]:
    buckets = {r["inputs"]["bucket"] for r in plan["resources"] if r["type"] == "aws:s3/bucket:Bucket"
               and (r["inputs"].get("tags") or {}).get("distribution") == "repository"}
    return [r for r in plan["resources"] if r["type"] == "aws:s3/bucketPolicy:BucketPolicy" and r["inputs"]["bucket"] in buckets]


@pytest.mark.parametrize("sid", ["DenyWritesExceptPublisher", "DenyUploadsThatMayOverwrite", "DenyDeletesExceptPublisher"])
def test_removing_a_guard_of_the_real_repository_policy_is_caught(sid):
    plan = real_plan("zurich-prod")
    policy = _policies(plan)[0]
    document = json.loads(policy["inputs"]["policy"])
    assert sid in [s["Sid"] for s in document["Statement"]]
    policy["inputs"]["policy"] = json.dumps({**document, "Statement": [s for s in document["Statement"] if s["Sid"] != sid]})
    assert "dist-publisher-only" in ids(violations(plan))


def test_a_publisher_deny_that_leaves_out_replication_is_caught():
    """S3 replication writes into a destination bucket with s3:ReplicateObject, not PutObject: an
    administrator's replication rule on a bucket of its own would otherwise fill a repository."""
    plan = real_plan("zurich-prod")
    policy = _policies(plan)[0]
    document = json.loads(policy["inputs"]["policy"])
    for statement in document["Statement"]:
        if statement["Sid"].startswith("DenyWrites"):
            assert "s3:ReplicateObject" in statement["Action"]
            statement["Action"] = ["s3:PutObject"]
    policy["inputs"]["policy"] = json.dumps(document)
    assert any("s3:ReplicateObject" in v.message for v in violations(plan) if v.rule == "dist-publisher-only")


def test_an_online_key_another_role_may_sign_with_is_caught():
    plan = real_plan("zurich-prod")
    key = next(r for r in plan["resources"] if r["type"] == "aws:kms/key:Key"
               and (r["inputs"].get("tags") or {}).get("distribution") == "online-key")
    document = json.loads(key["inputs"]["policy"])
    for statement in document["Statement"]:
        if statement["Sid"] == "DenySignToAnyoneButSignerRole":
            statement["Condition"]["ArnNotEquals"]["aws:PrincipalArn"] = "arn:aws:iam::333333333333:role/tc-zurich-prod-signer-products"
    key["inputs"]["policy"] = json.dumps(document)
    assert "dist-online-keys" in ids(violations(plan))
