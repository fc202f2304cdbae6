"""Key administrators administer keys and never use them; in prod nobody but the break-glass
role may disable a key or schedule its deletion (which would make the COMPLIANCE-locked
audit archive or customer data unreadable).

Read like an attacker: for every key policy of the zurich-prod plan, a principal and an
action are evaluated against the declared statements (explicit deny wins, then any allow).
Conditions the attacker might satisfy are assumed satisfied on an Allow and not met on a
Deny (the worst case), except aws:PrincipalArn, which nobody chooses."""

from __future__ import annotations

import fnmatch
import json
from typing import Any

import pytest
from moto.iam.policy_validation import IAMPolicyDocumentValidator
from policy_sentry.querying.actions import get_actions_for_service

from tcenter.core.stackfiles import load_stack_values
from tests.helpers import expect_refused, problem_keys

NS = "transparency-center"
PROD = "zurich-prod"
USE_ACTIONS = ["kms:CreateGrant", "kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:ReEncryptFrom", "kms:Sign"]
LIFECYCLE = ["kms:DisableKey", "kms:ScheduleKeyDeletion"]


def _as_list(value: Any) -> list:
    return value if isinstance(value, list) else [value]


def _names(statement: dict, principal: str, account: str) -> bool:
    """Whether the statement's Principal covers `principal`. The account root stands for
    every principal of the account that IAM allows: worst case, IAM allows everything."""
    arns = _as_list(statement.get("Principal", {}).get("AWS", []))
    return principal in arns or "*" in arns or f"arn:aws:iam::{account}:root" in arns


def _applies(statement: dict, principal: str) -> bool:
    for operator, pairs in statement.get("Condition", {}).items():
        for key, expected in pairs.items():
            if key != "aws:PrincipalArn":
                if statement["Effect"] == "Deny":
                    return False  # the attacker arranges not to meet a deny's other conditions
                continue
            hit = any(fnmatch.fnmatchcase(principal, e) for e in _as_list(expected))
            if operator.startswith(("ArnNot", "StringNot")):
                hit = not hit
            if not hit:
                return False
    return True


def _covers(statement: dict, action: str) -> bool:
    """Action covers what it lists; NotAction covers every action it does not list (IAM's reading)."""
    listed = any(fnmatch.fnmatch(action.lower(), a.lower()) for a in _as_list(statement.get("Action", statement.get("NotAction"))))
    return listed if "Action" in statement else not listed


def allowed(policy: dict, principal: str, action: str, account: str) -> bool:
    matching = [s for s in policy["Statement"]
                if _covers(s, action) and _names(s, principal, account) and _applies(s, principal)]
    if any(s["Effect"] == "Deny" for s in matching):
        return False
    return any(s["Effect"] == "Allow" for s in matching)


def granted_by_key_policy_alone(policy: dict, principal: str, action: str, account: str) -> bool:
    """Allowed by a statement naming `principal` itself (not delegated to IAM through the root)."""
    named = {"Version": policy["Version"], "Statement": [
        s for s in policy["Statement"]
        if s["Effect"] == "Deny" or principal in _as_list(s.get("Principal", {}).get("AWS", []))]}
    return allowed(named, principal, action, account)


def _keys(run) -> list:
    keys = run.by_type("aws:kms/key:Key")
    assert keys, "the plan declares keys"
    return keys


def _access(stack: str) -> dict:
    return load_stack_values(stack)[f"{NS}:access"]


def test_prod_key_administrators_cannot_use_grant_or_destroy_any_key(declared):
    run = declared(PROD)
    access = _access(PROD)
    account = access["accountId"]
    outsider = f"arn:aws:iam::{account}:role/tc-build-host"
    for key in _keys(run):
        policy = json.loads(key.inputs["policy"])
        for admin in access["keyAdministrators"]:
            for action in USE_ACTIONS:
                assert not granted_by_key_policy_alone(policy, admin, action, account), (key.name, admin, action)
            for action in LIFECYCLE:
                assert not allowed(policy, admin, action, account), (key.name, admin, action)
            # Lockout safety check: whoever sets the policy must be able to set the next one.
            assert granted_by_key_policy_alone(policy, admin, "kms:PutKeyPolicy", account), key.name
        for action in LIFECYCLE:
            assert not allowed(policy, outsider, action, account), (key.name, action, "IAM grant must not suffice")
            assert allowed(policy, access["breakGlassRole"], action, account), (key.name, action)
        assert key.inputs["deletionWindowInDays"] == 30, f"{key.name}: the longest window KMS allows"


def test_key_administration_lists_real_actions_without_grants_or_wildcards(declared):
    kms_actions = {a.lower() for a in get_actions_for_service("kms")}
    for key in _keys(declared(PROD)):
        policy = json.loads(key.inputs["policy"])
        IAMPolicyDocumentValidator(json.dumps(policy)).validate()
        admin = next(s for s in policy["Statement"] if s["Sid"] == "KeyAdministration")
        for action in admin["Action"]:
            assert "*" not in action and action.lower() in kms_actions, (key.name, action)
        assert "kms:CreateGrant" not in admin["Action"]


def test_destroyable_stacks_let_administrators_destroy_keys(declared):
    run = declared("dev")
    access = _access("dev")
    for key in _keys(run):
        policy = json.loads(key.inputs["policy"])
        for admin in access["keyAdministrators"]:
            assert allowed(policy, admin, "kms:ScheduleKeyDeletion", access["accountId"]), key.name


def test_prod_without_break_glass_role_lets_nobody_destroy_keys(declare_with, stack_values):
    values = stack_values(PROD)
    del values[f"{NS}:access"]["breakGlassRole"]
    run = declare_with(values, PROD)
    access = values[f"{NS}:access"]
    for key in _keys(run):
        policy = json.loads(key.inputs["policy"])
        for principal in [*access["keyAdministrators"], f"arn:aws:iam::{access['accountId']}:root"]:
            assert not allowed(policy, principal, "kms:ScheduleKeyDeletion", access["accountId"]), key.name


@pytest.mark.parametrize("role, reason", [
    ("arn:aws:iam::333333333333:role/tc-platform-admin", "key administrator"),
    ("arn:aws:iam::444444444444:role/tc-break-glass", "account"),
    ("arn:aws:iam::333333333333:role/*", "wildcards"),
])
def test_break_glass_role_is_validated(declare_with, stack_values, role, reason):
    values = stack_values(PROD)
    values[f"{NS}:access"]["breakGlassRole"] = role
    error = expect_refused(declare_with, values, PROD)
    assert problem_keys(error) and "access" in problem_keys(error)[0]
    assert reason in str(error)
