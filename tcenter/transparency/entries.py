"""What the center logs: one canonical JSON object per log entry, with a `type` field.

Canonical form: UTF-8 JSON, keys sorted, no insignificant whitespace, no floats (integers,
strings, booleans, null, arrays, objects only), ASCII keys. For such values this is exactly
RFC 8785 (JCS), so any JCS library reproduces the bytes; `decode_entry` refuses bytes that are
not the canonical encoding of what they hold, so one entry has one byte string and one leaf hash.
An entry must fit an entry bundle: at most 65,535 bytes.

Types (version 1; a new field or meaning is a new type string):

`release` - every signed release and AV database
    class          "products" | "av-databases" (the signing key class)
    name           the released file's name
    sha256         hex SHA-256 of the released file (what a client hashes)
    envelopeSha256 hex SHA-256 of its DSSE provenance envelope (NAME.intoto.json) as published
    sourceRevision the reviewed source commit (40 hex), sourceTree its git tree (40 hex)
    pool           the build pool; builders: the distinct builder identities that agreed, sorted
    keyId          the signing key's identifier (KMS key ARN or CloudHSM label)

`plan-approval` - every plan `tcenter up` applies, with the approvals that let it
    stack, planDigest (hex SHA-256 of the canonical plan), base (the revision approvers came from)
    approvals: [{organization, statement (base64 of the signed statement bytes),
                 signature (the ssh-keygen -Y sign armored signature)}], sorted by organization

`collection-rules` - every approved collection-rule set (intake, issue 27)
    version        the rule set's version (integer, increasing)
    rulesSha256    hex SHA-256 of the rule set document as approved
    ruleIds        the rule ids the set contains, sorted
    approvals      as for plan-approval

The log shows that these statements were signed and published, to everyone alike. It does not
judge them: a monitor (`tcenter log audit`, later) re-verifies each one.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from .errors import Malformed
from .tiles import MAX_ENTRY_BYTES

RELEASE = "release"
PLAN_APPROVAL = "plan-approval"
COLLECTION_RULES = "collection-rules"
SIGNING_CLASSES = ("products", "av-databases")

_HEX64 = re.compile(r"[0-9a-f]{64}")
_HEX40 = re.compile(r"[0-9a-f]{40}")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]{0,254}")


def canonical_json(value: Any) -> bytes:
    """The canonical bytes of `value` (sorted keys, no whitespace, UTF-8; no floats)."""
    _check_value(value, "$")
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8")


def _check_value(value: Any, where: str) -> None:
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return
    if isinstance(value, int):
        if abs(value) > (1 << 53) - 1:
            raise Malformed(f"{where}: integer {value} is beyond the range JSON numbers keep exactly")
        return
    if isinstance(value, float):
        raise Malformed(f"{where}: floats have no canonical form; use an integer or a string")
    if isinstance(value, list):
        for i, item in enumerate(value):
            _check_value(item, f"{where}[{i}]")
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str) or not key.isascii():
                raise Malformed(f"{where}: key {key!r} is not an ASCII string")
            _check_value(item, f"{where}.{key}")
        return
    raise Malformed(f"{where}: {type(value).__name__} is not a JSON value")


def _require(entry: Mapping[str, Any], fields: dict[str, Any], kind: str) -> None:
    missing = sorted(set(fields) - set(entry))
    extra = sorted(set(entry) - set(fields) - {"type"})
    if missing or extra:
        raise Malformed(f"{kind} entry: missing {missing} / unknown {extra} fields (has: {', '.join(sorted(fields))})")
    for key, check in fields.items():
        value = entry[key]
        ok = check(value) if callable(check) else isinstance(value, check)
        if not ok:
            raise Malformed(f"{kind} entry: field {key!r} has a wrong value {str(value)[:60]!r}")


def _hex64(v: Any) -> bool:
    return isinstance(v, str) and bool(_HEX64.fullmatch(v))


def _hex40(v: Any) -> bool:
    return isinstance(v, str) and bool(_HEX40.fullmatch(v))


def _sorted_unique_strings(v: Any) -> bool:
    return (isinstance(v, list) and all(isinstance(x, str) and x for x in v)
            and v == sorted(set(v)))


def _approvals(v: Any) -> bool:
    if not isinstance(v, list) or not v:
        return False
    orgs = []
    for a in v:
        if not isinstance(a, dict) or set(a) != {"organization", "statement", "signature"}:
            return False
        if not all(isinstance(a[k], str) and a[k] for k in a):
            return False
        orgs.append(a["organization"])
    return orgs == sorted(set(orgs))


_SCHEMAS: dict[str, dict[str, Any]] = {
    RELEASE: {
        "class": lambda v: v in SIGNING_CLASSES,
        "name": lambda v: isinstance(v, str) and bool(_NAME.fullmatch(v)),
        "sha256": _hex64,
        "envelopeSha256": _hex64,
        "sourceRevision": _hex40,
        "sourceTree": _hex40,
        "pool": lambda v: isinstance(v, str) and bool(_NAME.fullmatch(v)),
        "builders": lambda v: _sorted_unique_strings(v) and len(v) >= 1,
        "keyId": lambda v: isinstance(v, str) and bool(v),
    },
    PLAN_APPROVAL: {
        "stack": lambda v: isinstance(v, str) and bool(_NAME.fullmatch(v)),
        "planDigest": _hex64,
        "base": lambda v: isinstance(v, str) and bool(v),
        "approvals": _approvals,
    },
    COLLECTION_RULES: {
        "version": lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 1,
        "rulesSha256": _hex64,
        "ruleIds": lambda v: _sorted_unique_strings(v) and len(v) >= 1,
        "approvals": _approvals,
    },
}


def validate_entry(entry: Mapping[str, Any]) -> None:
    """Raise `Malformed` unless `entry` is a well-formed entry of a known type."""
    if not isinstance(entry, Mapping):
        raise Malformed("a log entry is a JSON object")
    kind = entry.get("type")
    schema = _SCHEMAS.get(kind)  # type: ignore[arg-type]
    if schema is None:
        raise Malformed(f"log entry type {kind!r} is not one of {', '.join(sorted(_SCHEMAS))}")
    _require(entry, schema, kind)  # type: ignore[arg-type]


def encode_entry(entry: Mapping[str, Any]) -> bytes:
    """The canonical bytes of a validated entry (what the log appends)."""
    validate_entry(entry)
    data = canonical_json(dict(entry))
    if len(data) > MAX_ENTRY_BYTES:
        raise Malformed(f"the {entry['type']} entry is {len(data)} bytes; an entry bundle holds at most {MAX_ENTRY_BYTES}")
    return data


def decode_entry(data: bytes) -> dict[str, Any]:
    """The entry `data` holds; `Malformed` unless it is valid and in canonical form."""
    try:
        entry = json.loads(data.decode("utf-8"), parse_float=_no_float, parse_constant=_no_float)
    except (UnicodeDecodeError, json.JSONDecodeError, ValueError) as e:
        raise Malformed(f"the log entry is not JSON: {e}") from None
    validate_entry(entry)
    if canonical_json(entry) != data:
        raise Malformed("the log entry is not in canonical form (sorted keys, no whitespace)")
    return entry


def _no_float(text: str) -> Any:
    raise ValueError(f"number {text} is not an integer")


def release_entry(*, signing_class: str, name: str, sha256: str, envelope_sha256: str, source_revision: str,
                  source_tree: str, pool: str, builders: list[str], key_id: str) -> dict[str, Any]:
    entry = {"type": RELEASE, "class": signing_class, "name": name, "sha256": sha256, "envelopeSha256": envelope_sha256,
             "sourceRevision": source_revision, "sourceTree": source_tree, "pool": pool,
             "builders": sorted(set(builders)), "keyId": key_id}
    validate_entry(entry)
    return entry


def plan_approval_entry(*, stack: str, plan_digest: str, base: str, approvals: list[dict[str, str]]) -> dict[str, Any]:
    entry = {"type": PLAN_APPROVAL, "stack": stack, "planDigest": plan_digest, "base": base,
             "approvals": sorted(approvals, key=lambda a: a.get("organization", ""))}
    validate_entry(entry)
    return entry


def collection_rules_entry(*, version: int, rules_sha256: str, rule_ids: list[str],
                           approvals: list[dict[str, str]]) -> dict[str, Any]:
    entry = {"type": COLLECTION_RULES, "version": version, "rulesSha256": rules_sha256,
             "ruleIds": sorted(set(rule_ids)), "approvals": sorted(approvals, key=lambda a: a.get("organization", ""))}
    validate_entry(entry)
    return entry
