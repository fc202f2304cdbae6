"""Every host role (anything EC2 can assume) comes from the one instance-role factory:
narrow SSM agent actions, never an AWS managed policy. Found from the plan, every stack."""

from __future__ import annotations

import json

import pytest

from components.policies import SSM_SESSION_ACTIONS
from tests.conftest import STACKS, _declared

BROAD_SSM = {"ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath", "ssm:SendCommand",
             "ec2messages:GetMessages", "ssm:*", "*"}


def host_roles(stack):
    run = _declared(stack)
    for role in run.by_type("aws:iam/role:Role"):
        trust = json.loads(role.inputs["assumeRolePolicy"])
        if any(s.get("Principal", {}).get("Service") == "ec2.amazonaws.com" for s in trust["Statement"]):
            yield role


@pytest.mark.parametrize("stack", STACKS)
def test_no_role_has_a_managed_policy(stack):
    """No AWS managed policy anywhere; the one managed policy the kit writes (the reviewer's attest
    grant, too large for the role's inline policies: components/iam.py Role.attach_policy) is
    declared in the plan, attached to that reviewer role only, and no host role has one."""
    run = _declared(stack)
    kit_policies = {p.outputs["arn"]: p.inputs["name"] for p in run.by_type("aws:iam/policy:Policy")}
    host_role_names = {r.inputs["name"] for r in host_roles(stack)}
    for attachment in run.by_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment"):
        name = kit_policies.get(attachment.inputs["policyArn"])
        assert name == f"{attachment.inputs['role']}-attest-read-metadata", attachment.name
        assert "-reviewer-" in attachment.inputs["role"] and attachment.inputs["role"] not in host_role_names
    assert run.by_type("aws:iam/policyAttachment:PolicyAttachment") == []
    assert [r.name for r in run.by_type("aws:iam/role:Role") if r.inputs.get("managedPolicyArns")] == []


@pytest.mark.parametrize("stack", STACKS)
def test_every_host_role_gets_only_the_narrow_ssm_actions(stack):
    run = _declared(stack)
    roles = list(host_roles(stack))
    names = {r.inputs["name"] for r in roles}
    assert any("-build-" in n for n in names) and any("signer" in n for n in names)
    for role in roles:
        policies = [p for p in run.by_type("aws:iam/rolePolicy:RolePolicy") if p.parent == role.parent]
        actions = {a for p in policies for s in json.loads(p.inputs["policy"])["Statement"] if s["Effect"] == "Allow"
                   for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])}
        assert actions & BROAD_SSM == set(), (role.inputs["name"], sorted(actions & BROAD_SSM))
        ssm = {a for a in actions if a.startswith(("ssm:", "ssmmessages:"))}
        assert ssm <= set(SSM_SESSION_ACTIONS), (role.inputs["name"], sorted(ssm - set(SSM_SESSION_ACTIONS)))
