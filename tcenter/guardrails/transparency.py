"""Guardrails of the transparency log (issue 25): what `tcenter check` and the policy pack hold
every plan to, read from the log bucket's policy, its lock and lifecycle, the checkpoint key's
policy and the roles' own policies.

- `tlog-create-only`: every object but the checkpoint is create-only (a PUT or a completed
  multipart upload without `If-None-Match` is denied), the checkpoint is written only with a
  precondition, nothing is deleted, unlocked or expired, and the bucket is locked (COMPLIANCE
  in prod);
- `tlog-sequencer-only`: one principal, and the same one, may write tiles, the checkpoint and
  the signed checkpoints (`checkpoints/<size>`) and sign with the checkpoint key; nothing
  outside the log's layout is writable; no role policy but the sequencer's grants writes to them;
- `tlog-cosignatures-own-prefix`: every organization's cosignature prefix admits exactly that
  organization's own witness role, every witness role has its prefix, and no role policy grants
  writes to another organization's prefix.

The log's bucket and checkpoint key are found by their `transparency-log` tag (the component
sets it; a plan without one has no log and nothing to judge). Pure, like every guardrail module.
"""

from __future__ import annotations

from typing import Iterator, Mapping

from .model import (
    BUCKET_TYPES, LOCK_TYPES, Resource, Rule, Stack, actions_match, admitted_principals, as_list, bucket_name_of,
    covers_resource, create_only, denies_to_everyone, dig, is_unknown, lowered_conditions, parse_document,
    spared_principals, statements, tags_of,
)

LOG_TAG = "transparency-log"
LOG_BUCKET, CHECKPOINT_KEY_TAG = "log-bucket", "checkpoint-key"
CHECKPOINT = "checkpoint"
TILE_SAMPLES = ("tile/0/000", "tile/0/x001/234.p/17", "tile/3/000", "tile/entries/000", "tile/entries/x002/005.p/9")
"""Object keys of the tlog-tiles layout the rules try (full and partial tiles and entry bundles)."""
HISTORY_SAMPLES = ("checkpoints/1", "checkpoints/70000")
"""Every checkpoint the log signed (`checkpoints/<size>`): create-only, the sequencer's alone."""
COSIGNATURES = "cosignatures/"
STRAY_SAMPLES = ("index.html", "proof/1", "cosignatures/not-an-organization/1", "tile")
UNLOCKING_ACTIONS = ("s3:DeleteObject", "s3:DeleteObjectVersion", "s3:BypassGovernanceRetention",
                     "s3:PutObjectRetention")
BUCKET_POLICY_TYPE = "aws:s3/bucketPolicy:BucketPolicy"
LIFECYCLE_TYPES = ("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
                   "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2")
KEY_TYPES = ("aws:kms/key:Key",)
ROLE_POLICY_TYPES = ("aws:iam/rolePolicy:RolePolicy",)
ORGANIZATION_TAG = "reviewer-organization"


# --- reading a bucket policy -----------------------------------------------------------------















def _needs_precondition(statement: Mapping) -> bool:
    conditions = lowered_conditions(statement)
    null = conditions.get("null") or {}
    return (null in ({"s3:if-none-match": "true"}, {"s3:if-none-match": "true", "s3:if-match": "true"})
            and str(dig(conditions, "bool", "s3:objectcreationoperation")).lower() == "true"
            and set(conditions) == {"null", "bool"})


# --- finding the log -------------------------------------------------------------------------

def log_buckets(stack: Stack) -> list[Resource]:
    return [b for b in stack.of_type(*BUCKET_TYPES) if tags_of(b).get(LOG_TAG) == LOG_BUCKET]


def checkpoint_keys(stack: Stack) -> list[Resource]:
    return [k for k in stack.of_type(*KEY_TYPES) if tags_of(k).get(LOG_TAG) == CHECKPOINT_KEY_TAG]


def _attached(stack: Stack, bucket: Resource, *types: str) -> list[Resource]:
    return [r for r in stack.of_type(*types) if bucket in stack.referenced(r, "bucket", *BUCKET_TYPES)]


def _bucket_policy(stack: Stack, bucket: Resource) -> tuple[Resource | None, dict | None]:
    for policy in _attached(stack, bucket, BUCKET_POLICY_TYPE):
        return policy, parse_document(policy.inputs.get("policy"))
    return None, None


def _object(bucket: Resource, key: str) -> str:
    return f"arn:aws:s3:::{bucket_name_of(bucket)}/{key}"


