"""Releases in the log: the entry a signed release gets, the proof its signer ships, and the
check a client makes (`verify_release`, what `tcenter verify` calls).

The entry is a function of the release's DSSE provenance envelope (`NAME.intoto.json`, as
sign-release writes it) and nothing else: `release_entry_from_envelope` reads the in-toto
Statement inside it (subject name and SHA-256, SLSA build definition: source commit and tree,
pool, signing class; the agreeing builder identities; the envelope's key id) and hashes the
envelope as published. The sequencer, the signer, the monitor and a client therefore compute
the same canonical bytes, and the leaf hash of those bytes is what the log proves.

A release's `.tlog-proof` (C2SP tlog-proof) carries that entry as its `extra` data, so a client
that has only the file's SHA-256 and the envelope's digest can check it: the entry must name
exactly those digests (and the expected class), then the proof must verify, cosigned by `k`
distinct reviewer organizations. `extra` is not authenticated by itself; the inclusion proof
of its leaf hash is what authenticates it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .checkpoint import open_checkpoint
from .cosignature import Cosignature, WitnessPolicy, check_policy, parse_witness_key
from .cosigned import assemble, cosigned_sizes
from .entries import RELEASE, decode_entry, encode_entry, release_entry
from .errors import Malformed, NotLogged, PolicyNotMet, TlogError, TlogVerificationFailed
from .log import CHECKPOINT, Storage
from .merkle import HASH_SIZE, leaf_hash
from .note import Verifier, parse_verifier_key
from .proof import parse_proof, prove, verify_inclusion_bundle
from .tiles import TILE_HEIGHT, TILE_WIDTH, Tile, TileHashReader

IN_TOTO_PAYLOAD = "application/vnd.in-toto+json"
STATEMENT_V1 = "https://in-toto.io/Statement/v1"
SLSA_PROVENANCE_V1 = "https://slsa.dev/provenance/v1"
PROOF_SUFFIX = ".tlog-proof"


# --- the entry of a release ------------------------------------------------------------------

def read_envelope(envelope: bytes) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the DSSE envelope, the in-toto Statement it carries); `Malformed` unless both are in
    the format sign-release writes (one signature, in-toto payload, SLSA provenance v1)."""
    try:
        document = json.loads(envelope)
        payload = base64.b64decode(document["payload"], validate=True)
        statement = json.loads(payload)
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeDecodeError) as e:
        raise Malformed(f"the provenance envelope is not a DSSE envelope of a JSON statement ({e})") from None
    if not isinstance(document, dict) or document.get("payloadType") != IN_TOTO_PAYLOAD:
        raise Malformed(f"the provenance envelope's payloadType is not {IN_TOTO_PAYLOAD}")
    signatures = document.get("signatures")
    if not isinstance(signatures, list) or len(signatures) != 1 or not isinstance(signatures[0], dict):
        raise Malformed("the provenance envelope must carry exactly one signature")
    if not isinstance(statement, dict) or statement.get("_type") != STATEMENT_V1 \
            or statement.get("predicateType") != SLSA_PROVENANCE_V1:
        raise Malformed("the envelope's payload is not an in-toto Statement v1 with SLSA provenance v1")
    return document, statement


def _dig(value: Any, *keys: str) -> Any:
    for key in keys:
        value = value.get(key) if isinstance(value, dict) else None
    return value


def release_entry_from_envelope(envelope: bytes) -> dict[str, Any]:
    """The `release` log entry of the release whose provenance envelope is `envelope` (bytes
    exactly as published). `Malformed` if the envelope lacks what the entry needs."""
    document, statement = read_envelope(envelope)
    subjects = statement.get("subject")
    if not isinstance(subjects, list) or len(subjects) != 1:
        raise Malformed("the statement must name exactly one subject (the release)")
    subject = subjects[0]
    parameters = _dig(statement, "predicate", "buildDefinition", "externalParameters") or {}
    source = parameters.get("source") or {}
    byproducts = _dig(statement, "predicate", "runDetails", "byproducts") or []
    builders = [b["annotations"]["builderIdentity"] for b in byproducts
                if isinstance(b, dict) and isinstance(b.get("annotations"), dict) and "builderIdentity" in b["annotations"]]
    fields = {"signing_class": parameters.get("signingClass"), "name": _dig(subject, "name"),
              "sha256": _dig(subject, "digest", "sha256"), "source_revision": source.get("commit"),
              "source_tree": source.get("tree"), "pool": parameters.get("pool"),
              "key_id": document["signatures"][0].get("keyid")}
    missing = sorted(k for k, v in fields.items() if not isinstance(v, str) or not v)
    if missing or not builders:
        raise Malformed(f"the provenance lacks {missing + ([] if builders else ['builder identities'])} for a log entry")
    return release_entry(envelope_sha256=hashlib.sha256(envelope).hexdigest(), builders=builders, **fields)


