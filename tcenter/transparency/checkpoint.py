"""C2SP tlog-checkpoint (https://c2sp.org/tlog-checkpoint): a signed note whose text is

    <origin>
    <tree size, decimal, no leading zeros>
    <root hash, base64 of 32 bytes>
    [<extension line>...]

Every line is non-empty and ends in a newline. The log signs it with its note key, whose name
should be the origin; witnesses add cosignatures (`cosignature.py`).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Sequence
from dataclasses import dataclass

from .errors import Malformed, TlogVerificationFailed
from .merkle import EMPTY_ROOT, HASH_SIZE
from .note import Note, Signer, Verifier, Verifiers, open_note, sign_note

MAX_SIZE = (1 << 63) - 1
_DECIMAL = re.compile(r"0|[1-9][0-9]{0,18}")


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.origin or "\n" in self.origin:
            raise Malformed("a checkpoint origin is one non-empty line")
        if not 0 <= self.size <= MAX_SIZE:
            raise Malformed(f"checkpoint size {self.size} is out of range")
        if len(self.root_hash) != HASH_SIZE:
            raise Malformed(f"a checkpoint root hash is {HASH_SIZE} bytes, not {len(self.root_hash)}")
        for line in self.extensions:
            if not line or "\n" in line:
                raise Malformed("checkpoint extension lines are non-empty single lines")
        if self.size == 0 and self.root_hash != EMPTY_ROOT:
            raise Malformed("a checkpoint of size 0 must carry the empty tree's root, SHA-256 of ''")

    def text(self) -> str:
        """The note text (the body a log signs)."""
        lines = [self.origin, str(self.size), base64.b64encode(self.root_hash).decode(), *self.extensions]
        return "".join(line + "\n" for line in lines)

    def body(self) -> bytes:
        return self.text().encode("utf-8")


def parse_checkpoint(text: str | bytes) -> Checkpoint:
    """The checkpoint a note text holds; `Malformed` unless it is exactly in the format."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError:
            raise Malformed("the checkpoint is not UTF-8") from None
    if not text.endswith("\n"):
        raise Malformed("the checkpoint text does not end in a newline")
    lines = text[:-1].split("\n")
    if len(lines) < 3:
        raise Malformed(f"a checkpoint has at least 3 lines (origin, size, root hash), this one {len(lines)}")
    origin, size_text, root_text, *extensions = lines
    if not origin:
        raise Malformed("the checkpoint origin line is empty")
    if not _DECIMAL.fullmatch(size_text) or int(size_text) > MAX_SIZE:
        raise Malformed(f"checkpoint size {size_text[:30]!r} is not a decimal without leading zeros")
    try:
        root = base64.b64decode(root_text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise Malformed(f"checkpoint root hash {root_text[:50]!r} is not base64") from None
    if len(root) != HASH_SIZE or base64.b64encode(root).decode() != root_text:
        raise Malformed(f"checkpoint root hash {root_text[:50]!r} is not the base64 of {HASH_SIZE} bytes")
    if any(not line for line in extensions):
        raise Malformed("a checkpoint extension line is empty")
    return Checkpoint(origin, int(size_text), root, tuple(extensions))


@dataclass(frozen=True)
class SignedCheckpoint:
    """A checkpoint opened with the log's key: the parsed body, the note, and the bytes as received."""

    checkpoint: Checkpoint
    note: Note
    raw: bytes

    @property
    def origin(self) -> str:
        return self.checkpoint.origin

    @property
    def size(self) -> int:
        return self.checkpoint.size

    @property
    def root_hash(self) -> bytes:
        return self.checkpoint.root_hash


def sign_checkpoint(checkpoint: Checkpoint, signers: Sequence[Signer]) -> bytes:
    """The checkpoint as a signed note (the log's signer first; more signers may follow)."""
    return sign_note(checkpoint.text(), signers)


def open_checkpoint(msg: bytes, log_verifiers: Verifier | Sequence[Verifier], origin: str | None = None) -> SignedCheckpoint:
    """Verify `msg` with the log's key(s) and parse its body.

    `origin` (default: the first log key's name) must equal the checkpoint's origin line. Only
    the log's keys are known here: cosignatures stay in `note.unverified` for a witness policy."""
    keys = [log_verifiers] if isinstance(log_verifiers, Verifier) else list(log_verifiers)
    if not keys:
        raise Malformed("no log key given to open the checkpoint with")
    note = open_note(msg, Verifiers(keys))
    checkpoint = parse_checkpoint(note.text)
    expected = keys[0].name if origin is None else origin
    if checkpoint.origin != expected:
        raise TlogVerificationFailed(f"the checkpoint is of log {checkpoint.origin!r}, not {expected!r}")
    return SignedCheckpoint(checkpoint, note, bytes(msg))