def _role_arns(stack: Stack) -> dict[str, Resource]:
    return {str(r.state.get("arn")): r for r in stack.of_type("aws:iam/role:Role") if r.state.get("arn")}


def _witness_roles(stack: Stack) -> dict[str, Resource]:
    """Organization -> its witness role (tagged with the organization and `role: witness`)."""
    return {tags_of(r)[ORGANIZATION_TAG]: r for r in stack.of_type("aws:iam/role:Role")
            if tags_of(r).get("role") == "witness" and ORGANIZATION_TAG in tags_of(r)}


def _unknown(document_holder: Resource | None) -> bool:
    return document_holder is not None and is_unknown(document_holder.inputs.get("policy"))


# --- tlog-create-only ------------------------------------------------------------------------

def stack_create_only(stack: Stack) -> Iterator[tuple[Resource, str]]:
    for bucket in log_buckets(stack):
        policy, document = _bucket_policy(stack, bucket)
        if _unknown(policy):
            continue
        if document is None:
            yield bucket, "the transparency log has no bucket policy: tiles and cosignatures can be overwritten"
            continue
        organizations = sorted(_witness_roles(stack))
        immutable = [*TILE_SAMPLES, *HISTORY_SAMPLES, *(f"{COSIGNATURES}{org}/1" for org in organizations)]
        for key in immutable:
            if not create_only(document, _object(bucket, key)):
                yield bucket, (f"{key} can be overwritten: no Deny of s3:PutObject without If-None-Match "
                               "(s3:if-none-match null, s3:ObjectCreationOperation true) covers it")
        if not any(_needs_precondition(s) for s in denies_to_everyone(document, "s3:PutObject", _object(bucket, CHECKPOINT))):
            yield bucket, ("the checkpoint can be overwritten without a precondition: deny PutObject without "
                           "If-None-Match or If-Match")
        for action in UNLOCKING_ACTIONS:
            if not any(spared_principals(s) == set() for s in denies_to_everyone(document, action, _object(bucket, "tile/0/000"))):
                yield bucket, f"{action} is not denied to everyone: a log object could be removed or unlocked"
        locks = _attached(stack, bucket, *LOCK_TYPES)
        if not locks:
            yield bucket, "the transparency log has no default Object Lock retention"
        for lock in locks:
            mode = dig(lock.inputs, "rule", "defaultRetention", "mode")
            if stack.is_prod and not is_unknown(mode) and mode != "COMPLIANCE":
                yield bucket, f"prod's transparency log is locked in {mode}; COMPLIANCE keeps even root from shortening it"
        for lifecycle in _attached(stack, bucket, *LIFECYCLE_TYPES):
            for rule in as_list(lifecycle.inputs.get("rules")):
                if str(dig(rule, "status")) != "Enabled":
                    continue
                if dig(rule, "expiration") or dig(rule, "noncurrentVersionExpiration"):
                    yield bucket, (f"lifecycle rule {dig(rule, 'id')!r} expires log objects or old checkpoints: "
                                   "the log keeps every version")


TLOG_CREATE_ONLY = Rule(
    "tlog-create-only", "center:transparency-log (C2SP tlog-tiles: tiles are immutable; no FSBP/checkov check)",
    "The transparency log is append-only: every object but the checkpoint is create-only, the checkpoint is "
    "replaced only with a precondition, nothing is deleted, unlocked or expired, and the bucket is locked "
    "(COMPLIANCE in prod).",
    stack_check=stack_create_only,
)


# --- tlog-sequencer-only ---------------------------------------------------------------------

def _sign_admitted(key: Resource) -> set[str] | None:
    document = parse_document(key.inputs.get("policy"))
    return admitted_principals(document, "*", "kms:Sign") if document else None


def _grants_write(document: Mapping | None, arn: str) -> bool:
    return any(s.get("Effect") == "Allow" and actions_match(s.get("Action"), "s3:PutObject") and covers_resource(s, arn)
               for s in statements(document))