def release_entry_bytes(envelope: bytes) -> bytes:
    """The canonical bytes the log holds for the release of `envelope`."""
    return encode_entry(release_entry_from_envelope(envelope))


# --- witness policies from the center's configuration ----------------------------------------

def witness_policy(witness_keys: Mapping[str, Sequence[str]], quorum: int) -> WitnessPolicy:
    """`quorum` distinct organizations of `witness_keys` ({org: [witness vkey, ...]}, the stack
    output `transparencyWitnessKeys` or the config's `transparency.witnesses`)."""
    return WitnessPolicy(quorum, {org: [parse_witness_key(k) for k in keys] for org, keys in witness_keys.items()})


def class_policy(witness_keys: Mapping[str, Sequence[str]], verification: Mapping[str, int],
                 signing_class: str) -> WitnessPolicy:
    """The policy a release of `signing_class` must meet: `verification[class]` organizations
    (`transparency.verification`, output `transparencyVerification`; prod >= 2)."""
    if signing_class not in verification:
        raise Malformed(f"no witness quorum for class {signing_class!r} (classes: {', '.join(sorted(verification))})")
    return witness_policy(witness_keys, int(verification[signing_class]))


# --- the client's check ----------------------------------------------------------------------

@dataclass(frozen=True)
class ProvenRelease:
    """What `verify_release` proved: this entry is leaf `index` of the tree of `size` with root
    `root_hash`, signed by the log `origin` and cosigned by `organizations`."""

    entry: dict[str, Any]
    index: int
    origin: str
    size: int
    root_hash: bytes
    organizations: tuple[str, ...]
    cosignatures: tuple[Cosignature, ...]
    ignored: tuple[str, ...]


def verify_release(*, sha256: str, envelope_sha256: str, proof: bytes | None, log_key: Verifier | str,
                   policy: WitnessPolicy, signing_class: str | None = None, entry: bytes | None = None,
                   origin: str | None = None, now: int | None = None) -> ProvenRelease:
    """Accept a release only if its entry is in the log, in a checkpoint at least
    `policy.quorum` distinct organizations cosigned; else raise.

    `sha256`: hex SHA-256 of the release file; `envelope_sha256`: of its `.intoto.json` as
    received; `proof`: the `.tlog-proof` bytes (None when there is none); `log_key`: the log's
    verifier key; `signing_class`: the class the release must be logged as. The logged entry
    comes from the proof's `extra` data, or from `entry` (e.g. `release_entry_bytes(envelope)`).

    Raises `NotLogged` (exit NOT_LOGGED, 17) when there is no proof, it is malformed, it is of
    another entry or class, or its signature or inclusion path does not verify; `PolicyNotMet`
    (exit WITNESSES, 18) when fewer than `quorum` organizations cosigned."""
    if proof is None:
        raise NotLogged("no .tlog-proof: the release is not proven to be in the transparency log")
    verifier = parse_verifier_key(log_key) if isinstance(log_key, str) else log_key
    try:
        bundle = parse_proof(proof)
    except Malformed as e:
        raise NotLogged(f"the .tlog-proof is malformed: {e}") from None
    data = entry if entry is not None else bundle.extra
    if data is None:
        raise NotLogged("the .tlog-proof carries no release entry (extra data), and none was given")
    try:
        logged = decode_entry(data)
    except Malformed as e:
        raise NotLogged(f"the proof's entry is not a log entry: {e}") from None
    if logged.get("type") != RELEASE:
        raise NotLogged(f"the proof is of a {logged.get('type')} entry, not a release")
    if logged["sha256"] != sha256.lower() or logged["envelopeSha256"] != envelope_sha256.lower():
        raise NotLogged(f"the proof is of another release ({logged['name']}, sha256 {logged['sha256'][:16]}..., "
                        f"envelope {logged['envelopeSha256'][:16]}...)")
    if signing_class is not None and logged["class"] != signing_class:
        raise NotLogged(f"the release is logged as class {logged['class']}, not {signing_class}")
    try:
        result = verify_inclusion_bundle(data, bundle, verifier, policy, origin=origin, now=now)
    except (PolicyNotMet, NotLogged):
        raise
    except (Malformed, TlogVerificationFailed) as e:
        raise NotLogged(f"the .tlog-proof does not verify: {e}") from None
    assert result.witnesses is not None
    return ProvenRelease(logged, result.index, result.checkpoint.origin, result.checkpoint.size,
                         result.checkpoint.root_hash, result.witnesses.organizations, result.witnesses.cosignatures,
                         result.witnesses.ignored)


# --- the signer's side: find the entry and a cosigned checkpoint, make the proof ---------------

