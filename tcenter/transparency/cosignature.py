"""C2SP tlog-cosignature v1 (https://c2sp.org/tlog-cosignature): timestamped Ed25519 cosignatures,
and the witness policy a client applies to them.

A cosignature is a note signature line on a checkpoint, signature type 0x04:

    key ID    = SHA-256(<name> || "\\n" || 0x04 || 32-byte Ed25519 public key)[:4]
    signature = u64 big-endian timestamp || Ed25519 signature (72 bytes in all) over
                "cosignature/v1\\n" "time <timestamp>\\n" || the checkpoint's note text

(the ML-DSA-44 variant, type 0x06, is not implemented: the log's ecosystem here is Ed25519).

Policy (`WitnessPolicy`): each witness key belongs to exactly one organization; a checkpoint
passes when cosignatures that verify come from at least `quorum` distinct organizations. Two
cosignatures of one organization count once; lines from keys the policy does not list are
ignored and reported; a listed key's cosignature that does not verify rejects the checkpoint.
"""

from __future__ import annotations

import struct
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from .errors import Malformed, PolicyNotMet, SignatureError
from .note import (
    SIG_COSIGNATURE_V1,
    Ed25519Signer,
    Signature,
    format_verifier_key,
    key_id,
    split_verifier_key,
    split_note,
    valid_name,
)

HEADER = b"cosignature/v1\n"
MAX_TIMESTAMP = (1 << 63) - 1
SIGNATURE_BYTES = 8 + 64


def cosigned_message(body: bytes, timestamp: int) -> bytes:
    """The bytes a v1 cosignature signs: header line, time line, then the checkpoint body."""
    if not 0 <= timestamp <= MAX_TIMESTAMP:
        raise Malformed(f"cosignature timestamp {timestamp} is out of range")
    return HEADER + b"time %d\n" % timestamp + body


def timestamp_of(signature: bytes | Signature) -> int:
    """The timestamp a cosignature carries (its first 8 bytes, big-endian)."""
    raw = signature.signature if isinstance(signature, Signature) else signature
    if len(raw) != SIGNATURE_BYTES:
        raise Malformed(f"a cosignature is {SIGNATURE_BYTES} bytes after the key ID, not {len(raw)}")
    return struct.unpack(">Q", raw[:8])[0]


class CosignatureVerifier:
    """Verifies cosignature/v1 lines of one witness key (note Verifier, type 0x04)."""

    sig_type = SIG_COSIGNATURE_V1

    def __init__(self, name: str, public_key: bytes):
        if not valid_name(name):
            raise Malformed(f"witness name {name!r} is empty or has a space or '+'")
        if len(public_key) != 32:
            raise Malformed(f"an Ed25519 public key is 32 bytes, not {len(public_key)}")
        self.name = name
        self.public_key = bytes(public_key)
        self.key_id = key_id(name, SIG_COSIGNATURE_V1, self.public_key)
        self._key = Ed25519PublicKey.from_public_bytes(self.public_key)

    def verify(self, message: bytes, signature: bytes) -> bool:
        if len(signature) != SIGNATURE_BYTES:
            return False
        timestamp = struct.unpack(">Q", signature[:8])[0]
        if timestamp > MAX_TIMESTAMP:
            return False
        try:
            self._key.verify(signature[8:], cosigned_message(message, timestamp))
        except InvalidSignature:
            return False
        return True

    @property
    def vkey(self) -> str:
        return format_verifier_key(self.name, SIG_COSIGNATURE_V1, self.public_key)

    def __repr__(self) -> str:
        return f"CosignatureVerifier({self.vkey!r})"


class CosignatureSigner:
    """Cosigns checkpoints with one witness key (note Signer, type 0x04); `clock` gives POSIX seconds."""

    sig_type = SIG_COSIGNATURE_V1

    def __init__(self, name: str, private_key: Ed25519PrivateKey, clock: Callable[[], float] = time.time):
        if not valid_name(name):
            raise Malformed(f"witness name {name!r} is empty or has a space or '+'")
        self.name = name
        self._key = private_key
        self._clock = clock
        self.public_key = private_key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        self.key_id = key_id(name, SIG_COSIGNATURE_V1, self.public_key)

    @classmethod
    def from_seed(cls, name: str, seed: bytes, clock: Callable[[], float] = time.time) -> CosignatureSigner:
        if len(seed) != 32:
            raise Malformed(f"an Ed25519 seed is 32 bytes, not {len(seed)}")
        return cls(name, Ed25519PrivateKey.from_private_bytes(seed), clock)

    @classmethod
    def from_file(cls, path: str | Path, name: str | None = None, clock: Callable[[], float] = time.time) -> CosignatureSigner:
        """From the same files `Ed25519Signer.from_file` reads (Go signer key or PKCS#8 PEM); the
        Ed25519 key is used with the cosignature type, so its key ID differs from the 0x01 one."""
        plain = Ed25519Signer.from_file(path, name)
        return cls(plain.name, plain._key, clock)

    def sign(self, message: bytes) -> bytes:
        timestamp = int(self._clock())
        return struct.pack(">Q", timestamp) + self._key.sign(cosigned_message(message, timestamp))

    def verifier(self) -> CosignatureVerifier:
        return CosignatureVerifier(self.name, self.public_key)


