"""Passing and failing resources for the update repositories' guardrails
(tcenter/guardrails/distribution.py), written the way a plan records them, like cases.py.

The passing repository is written here by hand from TUF's consistent-snapshot layout and AWS's
documented conditions (S3 user guide, "Enforce conditional writes"), not copied from
components/policies.py; each failing variant breaks one property a rule guards.
"""

from __future__ import annotations

import json
from typing import Any

from .cases import ACCOUNT, Case, _bucket, doc, resource
from .transparency_cases import deny, replaced, without

BUCKET = "tc-1-dev-dist-products"
OBJECTS = f"arn:aws:s3:::{BUCKET}"
PUBLISHER = f"arn:aws:iam::{ACCOUNT}:role/tc-dev-dist-signer"
OTHER = f"arn:aws:iam::{ACCOUNT}:role/tc-dev-signer-products"
CDN = f"arn:aws:cloudfront::{ACCOUNT}:distribution/E1"

GOOD_POLICY = [
    deny("OnlyPublisherWrites", ["s3:PutObject", "s3:ReplicateObject"], [f"{OBJECTS}/*"], condition={"ArnNotEquals": {"aws:PrincipalArn": PUBLISHER}}),
    deny("CreateOnly", ["s3:PutObject"], not_resources=[f"{OBJECTS}/metadata/timestamp.json"],
         condition={"Null": {"s3:if-none-match": "true"}, "Bool": {"s3:ObjectCreationOperation": "true"}}),
    deny("OnlyPublisherDeletes", ["s3:DeleteObject", "s3:DeleteObjectVersion"], [f"{OBJECTS}/*"],
         condition={"ArnNotEquals": {"aws:PrincipalArn": PUBLISHER}}),
    {"Sid": "Cdn", "Effect": "Allow", "Principal": {"Service": "cloudfront.amazonaws.com"}, "Action": ["s3:GetObject"],
     "Resource": [f"{OBJECTS}/*"], "Condition": {"StringEquals": {"aws:SourceArn": CDN}}},
]


def repository(stack: str, *statements: dict[str, Any]) -> list[dict[str, Any]]:
    bucket = _bucket(stack, BUCKET, tags={"distribution": "repository"})
    policy = resource(stack, "aws:s3/bucketPolicy:BucketPolicy", "case-dist-policy",
                      {"bucket": BUCKET, "policy": doc(*statements)}, deps={"bucket": [bucket["urn"]]})
    return [bucket, policy]


def online_key(stack: str, signer: str = PUBLISHER, spec: str = "ECC_NIST_P256", **inputs: Any) -> dict[str, Any]:
    sign = {"Sid": "PublisherSigns", "Effect": "Allow", "Principal": {"AWS": signer}, "Action": ["kms:Sign"], "Resource": "*"}
    deny_others = {"Sid": "DenySignToOthers", "Effect": "Deny", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                   "Action": ["kms:Sign"], "Resource": "*", "Condition": {"ArnNotEquals": {"aws:PrincipalArn": signer}}}
    return resource(stack, "aws:kms/key:Key", "case-online-key",
                    {"keyUsage": "SIGN_VERIFY", "customerMasterKeySpec": spec, "multiRegion": False,
                     "policy": doc(sign, deny_others), "tags": {"distribution": "online-key", "tuf-role": "timestamp"},
                     **inputs})


def build_cases() -> list[Case]:
    d = "dev"
    good = repository(d, *GOOD_POLICY)
    cases = [
        Case("dist-anyone-with-iam-writes", "dist-publisher-only", good, repository(d, *without(GOOD_POLICY, "OnlyPublisherWrites"))),
        Case("dist-two-writers", "dist-publisher-only", good, repository(d, *replaced(
            GOOD_POLICY, "OnlyPublisherWrites", Condition={"ArnNotEquals": {"aws:PrincipalArn": [PUBLISHER, OTHER]}}))),
        Case("dist-overwritable", "dist-publisher-only", good, repository(d, *without(GOOD_POLICY, "CreateOnly"))),
        Case("dist-snapshots-overwritable", "dist-publisher-only", good, repository(d, *replaced(
            GOOD_POLICY, "CreateOnly", NotResource=None, Resource=[f"{OBJECTS}/targets/*"]))),
        Case("dist-anyone-deletes", "dist-publisher-only", good, repository(d, *without(GOOD_POLICY, "OnlyPublisherDeletes"))),
        Case("dist-public-read", "dist-publisher-only", good, repository(d, *GOOD_POLICY, {
            "Sid": "Public", "Effect": "Allow", "Principal": "*", "Action": ["s3:GetObject"], "Resource": [f"{OBJECTS}/*"]})),
        Case("dist-any-cloudfront-reads", "dist-publisher-only", good, repository(d, *replaced(GOOD_POLICY, "Cdn", Condition=None))),
        Case("dist-policy-grants-writes", "dist-publisher-only", good, repository(d, *GOOD_POLICY, {
            "Sid": "Grant", "Effect": "Allow", "Principal": {"AWS": PUBLISHER}, "Action": ["s3:PutObject"],
            "Resource": [f"{OBJECTS}/*"]})),
        Case("dist-no-policy", "dist-publisher-only", good, good[:1]),
        Case("dist-key-of-another-signer", "dist-online-keys", [*good, online_key(d)], [*good, online_key(d, signer=OTHER)]),
        Case("dist-key-ed25519", "dist-online-keys", [*good, online_key(d)], [*good, online_key(d, spec="ECC_NIST_EDWARDS25519")]),
        Case("dist-key-p521", "dist-online-keys", [*good, online_key(d)], [*good, online_key(d, spec="ECC_NIST_P521")]),
        Case("dist-key-multi-region", "dist-online-keys", [*good, online_key(d)], [*good, online_key(d, multiRegion=True)]),
    ]
    return cases


CASES = build_cases()
assert all(json.dumps(r) for c in CASES for r in c.passing + c.failing)
