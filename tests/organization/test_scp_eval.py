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


def _deny(condition, resource="*"):
    return {"Statement": [{"Sid": "D", "Effect": "Deny", "Action": "*", "Resource": resource, "Condition": condition}]}


def test_negated_operators_hold_for_a_missing_key_positive_ones_do_not():
    """IAM user guide, condition operators: a negated operator matches when the key is absent."""
    assert denied_by(_deny({"ArnNotEquals": {"aws:PrincipalArn": "arn:aws:iam::1:role/a"}}), "s3:GetObject", "x", {}) == ["D"]
    assert denied_by(_deny({"StringEquals": {"aws:SourceVpce": "vpce-1"}}), "s3:GetObject", "x", {}) == []
    assert denied_by(_deny({"StringEqualsIfExists": {"aws:SourceVpce": "vpce-1"}}), "s3:GetObject", "x", {}) == ["D"]


def test_arn_not_equals_with_a_list_means_none_of_them():
    doc = _deny({"ArnNotEquals": {"aws:PrincipalArn": ["arn:aws:iam::1:role/a", "arn:aws:iam::1:role/b"]}})
    assert denied_by(doc, "s3:GetObject", "x", {"aws:PrincipalArn": "arn:aws:iam::1:role/b"}) == []
    assert denied_by(doc, "s3:GetObject", "x", {"aws:PrincipalArn": "arn:aws:iam::1:role/c"}) == ["D"]


def test_for_any_value_over_a_multivalued_key_and_null():
    doc = _deny({"ForAnyValue:StringEquals": {"aws:TagKeys": ["zone"]}})
    assert denied_by(doc, "ec2:DeleteTags", "x", {"aws:TagKeys": ["Name", "zone"]}) == ["D"]
    assert denied_by(doc, "ec2:DeleteTags", "x", {"aws:TagKeys": ["Name"]}) == []
    assert denied_by(doc, "ec2:DeleteTags", "x", {}) == []
    absent = _deny({"Null": {"aws:ResourceTag/zone": "true"}})
    assert denied_by(absent, "ssm:SendCommand", "x", {}) == ["D"]
    assert denied_by(absent, "ssm:SendCommand", "x", {"aws:ResourceTag/zone": "data"}) == []


def test_not_resource_and_unknown_operators():
    doc = {"Statement": [{"Sid": "D", "Effect": "Deny", "Action": "s3:*", "NotResource": "arn:aws:s3:::ok/*"}]}
    assert denied_by(doc, "s3:GetObject", "arn:aws:s3:::ok/a", {}) == []
    assert denied_by(doc, "s3:GetObject", "arn:aws:s3:::other/a", {}) == ["D"]
    import pytest

    with pytest.raises(ValueError):
        denied_by(_deny({"NumericLessThan": {"k": "1"}}), "s3:GetObject", "x", {"k": "0"})
