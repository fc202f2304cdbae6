"""Guardrails of the update repositories (issue 26; docs/distribution.md), read from each
repository bucket's policy and the online TUF keys' policies:

- `dist-publisher-only`: one principal, the same for every repository, writes and deletes its
  objects (named-principal Denies: an administrator's IAM Allow opens nothing); every object but
  `metadata/timestamp.json` is create-only; the bucket policy grants no write and no public read
  (customers read only through the one CloudFront distribution its `aws:SourceArn` names);
- `dist-online-keys`: the snapshot, timestamp and class-role keys are asymmetric P-256/P-384
  SIGN_VERIFY keys (what securesystemslib's AWS KMS signer signs with), single-Region, and their
  policies deny kms:Sign to every principal but the one that writes the repositories.

Found by the `distribution` tag (the component sets it). Pure, like every guardrail module.
"""

from __future__ import annotations

from typing import Iterator, Mapping

from .model import (
    BUCKET_TYPES, Resource, Rule, Stack, actions_match, admitted_principals, as_list, bucket_name_of,
    create_only, dig, is_unknown, parse_document, statements, tags_of,
)


TAG, BUCKET, KEY = "distribution", "repository", "online-key"
MUTABLE = "metadata/timestamp.json"
IMMUTABLE_SAMPLES = ("metadata/1.root.json", "metadata/7.snapshot.json", "metadata/7.products-bin-0a.json",
                     "targets/policy.json", "targets/products/0f1e2d.product-2.4.tar", "anything/else")
SIGNER_KEY_SPECS = ("ECC_NIST_P256", "ECC_NIST_P384")
"""securesystemslib 1.x AWSSigner: ecdsa-sha2-nistp256/384 (P-521 and Ed25519 are not supported)."""
BUCKET_POLICY_TYPE = "aws:s3/bucketPolicy:BucketPolicy"


def repository_buckets(stack: Stack) -> list[Resource]:
    return [b for b in stack.of_type(*BUCKET_TYPES) if tags_of(b).get(TAG) == BUCKET]


def online_keys(stack: Stack) -> list[Resource]:
    return [k for k in stack.of_type("aws:kms/key:Key") if tags_of(k).get(TAG) == KEY]


def _policy(stack: Stack, bucket: Resource) -> tuple[Resource | None, dict | None]:
    for policy in stack.of_type(BUCKET_POLICY_TYPE):
        if bucket in stack.referenced(policy, "bucket", *BUCKET_TYPES):
            return policy, parse_document(policy.inputs.get("policy"))
    return None, None


def _object(bucket: Resource, key: str) -> str:
    return f"arn:aws:s3:::{bucket_name_of(bucket)}/{key}"






def _public(statement: Mapping) -> bool:
    principal = statement.get("Principal")
    if principal == "*":
        return True
    return isinstance(principal, Mapping) and "*" in as_list(principal.get("AWS"))


def stack_publisher_only(stack: Stack) -> Iterator[tuple[Resource, str]]:
    writers: set[str] = set()
    for bucket in repository_buckets(stack):
        holder, document = _policy(stack, bucket)
        if holder is not None and is_unknown(holder.inputs.get("policy")):
            continue
        if document is None:
            yield bucket, "the update repository has no bucket policy: any principal with an IAM grant writes it"
            continue
        for key in (MUTABLE, *IMMUTABLE_SAMPLES):
            for action in ("s3:PutObject", "s3:ReplicateObject", "s3:DeleteObject"):
                admitted = admitted_principals(document, _object(bucket, key), action)
                if admitted is None:
                    yield bucket, f"{action} on {key}: no Deny names who may, so any principal with an IAM grant may"
                elif len(admitted) > 1:
                    yield bucket, f"{action} on {key}: {sorted(admitted)}; exactly one principal (the publisher) may"
                else:
                    writers |= admitted
            if key != MUTABLE and not create_only(document, _object(bucket, key)):
                yield bucket, (f"{key} can be overwritten: consistent snapshots never replace a file, so every object "
                               "but metadata/timestamp.json must be create-only (If-None-Match)")
        for statement in statements(document):
            if statement.get("Effect") != "Allow":
                continue
            sid = statement.get("Sid", "?")
            if actions_match(statement.get("Action"), "s3:PutObject"):
                yield bucket, f"statement {sid!r} grants s3:PutObject in the bucket policy"
            if _public(statement):
                yield bucket, f"statement {sid!r} opens the repository to every principal; customers read through the CDN"
            services = as_list(dig(statement, "Principal", "Service"))
            if "cloudfront.amazonaws.com" in services and not dig(statement, "Condition", "StringEquals", "aws:SourceArn"):
                yield bucket, f"statement {sid!r} lets any CloudFront distribution read; name the one (aws:SourceArn)"
    if len(writers) > 1:
        yield repository_buckets(stack)[0], f"the repositories have different writers {sorted(writers)}; one publisher writes all"


DIST_PUBLISHER_ONLY = Rule(
    "dist-publisher-only", "center:update-repositories (TUF consistent snapshots; no FSBP/checkov check)",
    "One principal, the publisher, writes and deletes every update repository's objects; every object but "
    "metadata/timestamp.json is create-only; the bucket policy grants no write and no public read (only the "
    "repository's own CloudFront distribution reads).",
    stack_check=stack_publisher_only,
)


def stack_online_keys(stack: Stack) -> Iterator[tuple[Resource, str]]:
    writers: set[str] = set()
    for bucket in repository_buckets(stack):
        _, document = _policy(stack, bucket)
        if document is not None:
            admitted = admitted_principals(document, _object(bucket, MUTABLE))
            writers |= admitted or set()
    for key in online_keys(stack):
        spec = key.inputs.get("customerMasterKeySpec")
        if not is_unknown(spec) and spec not in SIGNER_KEY_SPECS:
            yield key, (f"key spec {spec}: the TUF online roles sign through securesystemslib's AWS KMS signer, "
                        f"which signs with {list(SIGNER_KEY_SPECS)} only")
        if key.inputs.get("keyUsage") != "SIGN_VERIFY":
            yield key, f"key usage {key.inputs.get('keyUsage')}; an online TUF key is SIGN_VERIFY"
        if key.inputs.get("multiRegion"):
            yield key, "a multi-Region key leaves Zurich"
        policy = key.inputs.get("policy")
        if is_unknown(policy):
            continue
        signers = admitted_principals(parse_document(policy), "*", "kms:Sign")
        if signers is None or len(signers) != 1:
            yield key, f"its policy does not deny kms:Sign to all but one principal (got {signers})"
        elif writers and signers != writers:
            yield key, f"signs for {sorted(signers)}, but {sorted(writers)} writes the repositories"


DIST_ONLINE_KEYS = Rule(
    "dist-online-keys", "center:update-repositories (online TUF roles in KMS; no FSBP/checkov check)",
    "The snapshot, timestamp and class-role keys are single-Region P-256/P-384 SIGN_VERIFY keys whose policies "
    "deny kms:Sign to every principal but the publisher.",
    stack_check=stack_online_keys,
)


