"""Passing and failing resources for the transparency log's guardrails
(tcenter/guardrails/transparency.py), written the way a plan records them, like cases.py.

The passing log is written here by hand from the C2SP layout and AWS's documented conditions
(S3 user guide, "Enforce conditional writes"), not copied from components/policies.py; each
failing variant breaks one property a rule guards.
"""

from __future__ import annotations

import json
from typing import Any

from .cases import ACCOUNT, Case, _bucket, _lock, _role, _role_policy, doc, resource

BUCKET = "tc-1-dev-transparency-log"
OBJECTS = f"arn:aws:s3:::{BUCKET}"
SEQUENCER = f"arn:aws:iam::{ACCOUNT}:role/tc-dev-log-signer"
ORGS = ("lab-a", "lab-b")


def witness_arn(org: str) -> str:
    return f"arn:aws:iam::{ACCOUNT}:role/tc-dev-witness-{org}"


def deny(sid: str, actions: list[str], resources: list[str] | None = None, *, not_resources: list[str] | None = None,
         condition: dict[str, Any] | None = None) -> dict[str, Any]:
    statement: dict[str, Any] = {"Sid": sid, "Effect": "Deny", "Principal": {"AWS": "*"}, "Action": actions}
    if not_resources is not None:
        statement["NotResource"] = not_resources
    else:
        statement["Resource"] = resources
    if condition:
        statement["Condition"] = condition
    return statement


SEQUENCER_OBJECTS = [f"{OBJECTS}/checkpoint", f"{OBJECTS}/tile/*", f"{OBJECTS}/checkpoints/*"]
COSIGNATURE_OBJECTS = [f"{OBJECTS}/cosignatures/{org}/*" for org in ORGS]
ONLY_SEQUENCER = deny("OnlySequencer", ["s3:PutObject"], SEQUENCER_OBJECTS,
                      condition={"ArnNotEquals": {"aws:PrincipalArn": SEQUENCER}})
OWN_PREFIXES = [deny(f"OnlyWitness{i}", ["s3:PutObject"], [f"{OBJECTS}/cosignatures/{org}/*"],
                     condition={"ArnNotEquals": {"aws:PrincipalArn": witness_arn(org)}}) for i, org in enumerate(ORGS)]
LAYOUT = deny("Layout", ["s3:PutObject"], not_resources=SEQUENCER_OBJECTS + COSIGNATURE_OBJECTS)
CREATE_ONLY = deny("CreateOnly", ["s3:PutObject"], not_resources=[f"{OBJECTS}/checkpoint"],
                   condition={"Null": {"s3:if-none-match": "true"}, "Bool": {"s3:ObjectCreationOperation": "true"}})
CHECKPOINT_CAS = deny("CheckpointPrecondition", ["s3:PutObject"], [f"{OBJECTS}/checkpoint"],
                      condition={"Null": {"s3:if-none-match": "true", "s3:if-match": "true"},
                                 "Bool": {"s3:ObjectCreationOperation": "true"}})
NO_DELETES = deny("NoDeletes", ["s3:DeleteObject", "s3:DeleteObjectVersion", "s3:BypassGovernanceRetention",
                                "s3:PutObjectRetention"], [f"{OBJECTS}/*"])
GOOD_POLICY = [ONLY_SEQUENCER, *OWN_PREFIXES, LAYOUT, CREATE_ONLY, CHECKPOINT_CAS, NO_DELETES]


def log_bucket(stack: str = "dev") -> dict[str, Any]:
    return _bucket(stack, BUCKET, objectLockEnabled=True, tags={"purpose": "audit", "transparency-log": "log-bucket"})


def bucket_policy(stack: str, bucket: dict[str, Any], *statements: dict[str, Any]) -> dict[str, Any]:
    return resource(stack, "aws:s3/bucketPolicy:BucketPolicy", "case-log-policy",
                    {"bucket": BUCKET, "policy": doc(*statements)}, deps={"bucket": [bucket["urn"]]})


