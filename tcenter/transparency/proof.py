"""C2SP tlog-proof (https://c2sp.org/tlog-proof): an offline proof that an entry is in the log,
in a checkpoint that witnesses cosigned. Files end in `.tlog-proof`.

    c2sp.org/tlog-proof@v1
    [extra <base64 opaque data>]
    index <zero-based index, decimal>
    <base64 hash>                 the inclusion path, leaf's sibling first (RFC 6962 2.1.1), 0..63 lines
    <empty line>
    <the checkpoint, verbatim: text, blank line, log signature, cosignatures>

`verify_inclusion_bundle` is the client's check, in the spec's order: the leaf hash of the
entry; the checkpoint's origin and the log's signature; the witnesses' cosignatures against a
policy (k distinct organizations); the inclusion path from the leaf to the checkpoint's root.
The `extra` data is not authenticated and is never trusted.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Sequence
from dataclasses import dataclass

from .checkpoint import SignedCheckpoint, open_checkpoint
from .cosignature import PolicyResult, WitnessPolicy, check_policy
from .errors import Malformed
from .merkle import HASH_SIZE, HashReader, leaf_hash, prove_inclusion, verify_inclusion
from .note import Verifier, split_note

HEADER = "c2sp.org/tlog-proof@v1"
MAX_PATH = 63
_INDEX = re.compile(r"index (0|[1-9][0-9]{0,18})")


@dataclass(frozen=True)
class TlogProof:
    index: int
    inclusion_path: tuple[bytes, ...]
    checkpoint: bytes
    """The signed checkpoint, verbatim (the log's signature and any cosignatures)."""
    extra: bytes | None = None

    def encode(self) -> bytes:
        lines = [HEADER]
        if self.extra is not None:
            lines.append("extra " + base64.b64encode(self.extra).decode())
        lines.append(f"index {self.index}")
        lines.extend(base64.b64encode(h).decode() for h in self.inclusion_path)
        return ("\n".join(lines) + "\n\n").encode("ascii") + self.checkpoint


def _b64(text: str, what: str) -> bytes:
    try:
        data = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise Malformed(f"tlog-proof: {what} is not base64") from None
    if base64.b64encode(data).decode("ascii") != text:
        raise Malformed(f"tlog-proof: {what} is not canonical base64")
    return data


def parse_proof(data: bytes) -> TlogProof:
    """Parse a `.tlog-proof`; `Malformed` unless it is exactly in the format."""
    head, sep, checkpoint = data.partition(b"\n\n")
    if not sep:
        raise Malformed("tlog-proof: no empty line before the checkpoint")
    try:
        lines = head.decode("ascii").split("\n")
    except UnicodeDecodeError:
        raise Malformed("tlog-proof: the header lines are not ASCII") from None
    if lines[0] != HEADER:
        raise Malformed(f"tlog-proof: the first line is not {HEADER!r}")
    pos = 1
    extra = None
    if pos < len(lines) and lines[pos].startswith("extra "):
        extra = _b64(lines[pos][len("extra "):], "the extra line")
        pos += 1
    if pos >= len(lines) or not _INDEX.fullmatch(lines[pos]):
        raise Malformed("tlog-proof: no 'index N' line (decimal, no leading zeros) after the header")
    index = int(lines[pos][len("index "):])
    path = []
    for line in lines[pos + 1:]:
        h = _b64(line, f"inclusion path line {len(path)}")
        if len(h) != HASH_SIZE:
            raise Malformed(f"tlog-proof: inclusion path line {len(path)} is not a {HASH_SIZE}-byte hash")
        path.append(h)
    if len(path) > MAX_PATH:
        raise Malformed(f"tlog-proof: {len(path)} inclusion path lines, more than {MAX_PATH}")
    split_note(checkpoint)  # the checkpoint must at least be a signed note
    return TlogProof(index, tuple(path), checkpoint, extra)


@dataclass(frozen=True)
class VerifiedInclusion:
    """What a verified bundle established."""

    index: int
    checkpoint: SignedCheckpoint
    witnesses: PolicyResult | None


def verify_inclusion_bundle(entry: bytes, bundle: bytes | TlogProof, log_verifier: Verifier | Sequence[Verifier],
                            witness_policy: WitnessPolicy | None, *, origin: str | None = None,
                            now: int | None = None) -> VerifiedInclusion:
    """Verify that `entry` is in the log by a tlog-proof, or raise.

    `log_verifier`: the log's key(s) (the origin must be the first key's name, or `origin`).
    `witness_policy`: the organizations whose witnesses must cosign; None skips the witness
    check, which only the log's own tooling should do. Raises `Malformed`, `SignatureError`,
    `UnverifiedNote`, `PolicyNotMet` or `InclusionProofError`."""
    proof = bundle if isinstance(bundle, TlogProof) else parse_proof(bundle)
    leaf = leaf_hash(entry)
    signed = open_checkpoint(proof.checkpoint, log_verifier, origin=origin)
    witnesses = None if witness_policy is None else check_policy(proof.checkpoint, witness_policy, now=now)
    verify_inclusion(leaf, proof.index, signed.size, proof.inclusion_path, signed.root_hash)
    return VerifiedInclusion(proof.index, signed, witnesses)


def prove(index: int, signed_checkpoint: SignedCheckpoint | bytes, reader: HashReader, *, size: int | None = None,
          extra: bytes | None = None) -> TlogProof:
    """The log side: a tlog-proof for entry `index` against `signed_checkpoint` (bytes as published,
    with whatever cosignatures it carries), reading hashes from `reader`."""
    raw = signed_checkpoint.raw if isinstance(signed_checkpoint, SignedCheckpoint) else signed_checkpoint
    if size is None:
        if isinstance(signed_checkpoint, SignedCheckpoint):
            size = signed_checkpoint.size
        else:
            from .checkpoint import parse_checkpoint

            size = parse_checkpoint(split_note(raw)[0]).size
    return TlogProof(index, tuple(prove_inclusion(size, index, reader)), raw, extra)