def stack_sequencer_only(stack: Stack) -> Iterator[tuple[Resource, str]]:
    keys = checkpoint_keys(stack)
    for bucket in log_buckets(stack):
        policy, document = _bucket_policy(stack, bucket)
        if _unknown(policy) or document is None:
            continue  # tlog-create-only reports a missing policy
        writers: set[str] = set()
        for key in (CHECKPOINT, *TILE_SAMPLES, *HISTORY_SAMPLES):
            admitted = admitted_principals(document, _object(bucket, key))
            if admitted is None:
                yield bucket, f"{key}: no Deny names who may write it, so any principal with an IAM grant may"
            elif len(admitted) != 1:
                yield bucket, f"{key}: writable by {sorted(admitted)}; exactly one principal (the sequencer) may write"
            else:
                writers |= admitted
        if len(writers) > 1:
            yield bucket, f"tiles and the checkpoint have different writers {sorted(writers)}; one sequencer writes both"
        for key in STRAY_SAMPLES:
            if admitted_principals(document, _object(bucket, key)) != set():
                yield bucket, f"{key} is writable: nothing outside the log's layout may be written"
        for statement in statements(document):
            if statement.get("Effect") == "Allow" and actions_match(statement.get("Action"), "s3:PutObject"):
                yield bucket, f"statement {statement.get('Sid', '?')!r} grants s3:PutObject in the bucket policy"
        sequencer = next(iter(writers)) if len(writers) == 1 else None
        for key in keys:
            if is_unknown(key.inputs.get("policy")):
                continue
            signers = _sign_admitted(key)
            if signers is None or len(signers) != 1:
                yield key, f"the checkpoint key's policy does not deny kms:Sign to all but one principal (got {signers})"
            elif sequencer is not None and signers != {sequencer}:
                yield key, f"the checkpoint key signs for {sorted(signers)}, but {sequencer} writes the checkpoint"
        roles = _role_arns(stack)
        for role_policy in stack.of_type(*ROLE_POLICY_TYPES):
            role = str(role_policy.inputs.get("role", ""))
            if is_unknown(role) or sequencer is None:
                continue
            arns = [arn for arn, r in roles.items() if r.inputs.get("name") == role]
            granted = parse_document(role_policy.inputs.get("policy"))
            if sequencer not in arns and any(_grants_write(granted, _object(bucket, k))
                                             for k in (CHECKPOINT, *TILE_SAMPLES, *HISTORY_SAMPLES)):
                yield role_policy, f"grants {role} writes to the log's tiles or checkpoint; only the sequencer writes them"
    if keys and not log_buckets(stack):
        yield keys[0], "a checkpoint key without a transparency log bucket"


TLOG_SEQUENCER_ONLY = Rule(
    "tlog-sequencer-only", "center:transparency-log (one writer, one signer; no FSBP/checkov check)",
    "Exactly one principal, the sequencer, writes the log's tiles and checkpoint and signs with its checkpoint key; "
    "nothing outside the log's layout is writable and no other role is granted those writes.",
    stack_check=stack_sequencer_only,
)


# --- tlog-cosignatures-own-prefix ------------------------------------------------------------

def stack_cosignatures(stack: Stack) -> Iterator[tuple[Resource, str]]:
    witnesses = _witness_roles(stack)
    for bucket in log_buckets(stack):
        policy, document = _bucket_policy(stack, bucket)
        if _unknown(policy) or document is None:
            continue
        for organization, role in sorted(witnesses.items()):
            arn = str(role.state.get("arn", ""))
            sample = _object(bucket, f"{COSIGNATURES}{organization}/1")
            admitted = admitted_principals(document, sample)
            if admitted != {arn}:
                yield bucket, (f"{COSIGNATURES}{organization}/ is writable by "
                               f"{'any principal with an IAM grant' if admitted is None else sorted(admitted)}; "
                               f"only {organization}'s witness role may write it")
        for role_policy in stack.of_type(*ROLE_POLICY_TYPES):
            role_name = role_policy.inputs.get("role")
            granted = parse_document(role_policy.inputs.get("policy"))
            if not isinstance(role_name, str) or is_unknown(role_name) or granted is None:
                continue
            own = next((org for org, r in witnesses.items() if r.inputs.get("name") == role_name), None)
            for organization in witnesses:
                if organization != own and _grants_write(granted, _object(bucket, f"{COSIGNATURES}{organization}/1")):
                    yield role_policy, (f"grants {role_name} writes to {organization}'s cosignatures; "
                                        "each organization writes only its own")


TLOG_COSIGNATURES_OWN_PREFIX = Rule(
    "tlog-cosignatures-own-prefix", "center:transparency-log (independent witnesses; no FSBP/checkov check)",
    "Each reviewer organization's cosignature prefix is writable by its own witness role only, and no role "
    "policy grants writes to another organization's cosignatures.",
    stack_check=stack_cosignatures,
)


