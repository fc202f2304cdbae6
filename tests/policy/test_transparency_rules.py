"""The transparency log's guardrails (tcenter/guardrails/transparency.py): each fails on its
planted weakening and passes on the fixed log; every stack's real plan passes; each guard of
the real prod log's policy, removed, is caught by a rule."""

from __future__ import annotations

import json

import pytest

from tcenter.guardrails import RULES as ALL_RULES
from tcenter.guardrails import check, check_all
from tcenter.guardrails import transparency as guardrails

from .conftest import case_resources, plan_of, real_plan
from .transparency_cases import CASES

LOG_RULES = (guardrails.TLOG_CREATE_ONLY, guardrails.TLOG_SEQUENCER_ONLY, guardrails.TLOG_COSIGNATURES_OWN_PREFIX)
RULES = {r.id: r for r in LOG_RULES}


def violations(plan) -> list:
    """The log's rules over a plan, as `tcenter check` runs them."""
    return [v for v in check.check_plan(plan) if v.rule in RULES]


def ids(found) -> set[str]:
    return {v.rule for v in found}


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_rule_fails_on_the_failing_log_and_passes_on_the_fixed_one(case):
    failing = violations(plan_of(case.stack, case_resources(case, "failing")))
    passing = violations(plan_of(case.stack, case_resources(case, "passing")))
    assert case.rule in ids(failing), [str(v) for v in failing]
    assert passing == [], [str(v) for v in passing]


def test_every_rule_has_cases_and_names_its_control():
    assert {c.rule for c in CASES} == set(RULES)
    for rule in LOG_RULES:
        assert rule.control and rule.description and rule.stack_check
        assert rule in ALL_RULES, f"{rule.id} is not registered in tcenter.guardrails.RULES"


def test_every_stack_plan_passes(each_stack):
    from tcenter.plan.format import build_plan

    plan = build_plan(each_stack)
    assert guardrails.log_buckets(check.plan_view(plan)), "no log bucket found: the rules would judge nothing"
    found = violations(plan)
    assert found == [], "\n".join(map(str, found))
    assert check_all(check.plan_view(plan)) == []  # and the kit's own rules, with the log in the plan


def _log_policy(plan):
    (bucket,) = [r for r in plan["resources"] if r["type"] == "aws:s3/bucket:Bucket"
                 and (r["inputs"].get("tags") or {}).get("transparency-log") == "log-bucket"]
    (policy,) = [r for r in plan["resources"] if r["type"] == "aws:s3/bucketPolicy:BucketPolicy"
                 and r["inputs"]["bucket"] == bucket["inputs"]["bucket"]]
    return policy


GUARDS = {
    "DenyLogWritesExceptSequencer": "tlog-sequencer-only",
    "DenyWritesOutsideTheLogLayout": "tlog-sequencer-only",
    "DenyUploadsThatMayOverwrite": "tlog-create-only",
    "DenyCheckpointWritesWithoutPrecondition": "tlog-create-only",
    "DenyDeletesAndRetentionChanges": "tlog-create-only",
}
"""Statements of the real log policy whose removal a rule must catch (the cosignature
statements are generated per organization below)."""


@pytest.mark.parametrize("stack", ["dev", "zurich-prod"])
def test_removing_any_guard_of_the_real_log_policy_is_caught(stack):
    plan = real_plan(stack)
    document = json.loads(_log_policy(plan)["inputs"]["policy"])
    sids = [s["Sid"] for s in document["Statement"]]
    guards = {**GUARDS, **{sid: "tlog-cosignatures-own-prefix" for sid in sids if sid.startswith("DenyCosignaturesOf")}}
    assert set(guards) <= set(sids)
    assert len([s for s in sids if s.startswith("DenyCosignaturesOf")]) == len(plan["outputs"]["transparencyWitnessRoleArns"])
    for sid, rule in guards.items():
        weakened = real_plan(stack)
        policy = _log_policy(weakened)
        policy["inputs"]["policy"] = json.dumps({**document, "Statement": [s for s in document["Statement"] if s["Sid"] != sid]})
        assert rule in ids(violations(weakened)), sid


def test_another_organizations_role_on_a_prefix_is_caught():
    plan = real_plan("zurich-prod")
    policy = _log_policy(plan)
    document = json.loads(policy["inputs"]["policy"])
    witnesses = plan["outputs"]["transparencyWitnessRoleArns"]
    first, second = sorted(witnesses)
    for statement in document["Statement"]:
        if statement["Sid"].startswith("DenyCosignaturesOf") and f"/cosignatures/{first}/" in json.dumps(statement):
            statement["Condition"]["ArnNotEquals"]["aws:PrincipalArn"] = witnesses[second]
    policy["inputs"]["policy"] = json.dumps(document)
    assert "tlog-cosignatures-own-prefix" in ids(violations(plan))


def test_prod_log_in_governance_mode_is_caught():
    plan = real_plan("zurich-prod")
    bucket = _log_policy(plan)["inputs"]["bucket"]
    (lock,) = [r for r in plan["resources"] if r["type"].endswith("BucketObjectLockConfiguration")
               and r["inputs"]["bucket"] == bucket]
    lock["inputs"]["rule"]["defaultRetention"]["mode"] = "GOVERNANCE"
    assert "tlog-create-only" in ids(violations(plan))
