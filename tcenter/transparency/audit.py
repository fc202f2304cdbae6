"""The monitor (`tcenter log audit`): replay the whole log and check everything that can be
checked without trusting the vendor.

- every entry bundle is read and every entry must be a canonical, valid log entry;
- the leaf hashes of the entries must give the published checkpoint's root, and every tile
  the log serves for that tree must be exactly the tile computed from them (a client reading
  tiles sees the same tree);
- every checkpoint the log signed (`checkpoints/<size>`, when the storage lists) must be a
  prefix of that tree: the log never signed two trees that disagree;
- release entries: with the releases at hand (a directory or bucket laid out like the release
  bucket), each published provenance envelope must have its entry in the log and each entry
  must be exactly what its envelope says; with the classes' public keys, each envelope's DSSE
  signature must verify with its class's key;
- which entries no reviewer organization has cosigned a checkpoint covering yet ("not yet
  reviewed"), from the verified cosignatures of each organization.

It shows what was signed; it does not judge it (docs/transparency-log.md).
"""

from __future__ import annotations

import base64
import hashlib
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from .checkpoint import open_checkpoint
from .cosignature import CosignatureVerifier
from .cosigned import cosignature_path, cosigned_sizes, organization_lines, parse_lines, verified_lines
from .entries import RELEASE, decode_entry
from .errors import Malformed, StorageError, TlogError, TlogVerificationFailed
from .log import CHECKPOINT, Storage
from .merkle import HASH_SIZE, MemoryHashStore, leaf_hash
from .note import Verifier, split_note
from .releases import read_envelope, release_entry_from_envelope
from .tiles import ENTRIES, TILE_HEIGHT, TILE_WIDTH, Tile, decode_entry_bundle, read_tile_data, tiles_for_size

ENVELOPE_SUFFIX = ".intoto.json"
_EC_HASHES = {256: hashes.SHA256, 384: hashes.SHA384, 521: hashes.SHA512}
_RSA_HASHES = {2048: hashes.SHA256, 3072: hashes.SHA384, 4096: hashes.SHA512}
"""The digests the center's keys sign with (components/signing.py: SIGNING_ALGORITHMS, CLOUDHSM_KEY)."""


def verify_envelope_signature(envelope: bytes, public_key: Any) -> bool:
    """Whether the DSSE envelope's one signature over PAE(payloadType, payload) verifies with
    `public_key` (ECDSA P-256/384/521 or RSA-PSS 2048/3072/4096, the center's key specs)."""
    document, _ = read_envelope(envelope)
    payload = base64.b64decode(document["payload"])
    kind = str(document["payloadType"]).encode()
    pae = b"DSSEv1 %d %b %d %b" % (len(kind), kind, len(payload), payload)
    try:
        signature = base64.b64decode(document["signatures"][0]["sig"], validate=True)
        if isinstance(public_key, ec.EllipticCurvePublicKey):
            public_key.verify(signature, pae, ec.ECDSA(_EC_HASHES[public_key.curve.key_size]()))
        elif isinstance(public_key, rsa.RSAPublicKey):
            digest = _RSA_HASHES[public_key.key_size]()
            public_key.verify(signature, pae, padding.PSS(padding.MGF1(digest), digest.digest_size), digest)
        else:
            return False
    except (InvalidSignature, KeyError, ValueError, TypeError):
        return False
    return True


def summary(entry: Mapping[str, Any]) -> str:
    kind = entry.get("type")
    if kind == RELEASE:
        return f"release {entry['class']} {entry['pool']}/{entry['name']} sha256 {entry['sha256'][:16]}..."
    if kind == "plan-approval":
        return f"plan-approval {entry['stack']} {entry['planDigest'][:16]}..."
    return f"collection-rules v{entry.get('version')} {str(entry.get('rulesSha256'))[:16]}..."


