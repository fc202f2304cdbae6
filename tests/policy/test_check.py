"""`tcenter check`: each rule fails on a planted violation and passes on the fixed resource;
every stack's real plan passes."""

from __future__ import annotations

import json

import pytest

from tcenter import guardrails as rules
from tcenter.cli import main
from tcenter.core.errors import ExitCode
from tcenter.guardrails import check
from tcenter.guardrails.model import UNKNOWN
from tcenter.guardrails.platform import SESSION_DOCUMENT_NAME
from tcenter.plan.format import build_plan, save

from .cases import CASES
from .conftest import case_resources, plan_of, real_plan


def rule_ids(violations) -> set[str]:
    return {v.rule for v in violations}


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_rule_fails_on_the_failing_resource_and_passes_on_the_fixed_one(case):
    failing = check.check_plan(plan_of(case.stack, case_resources(case, "failing")))
    passing = check.check_plan(plan_of(case.stack, case_resources(case, "passing")))
    assert case.rule in rule_ids(failing), failing
    assert case.rule not in rule_ids(passing), [str(v) for v in passing]
    assert all(v.control == rules.rule(v.rule).control for v in failing)


@pytest.mark.parametrize("case", [c for c in CASES if c.stack in ("dev", "zurich-prod") and c.plantable], ids=lambda c: c.id)
def test_planted_violation_in_a_real_plan_is_found(case):
    """The same resources planted into the stack's real plan: they add a violation of the rule."""
    plan = real_plan(case.stack)
    before = set(check.check_plan(plan))
    plan["resources"] += case_resources(case, "failing")[1:]
    planted = set(check.check_plan(plan)) - before
    assert case.rule in rule_ids(planted)


def test_every_rule_has_a_case_and_names_its_control():
    assert {r.id for r in rules.RULES} == {c.rule for c in CASES}
    for each in rules.RULES:
        assert each.control and each.description
        assert each.resource_check or each.stack_check


def test_every_stack_plan_passes(each_stack):
    violations = check.check_plan(build_plan(each_stack))
    assert violations == [], "\n".join(map(str, violations))


def test_unknown_values_are_not_violations():
    """During preview many values are unknown; a rule judges only what it can see."""
    from .cases import resource
    unknown = UNKNOWN
    plan = plan_of("dev", [
        resource("dev", "aws:cloudtrail/trail:Trail", "t", {"enableLogFileValidation": unknown, "isMultiRegionTrail": unknown,
                                                           "kmsKeyId": unknown}),
        resource("dev", "aws:kms/key:Key", "k", {"policy": unknown}),
        resource("dev", "aws:ec2/launchTemplate:LaunchTemplate", "lt", {"metadataOptions": unknown}),
        resource("dev", "aws:dynamodb/table:Table", "tb", {"serverSideEncryption": unknown}),
        resource("dev", "aws:ssm/document:Document", "d", {"name": SESSION_DOCUMENT_NAME, "documentType": "Session",
                                                           "content": unknown}),
    ])
    assert check.check_plan(plan) == []


def test_prod_is_read_from_the_plan_outputs_and_the_stack_name():
    assert rules.environment_of_stack("dev") == "dev"
    assert rules.environment_of_stack("local") == "dev"
    assert rules.environment_of_stack("zurich-prod") == "prod"
    assert rules.environment_of_stack("anything", "staging") == "staging"
    assert rules.environment_of_stack("someone-elses") == "prod"  # unknown: judged strictly


def _run(path, capsys) -> tuple[int, str]:
    code = main(["check", str(path)])
    return code, capsys.readouterr().out


def test_command_exits_0_on_a_clean_plan(tmp_path, capsys):
    # Built from the passing cases, so the command's contract is tested apart from the stacks.
    picked = ("vpc-flow-logs", "imdsv2-launch-template", "cloudtrail-validation", "kms-sign-key-policy", "s3-sse-missing",
              "ssm-session-encryption", "dns-firewall-missing")
    resources = {r["urn"]: r for case in CASES if case.id in picked for r in case_resources(case, "passing")}
    save(plan_of("dev", list(resources.values())), tmp_path / "dev.json")
    code, out = _run(tmp_path / "dev.json", capsys)
    assert code == 0
    assert "no violations" in out


def test_command_exits_1_naming_rule_and_resource(tmp_path, capsys):
    plan = real_plan("dev")
    case = next(c for c in CASES if c.id == "no-internet-gateway")
    plan["resources"] += case.failing
    save(plan, tmp_path / "dev.json")
    code, out = _run(tmp_path / "dev.json", capsys)
    assert code == 1
    assert "no-internet-gateway" in out and case.failing[0]["urn"] in out


def test_command_exits_3_on_a_file_that_is_not_a_plan(tmp_path, capsys):
    (tmp_path / "x.json").write_text(json.dumps({"resources": []}))
    assert main(["check", str(tmp_path / "x.json")]) == ExitCode.ERROR
    assert main(["check"]) == ExitCode.USAGE  # no plan, no stack: a usage error, not a bad input


def test_command_plans_a_stack_given_by_name(capsys):
    """`tcenter check dev` plans the stack itself; its verdict is the plan file's."""
    code = main(["check", "dev"])
    out = capsys.readouterr().out
    expected = check.check_plan(real_plan("dev"))
    assert code == (1 if expected else 0)
    assert out.startswith("dev: ")
    assert all(v.urn in out for v in expected)


@pytest.mark.parametrize("removed", ["aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
                                     "aws:s3/bucketOwnershipControls:BucketOwnershipControls"])
def test_removing_every_public_access_guard_from_the_prod_plan_is_caught(removed):
    """The held-out weakening that once passed: every bucket of the real plan is named."""
    plan = real_plan("zurich-prod")
    buckets = {r["urn"] for r in plan["resources"] if r["type"] == "aws:s3/bucket:Bucket"}
    plan["resources"] = [r for r in plan["resources"] if r["type"] != removed]
    found = {v.urn for v in check.check_plan(plan) if v.rule == "s3-no-public-access"}
    assert buckets and found == buckets


def test_every_rule_is_documented_in_the_lifecycle_rule_table():
    """docs/lifecycle.md's rule table is what a reviewer reads; a rule missing from it is invisible."""
    from pathlib import Path

    table = Path(__file__).resolve().parents[2].joinpath("docs", "lifecycle.md").read_text()
    documented = {line.split("|")[1].strip() for line in table.splitlines() if line.startswith("| ")}
    assert {r.id for r in rules.RULES} - documented == set()