def checkpoint_key(stack: str, signer: str = SEQUENCER) -> dict[str, Any]:
    sign = {"Sid": "SequencerSigns", "Effect": "Allow", "Principal": {"AWS": signer}, "Action": ["kms:Sign"], "Resource": "*"}
    deny_others = {"Sid": "DenySignToOthers", "Effect": "Deny", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                   "Action": ["kms:Sign"], "Resource": "*", "Condition": {"ArnNotEquals": {"aws:PrincipalArn": signer}}}
    return resource(stack, "aws:kms/key:Key", "case-checkpoint-key",
                    {"keyUsage": "SIGN_VERIFY", "customerMasterKeySpec": "ECC_NIST_EDWARDS25519", "multiRegion": False,
                     "policy": doc(sign, deny_others), "tags": {"transparency-log": "checkpoint-key"}})


def witness_roles(stack: str) -> list[dict[str, Any]]:
    return [_role(stack, f"tc-dev-witness-{org}", tags={"reviewer-organization": org, "role": "witness"}) for org in ORGS]


def lifecycle(stack: str, bucket: dict[str, Any], **rule: Any) -> dict[str, Any]:
    return resource(stack, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "case-log-lifecycle",
                    {"bucket": BUCKET, "rules": [{"id": "retention", "status": "Enabled", "filter": {}, **rule}]},
                    deps={"bucket": [bucket["urn"]]})


def without(statements: list[dict[str, Any]], sid: str) -> list[dict[str, Any]]:
    return [s for s in statements if s["Sid"] != sid]


def replaced(statements: list[dict[str, Any]], sid: str, **changes: Any) -> list[dict[str, Any]]:
    """The statements with `sid` changed; a change to None removes the element."""
    def change(s: dict[str, Any]) -> dict[str, Any]:
        merged = {**s, **changes}
        return {k: v for k, v in merged.items() if v is not None}
    return [change(s) if s["Sid"] == sid else s for s in statements]


def _log(stack: str, *statements: dict[str, Any], lock: str = "GOVERNANCE") -> list[dict[str, Any]]:
    bucket = log_bucket(stack)
    return [bucket, _lock(stack, bucket, lock), bucket_policy(stack, bucket, *statements)]


