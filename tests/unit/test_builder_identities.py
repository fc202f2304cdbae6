"""Builder independence over the plan's declared policies: for every stack and every pair of
builders (A, B), neither A's identity policies nor the artifact bucket policy let A put an
object under B's prefix, and A may put under its own. Evaluated with AWS's rules (explicit
Deny wins; an Allow is needed from the identity policy) over the documents as declared."""

from __future__ import annotations

import itertools
import json

from tests.unit.s3_policy import may_put

BUILDFLEET = "transparency-center:build:BuildFleet"
INSTANCE = "aws:ec2/instance:Instance"


def fleet(run):
    artifacts = run.outputs["buildArtifactsBucket"]
    (bucket_policy,) = [p for p in run.by_type("aws:s3/bucketPolicy:BucketPolicy") if p.inputs["bucket"] == artifacts]
    builders = {i.inputs["tags"]["builder"]: i.inputs["tags"]["pool"] for i in run.by_type(INSTANCE) if BUILDFLEET in i.urn}
    roles = run.outputs["builderRoleArns"]
    docs = {b: [json.loads(p.inputs["policy"]) for p in run.by_type("aws:iam/rolePolicy:RolePolicy")
                if p.inputs["role"] == roles[b].rsplit("/", 1)[1]] for b in builders}
    return artifacts, json.loads(bucket_policy.inputs["policy"]), builders, roles, docs


def userids(run) -> dict[str, str]:
    """Each builder's aws:userid on its own instance: `<role unique id>:<instance id>`."""
    unique = {r.outputs["name"]: r.outputs["uniqueId"] for r in run.by_type("aws:iam/role:Role")}
    roles = run.outputs["builderRoleArns"]
    return {i.inputs["tags"]["builder"]: f"{unique[roles[i.inputs['tags']['builder']].rsplit('/', 1)[1]]}:{i.outputs['id']}"
            for i in run.by_type(INSTANCE) if BUILDFLEET in i.urn}


def test_no_builder_can_write_another_builders_prefix(each_stack):
    artifacts, bucket_doc, builders, roles, docs = fleet(each_stack)
    own = userids(each_stack)
    assert len(builders) >= 2
    for a, b in itertools.permutations(sorted(builders), 2):
        target = f"arn:aws:s3:::{artifacts}/{builders[b]}/{b}/job-1/product.tar"
        assert not may_put(docs[a], bucket_doc, roles[a], target, userid=own[a]), \
            f"{each_stack.stack}: {a} can write {b}'s prefix"
        # Even if A's role were granted B's prefix (a mistaken grant), the bucket still says no.
        assert not may_put([{"Statement": [{"Effect": "Allow", "Action": ["s3:PutObject"], "Resource": ["*"]}]}],
                           bucket_doc, roles[a], target, userid=own[a]), f"{each_stack.stack}: bucket lets {a} into {b}'s prefix"


def test_each_builder_can_write_its_own_prefix_only(each_stack):
    artifacts, bucket_doc, builders, roles, docs = fleet(each_stack)
    own = userids(each_stack)
    for a, pool in builders.items():
        assert may_put(docs[a], bucket_doc, roles[a], f"arn:aws:s3:::{artifacts}/{pool}/{a}/job-1/product.tar", userid=own[a])
        assert not may_put(docs[a], bucket_doc, roles[a], f"arn:aws:s3:::{artifacts}/{pool}/job-1/product.tar", userid=own[a])
        assert not may_put(docs[a], bucket_doc, roles[a], f"arn:aws:s3:::{artifacts}/releases/{pool}/product.tar",
                           userid=own[a])


def test_a_builder_role_on_another_instance_writes_nothing(each_stack):
    """Issue 29, way 3: the role passed to an instance the plan does not declare."""
    artifacts, bucket_doc, builders, roles, docs = fleet(each_stack)
    unique = userids(each_stack)
    for a, pool in builders.items():
        elsewhere = unique[a].split(":")[0] + ":i-0123456789abcdef0"
        assert not may_put(docs[a], bucket_doc, roles[a], f"arn:aws:s3:::{artifacts}/{pool}/{a}/job-1/product.tar",
                           userid=elsewhere)


def test_no_builder_can_write_releases(each_stack):
    _, _, builders, roles, docs = fleet(each_stack)
    own = userids(each_stack)
    releases = each_stack.outputs["releaseBucket"]
    (policy,) = [p for p in each_stack.by_type("aws:s3/bucketPolicy:BucketPolicy") if p.inputs["bucket"] == releases]
    release_doc = json.loads(policy.inputs["policy"])
    for a in builders:
        for key in ("releases/products/job-1/product.tar", "products/job-1/product.tar", "x"):
            assert not may_put(docs[a], release_doc, roles[a], f"arn:aws:s3:::{releases}/{key}", userid=own[a]), (a, key)


def test_the_evaluator_notices_a_missing_bucket_side_deny(declared):
    """The check can fail: drop the per-builder denies and a wildcard grant gets through."""
    run = declared("dev")
    artifacts, bucket_doc, builders, roles, _ = fleet(run)
    a, b = sorted(builders)[:2]
    weakened = {"Statement": [s for s in bucket_doc["Statement"] if not s["Sid"].startswith("OnlyOwnerWrites")]}
    target = f"arn:aws:s3:::{artifacts}/{builders[b]}/{b}/job-1/product.tar"
    assert may_put([{"Statement": [{"Effect": "Allow", "Action": ["s3:PutObject"], "Resource": ["*"]}]}],
                   weakened, roles[a], target, userid=userids(run)[a])
