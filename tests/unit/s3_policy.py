"""A small evaluator of S3 PutObject over declared policy documents, with AWS's rules: an
explicit Deny wins, an Allow from the identity policy is needed (same account). It knows
the condition operators the center uses and fails loudly on any other."""

from __future__ import annotations

import fnmatch


HOST_ORIGIN = {"aws:ec2InstanceSourceVPC": "vpc-center", "aws:SourceVpc": "vpc-center",
               "aws:ec2InstanceSourcePrivateIPv4": "10.0.1.10", "aws:VpcSourceIp": "10.0.1.10",
               "aws:ViaAWSService": "false"}
"""A request from the host the credentials belong to, in the center's VPC."""


def _listed(value) -> list:
    return value if isinstance(value, list) else [value]


def _matches(patterns, value: str) -> bool:
    return any(fnmatch.fnmatchcase(value, p) for p in _listed(patterns))


def _conditions_hold(conditions: dict, context: dict[str, str]) -> bool:
    for operator, keys in conditions.items():
        for key, expected in keys.items():
            if key not in context and operator not in ("Null", "BoolIfExists"):
                raise AssertionError(f"the test cannot evaluate condition key {key}; extend the context")
            values = [str(v).lower() if operator in ("Bool", "BoolIfExists") else v for v in _listed(expected)]
            # Policy variables (`${aws:SourceVpc}`) take their value from the request.
            values = [context.get(v[2:-1]) if isinstance(v, str) and v.startswith("${") else v for v in values]
            actual = context.get(key)
            if operator == "Null":
                ok = (actual is None) == (values[0] == "true")
            elif operator in ("StringEquals", "Bool"):
                ok = actual in values
            elif operator == "BoolIfExists":
                ok = actual is None or actual in values
            elif operator == "StringNotEquals":
                ok = actual not in values
            elif operator == "StringLike":
                ok = _matches(values, actual)
            elif operator == "StringNotLike":
                ok = not _matches(values, actual)
            elif operator in ("ArnEquals", "ArnLike"):  # IAM treats both alike: wildcards match
                ok = actual is not None and _matches(values, actual)
            elif operator in ("ArnNotEquals", "ArnNotLike"):
                ok = actual is None or not _matches(values, actual)
            else:
                raise AssertionError(f"the test cannot evaluate condition operator {operator}")
            if not ok:
                return False
    return True


def _applies(statement: dict, action: str, resource: str, context: dict[str, str], principal: str | None) -> bool:
    if not _matches(statement.get("Action", []), action) or not _matches(statement.get("Resource", []), resource):
        return False
    if principal is not None and "Principal" in statement:
        aws = statement["Principal"].get("AWS", []) if isinstance(statement["Principal"], dict) else statement["Principal"]
        if not _matches(aws, principal):
            return False
    return _conditions_hold(statement.get("Condition", {}), context)


def may_put(identity_docs: list[dict], bucket_doc: dict, role_arn: str, key_arn: str, if_none_match: bool = True,
            userid: str | None = None) -> bool:
    """May `role_arn` PutObject `key_arn` (a single PUT, through the center's endpoint, over TLS)?
    `userid`: the session's aws:userid (`<role unique id>:<instance id>` for an instance's role)."""
    context = {**HOST_ORIGIN, "aws:PrincipalArn": role_arn, "aws:PrincipalIsAWSService": "false",
               "aws:SecureTransport": "true", "aws:SourceVpce": "__center_endpoint__",
               "s3:ObjectCreationOperation": "true", "s3:if-none-match": "*" if if_none_match else None}
    if userid is not None:
        context["aws:userid"] = userid
    identity = [s for d in identity_docs for s in d["Statement"]]
    resource = [s for s in bucket_doc["Statement"]]
    applicable = [s for s in identity if _applies(s, "s3:PutObject", key_arn, context, None)]
    applicable += [s for s in resource if _applies(s, "s3:PutObject", key_arn, context, role_arn)]
    if any(s["Effect"] == "Deny" for s in applicable
           if s.get("Sid") != "DenyObjectAccessOutsideCenterEndpoints"):  # we come through the endpoint
        return False
    return any(s["Effect"] == "Allow" for s in applicable)


def may(action: str, identity_docs: list[dict], bucket_doc: dict, role_arn: str, object_arn: str,
        *, source_vpce: str, zone: str = "audit", userid: str | None = None) -> bool:
    """May `role_arn` do `action` on `object_arn` (a bucket of area `zone`), over TLS, from `source_vpce`? The bucket
    policy's endpoint statement is evaluated like any other (the context names the endpoint)."""
    context = {**HOST_ORIGIN, "aws:PrincipalArn": role_arn, "aws:PrincipalIsAWSService": "false",
               "aws:SecureTransport": "true", "aws:SourceVpce": source_vpce,
               "aws:ResourceTag/zone": zone}  # the provider's default tag of the bucket's area
    if userid is not None:
        context["aws:userid"] = userid
    identity = [s for d in identity_docs for s in d["Statement"]]
    applicable = [s for s in identity if _applies(s, action, object_arn, context, None)]
    applicable += [s for s in bucket_doc["Statement"] if _applies(s, action, object_arn, context, role_arn)]
    if any(s["Effect"] == "Deny" for s in applicable):
        return False
    return any(s["Effect"] == "Allow" for s in applicable)
