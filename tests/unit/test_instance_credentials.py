"""Credentials copied off a host are useless elsewhere: every role an EC2 instance can
assume (read from the plan's trust policies) denies every action when the request does not
come from the instance's own VPC and address (AWS's instance-credential condition keys)."""

from __future__ import annotations

import json


def _ec2_roles(run) -> list[str]:
    names = []
    for role in run.by_type("aws:iam/role:Role"):
        trust = json.loads(role.inputs["assumeRolePolicy"])
        if any(s.get("Principal", {}).get("Service") == "ec2.amazonaws.com" for s in trust["Statement"]):
            names.append(role.inputs["name"])
    return names


def _holds(condition: dict, context: dict[str, str]) -> bool:
    """StringNotEquals against a policy variable, Null and BoolIfExists: what the deny uses."""
    for operator, keys in condition.items():
        for key, expected in keys.items():
            actual = context.get(key)
            if operator == "StringNotEquals":
                wanted = context.get(expected[2:-1]) if expected.startswith("${") else expected
                if actual is None or actual == wanted:
                    return False
            elif operator == "Null":
                if (actual is None) != (expected == "true"):
                    return False
            elif operator == "BoolIfExists":
                if actual is not None and actual != expected:
                    return False
            else:
                raise AssertionError(f"the test cannot evaluate {operator}")
    return True


def _denied(documents: list[dict], context: dict[str, str]) -> bool:
    """Is every action denied for this request origin? (Denies about other things, such as
    customer data, are not what this test asks about.)"""
    return any(s["Effect"] == "Deny" and s["Action"] == ["*"] and _holds(s["Condition"], context)
               for d in documents for s in d["Statement"]
               if "aws:ec2InstanceSourceVPC" in json.dumps(s.get("Condition", {})))


def test_every_instance_role_refuses_its_credentials_outside_its_host(each_stack):
    roles = _ec2_roles(each_stack)
    assert roles
    for name in roles:
        documents = [json.loads(p.inputs["policy"]) for p in each_stack.by_type("aws:iam/rolePolicy:RolePolicy")
                     if p.inputs["role"] == name]
        at_home = {"aws:ec2InstanceSourceVPC": "vpc-center", "aws:SourceVpc": "vpc-center",
                   "aws:ec2InstanceSourcePrivateIPv4": "10.0.1.10", "aws:VpcSourceIp": "10.0.1.10"}
        assert not _denied(documents, at_home), name
        laptop = {k: v for k, v in at_home.items() if k not in ("aws:SourceVpc", "aws:VpcSourceIp")}
        assert _denied(documents, laptop), f"{name}: stolen credentials work from the internet"
        other_host = {**at_home, "aws:VpcSourceIp": "10.0.1.99"}
        assert _denied(documents, other_host), f"{name}: credentials work from another host of the VPC"
        service = {**laptop, "aws:ViaAWSService": "true"}
        assert not _denied(documents, service), f"{name}: AWS services acting for the host are refused"