def find_leaf(storage: Storage, leaf: bytes, size: int, start: int = 0) -> int | None:
    """The index of `leaf` among leaf hashes `start` .. `size` - 1, searching level-0 tiles from
    the newest backwards (what the signer just recorded is near the end); None if absent. The
    tiles are the log's as stored: the proof made from the index is verified afterwards."""
    if len(leaf) != HASH_SIZE or size <= start:
        return None
    for n in range((size - 1) >> TILE_HEIGHT, (start >> TILE_HEIGHT) - 1, -1):
        width = min(TILE_WIDTH, size - (n << TILE_HEIGHT))
        tile = Tile(0, n, width)
        data = storage.get(tile.path)
        if data is None and tile.partial:
            full = storage.get(tile.full().path)
            data = None if full is None else full[:width * HASH_SIZE]
        if data is None:
            continue
        for i in range(min(width, len(data) // HASH_SIZE) - 1, -1, -1):
            if (n << TILE_HEIGHT) + i >= start and data[i * HASH_SIZE:(i + 1) * HASH_SIZE] == leaf:
                return (n << TILE_HEIGHT) + i
    return None


def cosigned_checkpoint(storage: Storage, log_verifier: Verifier, policy: WitnessPolicy, min_size: int,
                        origin: str | None = None) -> bytes | None:
    """A signed checkpoint of size >= `min_size` that meets `policy`: the published checkpoint
    if the sequencer merged enough cosignatures into it, else the largest `checkpoints/<size>`
    whose organizations' cosignatures meet it (the storage must list). None if there is none yet."""
    organizations = policy.organizations
    candidates: list[bytes] = []
    current = storage.get(CHECKPOINT)
    if current is not None:
        candidates.append(current)
    for size, orgs in sorted(cosigned_sizes(storage).items(), reverse=True):
        if size < min_size or len(orgs) < policy.quorum:
            continue
        cosigned = assemble(storage, size, organizations)
        if cosigned is not None and len(cosigned.organizations) >= policy.quorum:
            candidates.append(cosigned.checkpoint)
    for candidate in candidates:
        try:
            signed = open_checkpoint(candidate, log_verifier, origin=origin)
            if signed.size >= min_size:
                check_policy(candidate, policy)
                return candidate
        except (TlogError, TlogVerificationFailed):
            continue
    return None


class ReleaseProver:
    """Makes the `.tlog-proof` of the release of `envelope` (the signer's side). `attempt()`
    returns it, or raises `NotLogged` while the entry is not in the log or no checkpoint
    covering it is cosigned by `policy.quorum` organizations yet; each attempt searches only
    the part of the log the previous ones did not."""

    def __init__(self, storage: Storage, envelope: bytes, sha256: str, log_verifier: Verifier, policy: WitnessPolicy,
                 *, origin: str | None = None):
        self.storage = storage
        self.entry = release_entry_bytes(envelope)
        self.sha256 = sha256
        self.log_verifier = log_verifier
        self.policy = policy
        self.origin = origin
        self.index: int | None = None
        self.searched = 0

    def attempt(self) -> bytes:
        if self.index is None:
            current = self.storage.get(CHECKPOINT)
            if current is None:
                raise NotLogged("the log has no checkpoint yet")
            head = open_checkpoint(current, self.log_verifier, origin=self.origin)
            self.index = find_leaf(self.storage, leaf_hash(self.entry), head.size, start=self.searched)
            self.searched = max(self.searched, head.size)
            if self.index is None:
                raise NotLogged(f"the release's entry is not in the log of size {head.size} yet")
        index = self.index
        note = cosigned_checkpoint(self.storage, self.log_verifier, self.policy, index + 1, origin=self.origin)
        if note is None:
            raise NotLogged(f"entry {index} is in the log, but no checkpoint covering it is cosigned by "
                            f"{self.policy.quorum} organizations yet")
        signed = open_checkpoint(note, self.log_verifier, origin=self.origin)
        reader = TileHashReader(signed.size, signed.root_hash, self.storage.get)
        proof = prove(index, note, reader, extra=self.entry).encode()
        entry = decode_entry(self.entry)
        verify_release(sha256=self.sha256, envelope_sha256=entry["envelopeSha256"], proof=proof,
                       log_key=self.log_verifier, policy=self.policy, signing_class=entry["class"], origin=self.origin)
        return proof


def make_release_proof(storage: Storage, envelope: bytes, sha256: str, log_verifier: Verifier,
                       policy: WitnessPolicy, *, origin: str | None = None) -> bytes:
    """The `.tlog-proof` of the release of `envelope`, against a checkpoint `policy` accepts,
    checked with `verify_release` before it is returned (one `ReleaseProver.attempt`)."""
    return ReleaseProver(storage, envelope, sha256, log_verifier, policy, origin=origin).attempt()
