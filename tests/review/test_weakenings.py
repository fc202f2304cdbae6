"""Planted weakenings of the real zurich-prod plan: each must exit 2 with the deciding detail shown."""

from __future__ import annotations

import io
import json

import pytest
from rich.console import Console

from tcenter.analysis.diff import diff_plans
from tcenter.render.diff_text import render_markdown, render_terminal
from tests.review.conftest import find

STACK = "zurich-prod"


def _role_policy(plan, role, statement):
    plan["resources"].append({
        "urn": f"urn:pulumi:{STACK}::transparency-center::aws:iam/rolePolicy:RolePolicy::planted-read",
        "type": "aws:iam/rolePolicy:RolePolicy", "name": "planted-read", "custom": True, "parent": "",
        "provider": "", "dependencies": [], "propertyDependencies": {}, "options": {}, "outputs": {},
        "inputs": {"name": "planted", "role": role, "policy": json.dumps({"Version": "2012-10-17", "Statement": [statement]})},
    })


def read_all_data_buckets(plan):
    """A builder granted every data bucket, and the buckets' named-reader guard dropped (either
    alone reads nothing: the guard stops the grant, and without a grant there is nothing to stop)."""
    role = find(plan, "aws:iam/role:Role", lambda r: "build-products" in r["name"])[0]["inputs"]["name"]
    buckets = find(plan, "aws:s3/bucket:Bucket", lambda r: "-data-" in r["name"])
    arns = [f"arn:aws:s3:::{b['inputs']['bucket']}/*" for b in buckets]
    _role_policy(plan, role, {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": arns})
    names = {b["inputs"]["bucket"] for b in buckets}
    for policy in find(plan, "aws:s3/bucketPolicy:BucketPolicy", lambda r: r["inputs"]["bucket"] in names):
        doc = json.loads(policy["inputs"]["policy"])
        doc["Statement"] = [s for s in doc["Statement"] if s.get("Sid") != "DenyObjectReadsToAnyoneNotNamed"]
        policy["inputs"]["policy"] = json.dumps(doc)
    return "can newly read tc-data-europe-objects-bucket"


def remove_deny_customer_data(plan):
    for policy in find(plan, "aws:iam/rolePolicy:RolePolicy", lambda r: "DenyCustomerDataContents" in r["inputs"]["policy"]):
        doc = json.loads(policy["inputs"]["policy"])
        doc["Statement"] = [s for s in doc["Statement"] if s.get("Sid") != "DenyCustomerDataContents"]
        policy["inputs"]["policy"] = json.dumps(doc)
        return "Deny statement DenyCustomerDataContents removed"
    raise AssertionError("no DenyCustomerDataContents statement in the plan")


def archive_to_governance(plan):
    (lock,) = find(plan, "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration", lambda r: "archive" in r["name"])
    assert lock["inputs"]["rule"]["defaultRetention"]["mode"] == "COMPLIANCE"
    lock["inputs"]["rule"]["defaultRetention"]["mode"] = "GOVERNANCE"
    return "COMPLIANCE -> GOVERNANCE"


def audit_log_retention_365(plan):
    (group,) = find(plan, "aws:cloudwatch/logGroup:LogGroup", lambda r: r["name"] == "tc-audit-trail-logs")
    assert group["inputs"]["retentionInDays"] == 1096
    group["inputs"]["retentionInDays"] = 365
    return "log retention 1096 -> 365 days"


def ssh_build_to_signing(plan):
    (build,) = find(plan, "aws:ec2/securityGroup:SecurityGroup", lambda r: r["inputs"]["tags"].get("zone") == "build")
    (signing,) = find(plan, "aws:ec2/securityGroup:SecurityGroup",
                      lambda r: r["inputs"]["tags"].get("zone") == "signing"
                      and "sequencer" not in r["name"] and "publisher" not in r["name"])
    build["inputs"]["egress"].append({"protocol": "tcp", "fromPort": 22, "toPort": 22, "securityGroups": [signing["outputs"]["id"]]})
    signing["inputs"]["ingress"].append({"protocol": "tcp", "fromPort": 22, "toPort": 22, "securityGroups": [build["outputs"]["id"]]})
    for zone, direction, rule_no in (("build", "egress", 901), ("signing", "ingress", 901)):
        for nacl in find(plan, "aws:ec2/networkAcl:NetworkAcl", lambda r, z=zone: r["inputs"].get("tags", {}).get("zone") == z):
            nacl["inputs"][direction].append({"action": "allow", "cidrBlock": "10.0.0.0/8", "fromPort": 22, "toPort": 22,
                                              "protocol": "tcp", "ruleNo": rule_no})
            back = "ingress" if direction == "egress" else "egress"
            nacl["inputs"][back].append({"action": "allow", "cidrBlock": "10.0.0.0/8", "fromPort": 1024, "toPort": 65535,
                                         "protocol": "tcp", "ruleNo": rule_no})
    return "build -> signing"


def trusted_principal_3299(plan):
    """A reviewer role now trusting another account than its organization's own."""
    for role in find(plan, "aws:iam/role:Role", lambda r: "666677778888" in r["inputs"]["assumeRolePolicy"]):
        role["inputs"]["assumeRolePolicy"] = role["inputs"]["assumeRolePolicy"].replace("666677778888", "666677773299")
        return "666677773299"
    raise AssertionError("no reviewer role trusting account 666677778888 in the plan")


def unprotect_store(plan):
    (bucket,) = find(plan, "aws:s3/bucket:Bucket", lambda r: r["name"] == "tc-data-europe-objects-bucket")
    assert bucket["options"].get("protect")
    bucket["options"]["protect"] = False
    return "tc-data-europe-objects-bucket: protect removed"


WEAKENINGS = [read_all_data_buckets, remove_deny_customer_data, archive_to_governance, audit_log_retention_365,
              ssh_build_to_signing, trusted_principal_3299, unprotect_store]


@pytest.fixture(scope="module")
def prod(plan_of):
    return plan_of(STACK)


def _terminal(d) -> str:
    out = io.StringIO()
    render_terminal(d, Console(file=out, no_color=True, highlight=False), width=10**6)  # one line per item
    return out.getvalue()


@pytest.mark.parametrize("weaken", WEAKENINGS, ids=lambda f: f.__name__)
def test_a_planted_weakening_is_dangerous_with_its_detail(prod, plan_of, weaken):
    head = plan_of(STACK)
    detail = weaken(head)
    d = diff_plans(prod, head)
    assert d.exit_code == 2, d.dangers
    assert any(detail in danger for danger in d.dangers), d.dangers
    assert detail in _terminal(d)
    assert detail.replace(">", "&gt;") in render_markdown(d) or detail in render_markdown(d)


def test_a_tag_is_a_benign_change(prod, plan_of):
    head = plan_of(STACK)
    (bucket,) = find(head, "aws:s3/bucket:Bucket", lambda r: r["name"] == "tc-build-sources-bucket")
    bucket["inputs"].setdefault("tags", {})["cost-center"] = "review"
    d = diff_plans(prod, head)
    assert d.exit_code == 1, d.dangers


def test_an_unchanged_plan_has_no_danger(prod, plan_of):
    assert diff_plans(prod, plan_of(STACK)).exit_code == 0


def test_a_stack_missing_at_the_base_revision_diffs_against_an_empty_plan(prod):
    from tcenter.plan.workspace import Workspace

    base = Workspace().plan_at("HEAD", "stack-that-does-not-exist")
    assert base["resources"] == []
    d = diff_plans(base, prod)
    assert d.counts["create"] == len(prod["resources"]) and d.exit_code == 2


def test_a_created_role_policy_is_shown_statement_by_statement(prod, plan_of):
    head = plan_of(STACK)
    read_all_data_buckets(head)
    text = _terminal(diff_plans(prod, head)).replace("\n", "")  # the console wraps long lines
    assert "s3:GetObject" in text and "zurich-prod-data-south-korea/*" in text


def test_a_long_value_is_shown_where_it_differs(prod, plan_of):
    head = plan_of(STACK)
    (bucket,) = find(head, "aws:s3/bucket:Bucket", lambda r: r["name"] == "tc-build-sources-bucket")
    (base_bucket,) = find(prod, "aws:s3/bucket:Bucket", lambda r: r["name"] == "tc-build-sources-bucket")
    base_bucket["inputs"]["tags"] = {"note": "x" * 300 + "-3210"}
    bucket["inputs"]["tags"] = {"note": "x" * 300 + "-3299"}
    text = _terminal(diff_plans(prod, head))
    assert "-3210" in text and "-3299" in text
