"""The update repositories are trust roots of what customers' products accept (issue 26): the
account's own administrators (issue 29's attacker: not in the plan, AdministratorAccess) must not
write, delete or sign in them, nor pass, rewrite or reach the one principal that may.

Judged over the real zurich-prod and zurich-org plans by the kit's access evaluation and the
independent SCP evaluator (tests/organization/scp_eval.py). The expected principals come from the
issue (one publisher writes and signs; nobody else), the ARNs from the plan's own roles.
"""

from __future__ import annotations

import json

import pytest

from tests.organization.scp_eval import denied_by
from tests.review.conftest import find

from .conftest import attacker_arn, prod_account, request, scp_denials

CHANGE = {"write", "delete", "sign"}
"""What would change what a client accepts: writing or deleting repository files, signing with an
online key. (Scheduling an online key's deletion is break-glass's alone, as for every prod key: it
stops publication, a freeze clients notice when timestamp.json expires, and signs nothing.)"""


def changes(assets, name: str, access) -> set[str]:
    return ({"sign"} if assets[name]["kind"] == "signing-key" else CHANGE) & set(access)


def repository_buckets(plan):
    return [b for b in find(plan, "aws:s3/bucket:Bucket") if (b["inputs"].get("tags") or {}).get("distribution") == "repository"]


def online_keys(plan):
    return [k for k in find(plan, "aws:kms/key:Key") if (k["inputs"].get("tags") or {}).get("distribution") == "online-key"]


def publisher(plan) -> str:
    (role,) = [r for r in find(plan, "aws:iam/role:Role") if (r["inputs"].get("tags") or {}).get("role") == "publisher"]
    return f"arn:aws:iam::{prod_account(plan)}:role/{role['inputs']['name']}"


def dist_assets(assets) -> set[str]:
    return {name for name, a in assets.items() if a["zone"] == "distribution" and a["kind"] in ("bucket", "signing-key")}


def test_the_prod_plan_has_two_repositories_and_six_online_keys(prod):
    """Two classes (products, av-databases); snapshot, timestamp and the class role's vendor key each."""
    assert len(repository_buckets(prod)) == 2 and len(online_keys(prod)) == 6


def test_an_account_admin_neither_writes_deletes_nor_signs_in_any_repository(attacker_access):
    assets = dist_assets(attacker_access["assets"])
    assert len(assets) == 8, sorted(assets)
    all_assets = attacker_access["assets"]
    found = {name: sorted(changes(all_assets, name, attacker_access["access"].get(name, {}))) for name in assets}
    assert {n: c for n, c in found.items() if c} == {}


def test_only_the_publisher_writes_deletes_or_signs(prod):
    """Every principal the plan declares (and the account root, standing for any undeclared
    administrator): only the publisher changes a repository or signs with an online key."""
    from tcenter.analysis.access import effective_access

    result = effective_access(prod)
    assets = dist_assets(result["assets"])
    changers: dict[str, set[str]] = {}
    for key, entry in result["principals"].items():
        if entry["via"]:
            continue  # a service acting as a role: the role's own entry is the one judged
        for name in assets:
            if changes(result["assets"], name, entry["access"].get(name, {})):
                changers.setdefault(name, set()).add(key)
    assert set(changers) == assets, sorted(assets - set(changers))
    assert {n: p for n, p in changers.items() if p != {publisher(prod)}} == {}


def test_the_repository_policies_refuse_writes_and_replication_by_anyone_but_the_publisher(prod):
    """Evaluated by the independent evaluator on the bucket policy alone: PutObject, and what S3
    replication calls on its destination (an administrator's replication rule on a bucket of its
    own would otherwise fill a repository), from inside the center's endpoint."""
    attacker = attacker_arn(prod)
    endpoint = next(e["outputs"]["id"] for e in find(prod, "aws:ec2/vpcEndpoint:VpcEndpoint")
                    if e["inputs"]["serviceName"].endswith(".s3") and e["inputs"]["tags"]["zone"] == "endpoints")
    for bucket in repository_buckets(prod):
        name = bucket["inputs"]["bucket"]
        (policy,) = [json.loads(p["inputs"]["policy"]) for p in find(prod, "aws:s3/bucketPolicy:BucketPolicy")
                     if p["inputs"]["bucket"] == name]
        obj = f"arn:aws:s3:::{name}/targets/products/{'0' * 64}.product.tar"
        inside = {"aws:SourceVpce": endpoint, "aws:SecureTransport": "true", "s3:if-none-match": "*",
                  "s3:ObjectCreationOperation": "true"}
        for action in ("s3:PutObject", "s3:ReplicateObject", "s3:ReplicateDelete", "s3:DeleteObject",
                       "s3:DeleteObjectVersion"):
            assert denied_by(policy, action, obj, request(attacker, **inside)), (name, action)
        assert denied_by(policy, "s3:PutObject", obj, request(publisher(prod), **inside)) == [], name
        outside = {**inside, "aws:SourceVpce": "vpce-0attacker"}
        assert denied_by(policy, "s3:PutObject", obj, request(publisher(prod), **outside)), name


def test_the_online_key_policies_refuse_signing_to_anyone_but_the_publisher(prod):
    attacker = attacker_arn(prod)
    for key in online_keys(prod):
        policy = json.loads(key["inputs"]["policy"])
        assert denied_by(policy, "kms:Sign", key["outputs"]["arn"], request(attacker)), key["name"]


def test_nobody_but_the_deployer_passes_the_publisher_role_or_rewrites_a_repository_policy(prod, org_plan):
    attacker = attacker_arn(prod)
    passed = request(attacker, **{"iam:PassedToService": "ec2.amazonaws.com"})
    assert scp_denials(org_plan, "iam:PassRole", publisher(prod), passed)
    for action in ("iam:PutRolePolicy", "iam:AttachRolePolicy", "iam:UpdateAssumeRolePolicy"):
        assert scp_denials(org_plan, action, publisher(prod), request(attacker)), action
    for bucket in repository_buckets(prod):
        arn = f"arn:aws:s3:::{bucket['inputs']['bucket']}"
        for action in ("s3:PutBucketPolicy", "s3:DeleteBucketPolicy"):
            assert scp_denials(org_plan, action, arn, request(attacker)), (arn, action)


@pytest.mark.parametrize("action", ["kms:PutKeyPolicy", "kms:ScheduleKeyDeletion", "kms:DisableKey"])
def test_an_account_admin_cannot_rewrite_disable_or_delete_an_online_key(prod, org_plan, action):
    attacker = attacker_arn(prod)
    for key in online_keys(prod):
        assert scp_denials(org_plan, action, key["outputs"]["arn"], request(attacker)), (key["name"], action)


def test_no_run_command_on_the_publisher_host(prod, org_plan):
    """Run Command runs as root with no transcript: on the publisher it would sign with the online keys."""
    attacker = attacker_arn(prod)
    (host,) = [i for i in find(prod, "aws:ec2/instance:Instance") if (i["inputs"].get("tags") or {}).get("role") == "publisher"]
    arn = f"arn:aws:ec2:eu-central-2:{prod_account(prod)}:instance/{host['outputs']['id']}"
    tags = {f"aws:ResourceTag/{k}": v for k, v in host["inputs"]["tags"].items()}
    assert scp_denials(org_plan, "ssm:SendCommand", arn, request(attacker, **tags))