def parse_witness_key(vkey: str) -> CosignatureVerifier:
    """A witness verifier key (`name+hexid+base64(0x04||key)`)."""
    name, sig_type, public_key = split_verifier_key(vkey)
    if sig_type != SIG_COSIGNATURE_V1:
        raise Malformed(f"witness key {name!r} is not a cosignature/v1 (type 0x04) key")
    return CosignatureVerifier(name, public_key)


# --- witness policy --------------------------------------------------------------------------


@dataclass(frozen=True)
class Cosignature:
    organization: str
    name: str
    key_id: int
    timestamp: int


@dataclass(frozen=True)
class PolicyResult:
    """What `check_policy` found: the organizations that count, each verified cosignature, and the
    lines it ignored (`name+keyid: reason`)."""

    quorum: int
    organizations: tuple[str, ...]
    cosignatures: tuple[Cosignature, ...]
    ignored: tuple[str, ...]

    @property
    def met(self) -> bool:
        return len(self.organizations) >= self.quorum


class WitnessPolicy:
    """At least `quorum` distinct organizations must cosign; `organizations` maps each
    organization to its witness keys (one key belongs to one organization)."""

    def __init__(self, quorum: int, organizations: Mapping[str, Iterable[CosignatureVerifier]]):
        self.quorum = quorum
        self.organizations = {org: tuple(keys) for org, keys in organizations.items()}
        self._owner: dict[tuple[str, int], tuple[str, CosignatureVerifier]] = {}
        if not isinstance(quorum, int) or quorum < 1:
            raise Malformed(f"witness quorum {quorum!r} must be at least 1")
        if quorum > len(self.organizations):
            raise Malformed(f"witness quorum {quorum} is more than the {len(self.organizations)} organizations listed")
        for org, keys in self.organizations.items():
            if not org:
                raise Malformed("a witness organization has an empty name")
            if not keys:
                raise Malformed(f"witness organization {org!r} lists no key")
            for v in keys:
                if not isinstance(v, CosignatureVerifier):
                    raise Malformed(f"witness key {getattr(v, 'name', v)!r} of {org!r} is not a cosignature/v1 key")
                ident = (v.name, v.key_id)
                if ident in self._owner and self._owner[ident][0] != org:
                    raise Malformed(f"witness key {v.name}+{v.key_id:08x} is listed for both {self._owner[ident][0]!r} "
                                    f"and {org!r}: a key belongs to one organization")
                self._owner[ident] = (org, v)

    @classmethod
    def from_config(cls, data: Mapping[str, Any]) -> WitnessPolicy:
        """From `{"quorum": k, "organizations": {"org": ["name+hexid+base64", ...], ...}}`."""
        if not isinstance(data, Mapping) or "quorum" not in data or not isinstance(data.get("organizations"), Mapping):
            raise Malformed("a witness policy is {quorum: k, organizations: {org: [witness vkey, ...]}}")
        orgs = {}
        for org, keys in data["organizations"].items():
            if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
                raise Malformed(f"witness policy: organizations.{org} must be a list of witness keys")
            orgs[str(org)] = [parse_witness_key(k) for k in keys]
        return cls(data["quorum"], orgs)

    def owner(self, name: str, kid: int) -> tuple[str, CosignatureVerifier] | None:
        return self._owner.get((name, kid))


def check_policy(signed_note: bytes, policy: WitnessPolicy, *, now: int | None = None,
                 max_future_seconds: int = 300) -> PolicyResult:
    """Verify the cosignatures on `signed_note` (a checkpoint with its signature lines) against
    `policy`; raise `PolicyNotMet` unless `policy.quorum` organizations cosigned.

    With `now`, a cosignature dated more than `max_future_seconds` after it does not count (the
    spec lets verifiers reject future timestamps). Raises `SignatureError` if a listed key's
    cosignature does not verify (the spec: reject the whole note)."""
    text, signatures = split_note(signed_note)
    message = text.encode("utf-8")
    counted: dict[tuple[str, int], Cosignature] = {}
    ignored: list[str] = []
    for sig in signatures:
        ident = f"{sig.name}+{sig.key_id:08x}"
        owner = policy.owner(sig.name, sig.key_id)
        if owner is None:
            if ident + ": not a witness key of the policy" not in ignored:
                ignored.append(ident + ": not a witness key of the policy")
            continue
        org, verifier = owner
        if not verifier.verify(message, sig.signature):
            raise SignatureError(f"invalid cosignature by witness {ident} of {org}", name=sig.name, key_id=sig.key_id)
        timestamp = timestamp_of(sig)
        if now is not None and timestamp > now + max_future_seconds:
            ignored.append(f"{ident}: dated {timestamp}, in the future")
            continue
        counted.setdefault((sig.name, sig.key_id), Cosignature(org, sig.name, sig.key_id, timestamp))
    organizations = tuple(sorted({c.organization for c in counted.values()}))
    result = PolicyResult(policy.quorum, organizations, tuple(counted.values()), tuple(ignored))
    if not result.met:
        raise PolicyNotMet(f"cosigned by {len(organizations)} of the {policy.quorum} witness organizations required"
                           f"{' (' + ', '.join(organizations) + ')' if organizations else ''}"
                           f"{'; ignored ' + '; '.join(ignored) if ignored else ''}",
                           quorum=policy.quorum, organizations=organizations, ignored=tuple(ignored))
    return result