def build_cases() -> list[Case]:
    d, p = "dev", "zurich-prod"
    cases: list[Case] = []
    add = cases.append
    good = _log(d, *GOOD_POLICY)
    extra = [*witness_roles(d), checkpoint_key(d)]

    # tlog-create-only
    add(Case("tlog-tiles-overwritable", "tlog-create-only", good, _log(d, *without(GOOD_POLICY, "CreateOnly")), extra=extra))
    add(Case("tlog-create-only-only-for-tiles", "tlog-create-only", good,
             _log(d, *replaced(GOOD_POLICY, "CreateOnly", NotResource=None, Resource=[f"{OBJECTS}/tile/*"])), extra=extra))
    add(Case("tlog-create-only-wrong-condition", "tlog-create-only", good,
             _log(d, *replaced(GOOD_POLICY, "CreateOnly", Condition={"Null": {"s3:if-none-match": "true"}})), extra=extra))
    add(Case("tlog-checkpoint-without-precondition", "tlog-create-only", good,
             _log(d, *without(GOOD_POLICY, "CheckpointPrecondition")), extra=extra))
    add(Case("tlog-deletes-allowed", "tlog-create-only", good, _log(d, *without(GOOD_POLICY, "NoDeletes")), extra=extra))
    add(Case("tlog-deletes-denied-only-outside-vpc", "tlog-create-only", good,
             _log(d, *replaced(GOOD_POLICY, "NoDeletes", Condition={"StringNotEquals": {"aws:SourceVpce": "vpce-1"}})),
             extra=extra))
    add(Case("tlog-no-bucket-policy", "tlog-create-only", good, good[:2], extra=extra))
    add(Case("tlog-old-checkpoints-expire", "tlog-create-only", [*good, lifecycle(d, good[0])],
             [*good, lifecycle(d, good[0], noncurrentVersionExpiration={"noncurrentDays": 90})], extra=extra))
    prod_good = _log(p, *GOOD_POLICY, lock="COMPLIANCE")
    add(Case("tlog-prod-governance", "tlog-create-only", prod_good, _log(p, *GOOD_POLICY, lock="GOVERNANCE"),
             stack=p, extra=[*witness_roles(p), checkpoint_key(p)]))

    # tlog-sequencer-only
    add(Case("tlog-anyone-with-iam-writes-tiles", "tlog-sequencer-only", good,
             _log(d, *without(GOOD_POLICY, "OnlySequencer")), extra=extra))
    add(Case("tlog-two-writers", "tlog-sequencer-only", good,
             _log(d, *replaced(GOOD_POLICY, "OnlySequencer",
                               Condition={"ArnNotEquals": {"aws:PrincipalArn": [SEQUENCER, witness_arn("lab-a")]}})),
             extra=extra))
    add(Case("tlog-stray-prefix-writable", "tlog-sequencer-only", good, _log(d, *without(GOOD_POLICY, "Layout")),
             extra=extra))
    # The signed checkpoints (checkpoints/<size>) left out of the sequencer's Deny: any role
    # with an IAM grant could add a checkpoint the log never signed next to the real ones.
    add(Case("tlog-signed-checkpoints-open", "tlog-sequencer-only", good,
             _log(d, *replaced(GOOD_POLICY, "OnlySequencer", Resource=SEQUENCER_OBJECTS[:2])), extra=extra))
    add(Case("tlog-bucket-policy-grants-writes", "tlog-sequencer-only", good,
             _log(d, *GOOD_POLICY, {"Sid": "Grant", "Effect": "Allow", "Principal": {"AWS": witness_arn("lab-a")},
                                    "Action": ["s3:PutObject"], "Resource": [f"{OBJECTS}/tile/*"]}), extra=extra))
    add(Case("tlog-another-role-signs-checkpoints", "tlog-sequencer-only", [*good, checkpoint_key(d)],
             [*good, checkpoint_key(d, signer=f"arn:aws:iam::{ACCOUNT}:role/tc-dev-signer-products")],
             extra=witness_roles(d)))
    sequencer = _role(d, "tc-dev-log-signer")
    builder = _role(d, "tc-dev-build-products-1")
    tile_grant = {"Sid": "WriteTiles", "Effect": "Allow", "Action": ["s3:PutObject"], "Resource": [f"{OBJECTS}/tile/*"]}
    add(Case("tlog-role-policy-grants-tiles", "tlog-sequencer-only",
             [*good, sequencer, _role_policy(d, sequencer, "write-log", tile_grant)],
             [*good, builder, _role_policy(d, builder, "write-log", tile_grant)], extra=extra))

    # tlog-cosignatures-own-prefix
    add(Case("tlog-cosignatures-open", "tlog-cosignatures-own-prefix", good,
             _log(d, *without(GOOD_POLICY, "OnlyWitness0")), extra=extra))
    add(Case("tlog-cosignatures-other-org", "tlog-cosignatures-own-prefix", good,
             _log(d, *replaced(GOOD_POLICY, "OnlyWitness0",
                               Condition={"ArnNotEquals": {"aws:PrincipalArn": witness_arn("lab-b")}})), extra=extra))
    lab_a, lab_b = witness_roles(d)
    own = {"Sid": "Own", "Effect": "Allow", "Action": ["s3:PutObject"], "Resource": [f"{OBJECTS}/cosignatures/lab-a/*"]}
    every = {**own, "Resource": [f"{OBJECTS}/cosignatures/*"]}
    add(Case("tlog-role-policy-other-prefix", "tlog-cosignatures-own-prefix",
             [*good, _role_policy(d, lab_a, "cosign", own)], [*good, _role_policy(d, lab_a, "cosign", every)],
             extra=[lab_a, lab_b, checkpoint_key(d)]))
    return cases


CASES = build_cases()
"""Every case; `json.dumps`-able like the plan file records resources."""
assert all(json.dumps(r) for c in CASES for r in c.passing + c.failing)
