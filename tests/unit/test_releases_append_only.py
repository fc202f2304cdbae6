"""Releases are append-only, over the plan's declared policies for every stack: the release
bucket refuses any upload that could overwrite (no `If-None-Match: *`), keeps Object Lock,
and each signer may add release records (envelope digests) to the audit archive under its
own class's prefix only."""

from __future__ import annotations

import json

from tests.unit.s3_policy import may_put

SIGNING_CLASSES = ("products", "av-databases")


def bucket_policy(run, bucket: str) -> dict:
    (policy,) = [p for p in run.by_type("aws:s3/bucketPolicy:BucketPolicy") if p.inputs["bucket"] == bucket]
    return json.loads(policy.inputs["policy"])


def role_docs(run, role_arn: str) -> list[dict]:
    name = role_arn.rsplit("/", 1)[1]
    return [json.loads(p.inputs["policy"]) for p in run.by_type("aws:iam/rolePolicy:RolePolicy") if p.inputs["role"] == name]


def signer_userids(run) -> dict[str, str]:
    """Each signer's aws:userid on its own host: `<role unique id>:<instance id>`."""
    unique = {r.outputs["arn"]: r.outputs["uniqueId"] for r in run.by_type("aws:iam/role:Role")}
    hosts = {i.inputs["tags"]["signing-class"]: i.outputs["id"] for i in run.by_type("aws:ec2/instance:Instance")
             if "signing-class" in (i.inputs.get("tags") or {})}
    return {c: f"{unique[arn]}:{hosts[c]}" for c, arn in run.outputs["signerRoleArns"].items()}


def test_release_uploads_that_may_overwrite_are_denied(each_stack):
    releases = each_stack.outputs["releaseBucket"]
    doc = bucket_policy(each_stack, releases)
    own = signer_userids(each_stack)
    for signing_class, signer in each_stack.outputs["signerRoleArns"].items():
        key = f"arn:aws:s3:::{releases}/releases/{signing_class}/products/job-1/product.tar.intoto.json"
        userid = own[signing_class]
        assert may_put(role_docs(each_stack, signer), doc, signer, key, if_none_match=True, userid=userid), signing_class
        assert not may_put(role_docs(each_stack, signer), doc, signer, key, if_none_match=False, userid=userid)
        # Not even a principal with every S3 permission may upload without the precondition.
        everything = [{"Statement": [{"Effect": "Allow", "Action": ["s3:*"], "Resource": ["*"]}]}]
        assert not may_put(everything, doc, signer, key, if_none_match=False, userid=userid)
        # Nor the signer role passed to another instance (issue 29, way 4).
        elsewhere = userid.split(":")[0] + ":i-0123456789abcdef0"
        assert not may_put(role_docs(each_stack, signer), doc, signer, key, if_none_match=True, userid=elsewhere)


def test_the_release_bucket_keeps_object_lock(each_stack):
    releases = each_stack.outputs["releaseBucket"]
    locks = [r for r in each_stack.by_type("aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration")
             if r.inputs["bucket"] == releases]
    assert len(locks) == 1 and locks[0].inputs["rule"]["defaultRetention"]["days"] >= 1


def test_each_signer_records_its_releases_in_the_archive_only_under_its_prefix(each_stack):
    archive = each_stack.outputs["auditArchiveBucket"]
    doc = bucket_policy(each_stack, archive)
    signers = each_stack.outputs["signerRoleArns"]
    for signing_class, signer in signers.items():
        docs = role_docs(each_stack, signer)
        own = f"arn:aws:s3:::{archive}/release-records/{signing_class}/products/job-1/product.tar.json"
        assert may_put(docs, doc, signer, own), signing_class
        for other in SIGNING_CLASSES:
            if other != signing_class:
                theirs = f"arn:aws:s3:::{archive}/release-records/{other}/x/job-1/product.tar.json"
                assert not may_put(docs, doc, signer, theirs), (signing_class, other)
        assert not may_put(docs, doc, signer, f"arn:aws:s3:::{archive}/cloudtrail/AWSLogs/x.json.gz")