@dataclass
class AuditReport:
    origin: str
    size: int
    root_hash: bytes
    types: Counter = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)
    history_checked: int = 0
    envelopes_found: int = 0
    envelopes_checked: int = 0
    signatures_checked: int = 0
    not_logged: list[str] = field(default_factory=list)
    """Published envelopes whose release has no entry in the log."""
    reviewed: dict[str, int] = field(default_factory=dict)
    """Organization -> the largest tree size it cosigned (verified, the replayed tree's prefix)."""
    unreviewed: list[tuple[int, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _read_entries(storage: Storage, size: int) -> list[bytes]:
    entries: list[bytes] = []
    for n in range((size + TILE_WIDTH - 1) >> TILE_HEIGHT):
        width = min(TILE_WIDTH, size - (n << TILE_HEIGHT))
        bundle = Tile(ENTRIES, n, width)
        data = storage.get(bundle.path)
        if data is None and bundle.partial:
            full = storage.get(bundle.full().path)
            if full is not None:
                entries += decode_entry_bundle(full, TILE_WIDTH)[:width]
                continue
        if data is None:
            raise StorageError(f"the log of size {size} does not serve {bundle.path}: it cannot be replayed")
        entries += decode_entry_bundle(data, width)
    return entries


def _check_tiles(storage: Storage, size: int, store: MemoryHashStore, report: AuditReport) -> None:
    for tile in tiles_for_size(size):
        data = storage.get(tile.path)
        if data is None and tile.partial:
            full = storage.get(tile.full().path)
            data = None if full is None else full[:tile.width * HASH_SIZE]
        if data is None:
            report.problems.append(f"{tile.path} is not served")
        elif data != read_tile_data(tile, store):
            report.problems.append(f"{tile.path} is not the tile of the replayed tree")


def _check_releases(releases: Storage, entries: list[dict[str, Any] | None], keys: Mapping[str, Any],
                    report: AuditReport) -> None:
    lister = getattr(releases, "list", None)
    if lister is None:
        report.notes.append("the releases cannot be listed there: envelopes not checked")
        return
    logged = {e["envelopeSha256"]: e for e in entries if e is not None and e.get("type") == RELEASE}
    for path in lister(""):
        if not path.endswith(ENVELOPE_SUFFIX):
            continue
        envelope = releases.get(path)
        if envelope is None:
            continue
        report.envelopes_found += 1
        digest = hashlib.sha256(envelope).hexdigest()
        entry = logged.get(digest)
        if entry is None:
            report.not_logged.append(path)
            continue
        report.envelopes_checked += 1
        try:
            if release_entry_from_envelope(envelope) != entry:
                report.problems.append(f"{path}: the log's entry is not what the envelope says")
        except Malformed as e:
            report.problems.append(f"{path}: {e}")
            continue
        key = keys.get(entry["class"])
        if key is not None:
            report.signatures_checked += 1
            if not verify_envelope_signature(envelope, key):
                report.problems.append(f"{path}: the envelope's signature does not verify with the {entry['class']} key")


def _reviewed(storage: Storage, head: bytes, size: int, store: MemoryHashStore, log_verifier: Verifier,
              organizations: Mapping[str, Sequence[CosignatureVerifier]], origin: str, report: AuditReport) -> None:
    reviewed: dict[str, int] = {}
    listed = cosigned_sizes(storage)
    history = getattr(storage, "list", None)
    signed_sizes = set()
    if history is not None:
        for path in history("checkpoints/"):
            tail = path.removeprefix("checkpoints/")
            if not tail.isdigit():
                report.problems.append(f"{path} is not a checkpoint of the log's layout")
                continue
            signed_sizes.add(int(tail))
    else:
        report.notes.append("the storage does not list: checkpoint history and older cosignatures not read")
    for s in sorted(signed_sizes | set(listed)):
        raw = storage.get(f"checkpoints/{s}")
        if raw is None:
            continue
        try:
            signed = open_checkpoint(raw, log_verifier, origin=origin)
        except (TlogError, TlogVerificationFailed) as e:
            report.problems.append(f"checkpoints/{s}: {e}")
            continue
        report.history_checked += 1
        if signed.size != s or s > size or store.root(s) != signed.root_hash:
            report.problems.append(f"checkpoints/{s}: the log signed a tree of size {signed.size} that is not a "
                                   f"prefix of its published tree (size {size})")
            continue
        for org in organization_lines(storage, s, organizations, raw):
            reviewed[org] = max(reviewed.get(org, 0), s)
    lines = [s.line for s in split_note(head)[1]]
    for org, keys in organizations.items():
        if verified_lines(head, lines, keys):
            reviewed[org] = max(reviewed.get(org, 0), size)
        elif history is None:
            data = storage.get(cosignature_path(org, size))
            try:
                if data is not None and verified_lines(head, parse_lines(data), keys):
                    reviewed[org] = max(reviewed.get(org, 0), size)
            except TlogError:
                pass
    report.reviewed = dict(sorted(reviewed.items()))


def audit_log(storage: Storage, log_verifier: Verifier, organizations: Mapping[str, Sequence[CosignatureVerifier]],
              *, keys: Mapping[str, Any] | None = None, releases: Storage | None = None,
              origin: str | None = None) -> AuditReport:
    """Replay the log in `storage` (see the module doc). Problems are collected in the report,
    not raised; `StorageError` only when the log cannot be read at all."""
    head = storage.get(CHECKPOINT)
    if head is None:
        raise StorageError(f"{storage!r} serves no checkpoint")
    signed = open_checkpoint(head, log_verifier, origin=origin)
    report = AuditReport(signed.origin, signed.size, signed.root_hash)
    raw_entries = _read_entries(storage, signed.size)
    store = MemoryHashStore()
    decoded: list[dict[str, Any] | None] = []
    for index, data in enumerate(raw_entries):
        store.append_leaf_hash(leaf_hash(data))
        try:
            entry = decode_entry(data)
        except Malformed as e:
            report.problems.append(f"entry {index}: {e}")
            decoded.append(None)
            continue
        report.types[entry["type"]] += 1
        decoded.append(entry)
    if store.root(signed.size) != signed.root_hash:
        report.problems.append(f"the entries do not hash to the checkpoint's root (size {signed.size})")
    else:
        _check_tiles(storage, signed.size, store, report)
    if releases is not None:
        _check_releases(releases, decoded, keys or {}, report)
    elif report.types[RELEASE]:
        report.notes.append(f"{report.types[RELEASE]} release entries checked for form only (no --releases given)")
    _reviewed(storage, head, signed.size, store, log_verifier, organizations, signed.origin, report)
    covered = max(report.reviewed.values(), default=0)
    report.unreviewed = [(i, summary(e) if e else "(malformed)") for i, e in enumerate(decoded) if i >= covered]
    return report
