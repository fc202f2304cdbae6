"""tcenter/guardrails/owner.py: customer data admits named principals only, on every stack's plan
(positive) and on planted weakenings of the prod plan (negative)."""

from __future__ import annotations

import copy
import json

import pytest

from tcenter.guardrails.check import plan_view
from tcenter.guardrails.owner import CUSTOMER_DATA_NAMED_PRINCIPALS
from tests.review.conftest import find

RULES = (CUSTOMER_DATA_NAMED_PRINCIPALS,)

STACKS = ("dev", "local", "staging", "zurich-prod")


def violations(plan):
    stack = plan_view(plan)
    return [v for rule in RULES for v in rule.check_stack(stack)]


@pytest.mark.parametrize("stack", STACKS)
def test_every_stack_passes(declared, stack):
    from tcenter.plan.format import build_plan, dumps

    plan = json.loads(dumps(build_plan(declared(stack))))
    assert violations(plan) == []


def _edit_policy(resource, edit):
    document = json.loads(resource["inputs"]["policy"])
    edit(document)
    resource["inputs"]["policy"] = json.dumps(document)


def _without(sid):
    def edit(document):
        document["Statement"] = [s for s in document["Statement"] if s.get("Sid") != sid]
    return edit


def test_a_bucket_that_stops_naming_its_readers_fails(prod):
    plan = copy.deepcopy(prod)
    (policy,) = find(plan, "aws:s3/bucketPolicy:BucketPolicy", lambda r: r["inputs"]["bucket"].endswith("-data-europe"))
    _edit_policy(policy, _without("DenyObjectReadsToAnyoneNotNamed"))
    found = violations(plan)
    assert len(found) == 1 and "data-europe" in found[0].message and "object reads" in found[0].message


def test_a_table_that_stops_naming_its_readers_fails(prod):
    plan = copy.deepcopy(prod)
    (policy,) = find(plan, "aws:dynamodb/resourcePolicy:ResourcePolicy", lambda r: "europe" in r["inputs"]["resourceArn"])
    _edit_policy(policy, _without("DenyItemReadsToAnyoneNotNamed"))
    _edit_policy(policy, _without("DenyEverythingToAnyoneNotNamed"))
    found = violations(plan)
    assert len(found) == 1 and "europe" in found[0].message


def test_a_data_key_delegating_use_to_the_account_root_fails(prod):
    plan = copy.deepcopy(prod)
    (key,) = find(plan, "aws:kms/key:Key", lambda r: r["name"] == "tc-data-europe-key-key")
    root = f"arn:aws:iam::{key['outputs']['arn'].split(':')[4]}:root"
    _edit_policy(key, lambda d: d["Statement"].append({"Sid": "UseThroughNamedServicesOnly", "Effect": "Allow",
                                                      "Principal": {"AWS": root}, "Action": ["kms:Decrypt"],
                                                      "Resource": "*"}))
    found = violations(plan)
    assert len(found) == 1 and "account root" in found[0].message
    _edit_policy(key, _without("DenyDataKeysToAnyoneButUsers"))
    _edit_policy(key, _without("DenyUseToAnyoneNotNamed"))
    assert len(violations(plan)) == 2
