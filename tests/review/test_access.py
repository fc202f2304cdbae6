"""Effective access over the real zurich-prod plan: attacker questions, planted grants, monotonicity."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tcenter.analysis.access import CLASSES, effective_access, service_actions
from tests.review.conftest import find

STACK = "zurich-prod"


@pytest.fixture(scope="module")
def prod(plan_of):
    return plan_of(STACK)


@pytest.fixture(scope="module")
def prod_access(prod):
    return effective_access(prod)


def roles(result, word):
    return {k: v for k, v in result["principals"].items() if v["kind"] == "role" and word in k.split(":role/")[-1]}


def customer_assets(result):
    return {name for name, a in result["assets"].items() if a["customer_data"]}


def test_every_class_of_asset_is_covered(prod_access):
    kinds = {a["kind"] for a in prod_access["assets"].values()}
    assert {"bucket", "table", "key", "signing-cluster", "log-group"} <= kinds
    assert len(customer_assets(prod_access)) >= 18  # six regions x bucket, table, key


def test_no_reviewer_can_read_or_decrypt_customer_data(prod_access):
    reviewers = roles(prod_access, "reviewer")
    assert reviewers
    data = customer_assets(prod_access)
    for key, entry in reviewers.items():
        for asset in data:
            row = entry["access"].get(asset, {})
            assert "read" not in row and "decrypt" not in row, (key, asset, row)


def test_only_signers_can_sign(prod_access):
    for key, entry in prod_access["principals"].items():
        if "signer" in key:
            continue
        for asset, row in entry["access"].items():
            assert "sign" not in row, (key, asset)


def test_builders_cannot_write_releases_and_signers_can(prod_access):
    releases = next(n for n in prod_access["assets"] if "releases" in n)
    builders, signers = roles(prod_access, "-build-"), roles(prod_access, "-signer-")  # release signers, not the log's
    assert builders and signers
    for key, entry in builders.items():
        row = entry["access"].get(releases, {})
        assert not {"write", "delete", "administer"} & set(row), (key, row)
    for key, entry in signers.items():
        assert "write" in entry["access"].get(releases, {}), key


def test_a_region_analyzer_reads_its_own_region_only(prod_access):
    analyzer = next(v for k, v in roles(prod_access, "data-europe-analyze").items())
    read = {a for a, row in analyzer["access"].items() if "read" in row}
    assert "tc-data-europe-metadata" in read
    assert not {a for a in read if a.startswith("tc-data-") and "europe" not in a}


def _add_role_policy(plan, role_name, statement):
    plan["resources"].append({
        "urn": f"urn:pulumi:{STACK}::transparency-center::aws:iam/rolePolicy:RolePolicy::planted",
        "type": "aws:iam/rolePolicy:RolePolicy", "name": "planted", "custom": True, "parent": "",
        "provider": "", "dependencies": [], "propertyDependencies": {}, "options": {}, "outputs": {},
        "inputs": {"name": "planted", "role": role_name,
                   "policy": json.dumps({"Version": "2012-10-17", "Statement": [statement]})},
    })


def test_a_planted_read_shows_and_of_a_data_bucket_stays_denied(prod):
    """A read planted in a builder's policy shows where no bucket policy names the readers (the
    artifacts); customer data buckets admit their named readers only, whatever IAM says (issue 29)."""
    builder = find(prod, "aws:iam/role:Role", lambda r: "build-products" in r["name"])[0]["inputs"]["name"]
    data = [f"arn:aws:s3:::{b['inputs']['bucket']}/*" for b in find(prod, "aws:s3/bucket:Bucket", lambda r: "-data-" in r["name"])]
    releases = [f"arn:aws:s3:::{b['inputs']['bucket']}/*" for b in find(prod, "aws:s3/bucket:Bucket", lambda r: "releases" in r["name"])]
    _add_role_policy(prod, builder, {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": data + releases})
    result = effective_access(prod)
    entry = next(v for k, v in result["principals"].items() if k.endswith(f":role/{builder}"))
    read = {a for a, row in entry["access"].items() if "read" in row}
    assert {a for a in result["assets"] if "releases" in a} <= read
    assert not read & customer_assets(result)


def test_policies_outside_the_plan_are_named_not_dropped(prod, prod_access):
    notes = " ".join(n for v in prod_access["principals"].values() for n in v["notes"])
    managed = {a["inputs"]["policyArn"] for a in find(prod, "aws:iam/rolePolicyAttachment:RolePolicyAttachment")
               if a["inputs"]["policyArn"].startswith("arn:aws:iam::aws:")}
    for arn in managed:
        assert arn in notes


def test_conditions_on_the_caller_are_decided_for_each_role(prod_access):
    """A key's lifecycle Deny names the break-glass role (aws:PrincipalArn): for a known role
    that is decidable, so the table says yes or nothing, never "if aws:PrincipalArn ..."."""
    principals = prod_access["principals"]
    keys = [name for name, a in prod_access["assets"].items() if a["kind"] == "key"]
    break_glass = next(v for k, v in principals.items() if k.endswith(":role/tc-break-glass"))
    admin = next(v for k, v in principals.items() if k.endswith(":role/tc-platform-admin"))
    data_keys = [k for k in keys if prod_access["assets"][k]["customer_data"]]
    assert data_keys and all(break_glass["access"][k].get("delete") == "yes" for k in data_keys)
    assert all("delete" not in admin["access"].get(k, {}) for k in keys), "a key administrator can delete a key"
    for entry in principals.values():
        for row in entry["access"].values():
            assert not any("aws:PrincipalArn" in cell for cell in row.values()), row


def test_cloudhsm_signing_is_shown_as_not_decided_by_iam(prod_access):
    clusters = [n for n, a in prod_access["assets"].items() if a["kind"] == "signing-cluster"]
    assert clusters and set(clusters) <= set(prod_access["not_evaluable"])
    assert all("crypto users" in prod_access["not_evaluable"][c] for c in clusters)


def _present(result):
    return {(p, a, c) for p, v in result["principals"].items() for a, row in v["access"].items() for c in row}


def _unconditional(result):
    return {(p, a, c) for p, v in result["principals"].items() for a, row in v["access"].items()
            for c, text in row.items() if text == "yes"}


ACTIONS = st.sampled_from(["s3:GetObject", "s3:*", "s3:Put*", "kms:Decrypt", "kms:*", "dynamodb:*", "*",
                           "dynamodb:Query", "logs:FilterLogEvents", "kms:Sign", "s3:DeleteObject"])
CONDITIONS = st.sampled_from([None, {"StringEquals": {"aws:PrincipalTag/team": "x"}}])


@st.composite
def planted(draw, plan):
    arns = sorted({r["outputs"]["arn"] for r in plan["resources"]
                   if r["type"] in ("aws:kms/key:Key", "aws:dynamodb/table:Table") and r["outputs"].get("arn")}
                  | {f"arn:aws:s3:::{r['inputs']['bucket']}/*" for r in plan["resources"] if r["type"] == "aws:s3/bucket:Bucket"})
    role_names = sorted(r["inputs"]["name"] for r in plan["resources"] if r["type"] == "aws:iam/role:Role")
    statement = {"Action": draw(st.lists(ACTIONS, min_size=1, max_size=3)),
                 "Resource": draw(st.lists(st.sampled_from(arns + ["*"]), min_size=1, max_size=3))}
    condition = draw(CONDITIONS)
    if condition:
        statement["Condition"] = condition
    return draw(st.sampled_from(role_names)), statement


@pytest.fixture(scope="module")
def small_plan(prod):
    """Prod's IAM and data resources (every policy kept), without the network, to keep examples fast."""
    keep = ("aws:iam/", "aws:s3/bucket:Bucket", "aws:s3/bucketPolicy", "aws:kms/key", "aws:dynamodb/table")
    plan = dict(prod)
    plan["resources"] = [r for r in prod["resources"] if r["type"].startswith(keep)]
    return plan


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_adding_an_allow_never_removes_access_and_a_deny_never_adds(small_plan, data):
    base = effective_access(small_plan)
    role, statement = data.draw(planted(small_plan))
    for effect in ("Allow", "Deny"):
        plan = json.loads(json.dumps(small_plan))
        _add_role_policy(plan, role, {**statement, "Effect": effect})
        after = effective_access(plan)
        if effect == "Allow":
            assert _present(base) <= _present(after)
            assert _unconditional(base) <= _unconditional(after)
        else:
            assert _present(after) <= _present(base)
            assert _unconditional(after) <= _unconditional(base)


def test_a_deny_all_removes_a_roles_access(prod):
    analyzer = find(prod, "aws:iam/role:Role", lambda r: "data-europe-analyze" in r["name"])[0]["inputs"]["name"]
    _add_role_policy(prod, analyzer, {"Effect": "Deny", "Action": "*", "Resource": "*"})
    entry = next(v for k, v in effective_access(prod)["principals"].items() if k.endswith(f":role/{analyzer}"))
    assert entry["access"] == {}


def test_every_class_expands_from_the_catalogue():
    assert len(service_actions("s3")) > 100 and "s3:GetObject" in service_actions("s3")
    assert set(CLASSES) == {"read", "write", "delete", "decrypt", "sign", "administer"}
