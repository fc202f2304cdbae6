"""Builder independence over the plan's declared policies: for every stack and every pair of
builders (A, B), neither A's identity policies nor the artifact bucket policy let A put an
object under B's prefix, and A may put under its own. Evaluated with AWS's rules (explicit
Deny wins; an Allow is needed from the identity policy) over the documents as declared."""

from __future__ import annotations

import fnmatch
import itertools
import json

BUILDFLEET = "transparency-center:build:BuildFleet"
INSTANCE = "aws:ec2/instance:Instance"


def _listed(value) -> list:
    return value if isinstance(value, list) else [value]


def _matches(patterns, value: str) -> bool:
    return any(fnmatch.fnmatchcase(value, p) for p in _listed(patterns))


def _conditions_hold(conditions: dict, context: dict[str, str]) -> bool:
    for operator, keys in conditions.items():
        for key, expected in keys.items():
            if key not in context:
                raise AssertionError(f"the test cannot evaluate condition key {key}; extend the context")
            values = [str(v).lower() if operator == "Bool" else v for v in _listed(expected)]
            actual = context[key]
            if operator in ("StringEquals", "Bool"):
                ok = actual in values
            elif operator == "StringNotEquals":
                ok = actual not in values
            elif operator == "StringLike":
                ok = _matches(values, actual)
            elif operator == "StringNotLike":
                ok = not _matches(values, actual)
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


def may_put(identity_docs: list[dict], bucket_doc: dict, role_arn: str, key_arn: str) -> bool:
    context = {"aws:PrincipalArn": role_arn, "aws:PrincipalIsAWSService": "false",
               "aws:SecureTransport": "true", "aws:SourceVpce": "__center_endpoint__"}
    identity = [s for d in identity_docs for s in d["Statement"]]
    resource = [s for s in bucket_doc["Statement"]]
    applicable = [s for s in identity if _applies(s, "s3:PutObject", key_arn, context, None)]
    applicable += [s for s in resource if _applies(s, "s3:PutObject", key_arn, context, role_arn)]
    if any(s["Effect"] == "Deny" for s in applicable
           if s.get("Sid") != "DenyObjectAccessOutsideCenterEndpoints"):  # we come through the endpoint
        return False
    return any(s["Effect"] == "Allow" for s in applicable)


def fleet(run):
    artifacts = run.outputs["buildArtifactsBucket"]
    (bucket_policy,) = [p for p in run.by_type("aws:s3/bucketPolicy:BucketPolicy") if p.inputs["bucket"] == artifacts]
    builders = {i.inputs["tags"]["builder"]: i.inputs["tags"]["pool"] for i in run.by_type(INSTANCE) if BUILDFLEET in i.urn}
    roles = run.outputs["builderRoleArns"]
    docs = {b: [json.loads(p.inputs["policy"]) for p in run.by_type("aws:iam/rolePolicy:RolePolicy")
                if p.inputs["role"] == roles[b].rsplit("/", 1)[1]] for b in builders}
    return artifacts, json.loads(bucket_policy.inputs["policy"]), builders, roles, docs


def test_no_builder_can_write_another_builders_prefix(each_stack):
    artifacts, bucket_doc, builders, roles, docs = fleet(each_stack)
    assert len(builders) >= 2
    for a, b in itertools.permutations(sorted(builders), 2):
        target = f"arn:aws:s3:::{artifacts}/{builders[b]}/{b}/job-1/product.tar"
        assert not may_put(docs[a], bucket_doc, roles[a], target), f"{each_stack.stack}: {a} can write {b}'s prefix"
        # Even if A's role were granted B's prefix (a mistaken grant), the bucket still says no.
        assert not may_put([{"Statement": [{"Effect": "Allow", "Action": ["s3:PutObject"], "Resource": ["*"]}]}],
                           bucket_doc, roles[a], target), f"{each_stack.stack}: bucket lets {a} into {b}'s prefix"


def test_each_builder_can_write_its_own_prefix_only(each_stack):
    artifacts, bucket_doc, builders, roles, docs = fleet(each_stack)
    for a, pool in builders.items():
        assert may_put(docs[a], bucket_doc, roles[a], f"arn:aws:s3:::{artifacts}/{pool}/{a}/job-1/product.tar")
        assert not may_put(docs[a], bucket_doc, roles[a], f"arn:aws:s3:::{artifacts}/{pool}/job-1/product.tar")
        assert not may_put(docs[a], bucket_doc, roles[a], f"arn:aws:s3:::{artifacts}/releases/{pool}/product.tar")


def test_no_builder_can_write_releases(each_stack):
    _, _, builders, roles, docs = fleet(each_stack)
    releases = each_stack.outputs["releaseBucket"]
    (policy,) = [p for p in each_stack.by_type("aws:s3/bucketPolicy:BucketPolicy") if p.inputs["bucket"] == releases]
    release_doc = json.loads(policy.inputs["policy"])
    for a in builders:
        for key in ("releases/products/job-1/product.tar", "products/job-1/product.tar", "x"):
            assert not may_put(docs[a], release_doc, roles[a], f"arn:aws:s3:::{releases}/{key}"), (a, key)


def test_the_evaluator_notices_a_missing_bucket_side_deny(declared):
    """The check can fail: drop the per-builder denies and a wildcard grant gets through."""
    run = declared("dev")
    artifacts, bucket_doc, builders, roles, _ = fleet(run)
    a, b = sorted(builders)[:2]
    weakened = {"Statement": [s for s in bucket_doc["Statement"] if not s["Sid"].startswith("OnlyOwnerWrites")]}
    target = f"arn:aws:s3:::{artifacts}/{builders[b]}/{b}/job-1/product.tar"
    assert may_put([{"Statement": [{"Effect": "Allow", "Action": ["s3:PutObject"], "Resource": ["*"]}]}],
                   weakened, roles[a], target)
