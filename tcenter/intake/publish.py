"""The approval pipeline's last step: put a quorum-approved bundle where the brokers read it.

The bundle is published only once its rule set is in the transparency log with enough
witnesses' cosignatures (tcenter/intake/bundle.py, commands.run_publish).
`rules/sets/<hex digest>.json` keeps every published set (write-once: `If-None-Match: *`, and the
bucket policy refuses overwrites there); `rules/approved.json` is the current set (the bucket is
versioned and Object-Locked, so every earlier current set stays readable). Only the rule
publisher role may write under `rules/` (the intake bucket's policy).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from ..core.errors import InputError

APPROVED_KEY = "rules/approved.json"
HISTORY_PREFIX = "rules/sets/"


@dataclass(frozen=True)
class Published:
    bucket: str
    approved_key: str
    history_key: str
    history_written: bool
    """False when this digest was published before (the history object already existed)."""


def pending_name(entry: bytes) -> str:
    """The name of a log entry waiting for the sequencer (under tlog.PENDING_PREFIX): its SHA-256,
    so the same entry is left once and another one never takes its place."""
    return f"{hashlib.sha256(entry).hexdigest()}.entry"


def bundle_bytes(bundle: dict[str, Any]) -> bytes:
    return (json.dumps(bundle, sort_keys=True, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def publish(bundle: dict[str, Any], bucket: str, s3: Any) -> Published:
    """Write `bundle` (already verified by the caller) to the intake bucket with client `s3`."""
    body = bundle_bytes(bundle)
    history_key = f"{HISTORY_PREFIX}{str(bundle['digest']).removeprefix('sha256:')}.json"
    common = {"Bucket": bucket, "Body": body, "ContentType": "application/json", "ChecksumAlgorithm": "SHA256",
              "ServerSideEncryption": "aws:kms"}
    written = True
    try:
        s3.put_object(Key=history_key, IfNoneMatch="*", **common)
    except Exception as error:  # noqa: BLE001
        code = str((getattr(error, "response", None) or {}).get("Error", {}).get("Code", ""))
        if code != "PreconditionFailed":
            raise InputError(f"cannot publish to s3://{bucket}/{history_key}: {error}") from None
        written = False
    try:
        s3.put_object(Key=APPROVED_KEY, **common)
    except Exception as error:  # noqa: BLE001
        raise InputError(f"cannot publish to s3://{bucket}/{APPROVED_KEY}: {error}") from None
    return Published(bucket, APPROVED_KEY, history_key, written)
