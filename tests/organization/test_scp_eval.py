"""The evaluator itself, on hand-written documents (so it can fail independently of scps.py)."""

from tests.organization.scp_eval import denied_by

DOC = {"Version": "2012-10-17", "Statement": [
    {"Sid": "A", "Effect": "Deny", "Action": "s3:Put*", "Resource": "*",
     "Condition": {"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/ok"}}},
    {"Sid": "N", "Effect": "Deny", "NotAction": ["iam:*"], "Resource": "*",
     "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["eu-central-2"]}}},
    {"Sid": "Allow", "Effect": "Allow", "Action": "*", "Resource": "*"},
]}


def test_action_wildcard_and_exempt_role():
    assert denied_by(DOC, "s3:PutObject", "*", {"aws:PrincipalArn": "arn:aws:iam::1:role/x",
                                               "aws:RequestedRegion": "eu-central-2"}) == ["A"]
    assert denied_by(DOC, "S3:putobject", "*", {"aws:PrincipalArn": "arn:aws:iam::1:role/ok",
                                               "aws:RequestedRegion": "eu-central-2"}) == []


def test_not_action_and_region():
    ctx = {"aws:PrincipalArn": "arn:aws:iam::1:role/ok", "aws:RequestedRegion": "us-east-1"}
    assert denied_by(DOC, "ec2:RunInstances", "*", ctx) == ["N"]
    assert denied_by(DOC, "iam:CreateRole", "*", ctx) == []


def test_allow_statements_never_deny():
    assert denied_by(DOC, "iam:CreateRole", "*", {"aws:RequestedRegion": "eu-central-2"}) == []
