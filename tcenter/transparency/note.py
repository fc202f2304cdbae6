"""C2SP signed-note (https://c2sp.org/signed-note), compatible with Go's golang.org/x/mod/sumdb/note.

    <text ending in a newline>
    <blank line>
    — <key name> base64(4-byte key ID || signature)      one line per signature

The whole note is UTF-8 with no ASCII control character but newline; the text is everything
before the *last* blank line, including its final newline. A key ID is
SHA-256(key name || 0x0A || signature type || public key)[:4], big-endian.

Keys as text, as Go writes them:
    verifier key   <name>+<hex key ID>+base64(type || public key)
    signer key     PRIVATE+KEY+<name>+<hex key ID>+base64(type || 32-byte Ed25519 seed)

Signature types here: 0x01 Ed25519 (this module), 0x04 timestamped Ed25519 cosignatures
(`cosignature.py`). 0x02 (ECDSA "as implemented by transparency-dev/witness") is not defined
by the spec beyond naming an implementation, so it is not accepted: such lines from a key we
do not know are ignored like any unknown key's.

Opening a note (`open_note`) follows the spec: signatures from unknown keys are ignored (and
reported as unverified); a line whose name and key ID match a known key is verified, every
time it appears, and one that fails rejects the whole note; a note with no verified signature
is rejected (`UnverifiedNote`, which carries the parsed note).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, runtime_checkable

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from .errors import Malformed, SignatureError, UnverifiedNote

SIG_ED25519 = 0x01
SIG_ECDSA = 0x02
SIG_COSIGNATURE_V1 = 0x04
MAX_SIGNATURES = 100
"""The spec requires accepting at least 16; Go's note package stops at 100, so do we."""
EM_DASH = "\u2014"
SIG_PREFIX = EM_DASH + " "

# Unicode White_Space (Go's unicode.IsSpace): a key name may contain none of these, nor "+".
_SPACES = frozenset("\t\n\v\f\r \x85\xa0\u1680\u2028\u2029\u202f\u205f\u3000" + "".join(chr(c) for c in range(0x2000, 0x200B)))


def valid_name(name: str) -> bool:
    """A key name: non-empty, no Unicode space, no '+'."""
    return bool(name) and "+" not in name and not any(c in _SPACES for c in name)


def key_id(name: str, sig_type: int, public_key: bytes) -> int:
    """SHA-256(name || 0x0A || type || public key)[:4] as a big-endian uint32."""
    digest = hashlib.sha256(name.encode() + b"\n" + bytes([sig_type]) + public_key).digest()
    return struct.unpack(">I", digest[:4])[0]


@runtime_checkable
class Verifier(Protocol):
    """Verifies signatures by one key (Go: note.Verifier)."""

    name: str
    key_id: int

    def verify(self, message: bytes, signature: bytes) -> bool: ...


@runtime_checkable
class Signer(Protocol):
    """Signs with one key (Go: note.Signer). `sign` gets the note text and returns the bytes that
    follow the key ID in the signature line: a KMS- or HSM-backed signer implements just this."""

    name: str
    key_id: int

    def sign(self, message: bytes) -> bytes: ...


class Ed25519Verifier:
    """A type 0x01 verifier: RFC 8032 Ed25519 over the note text."""

    sig_type = SIG_ED25519

    def __init__(self, name: str, public_key: bytes):
        if not valid_name(name):
            raise Malformed(f"key name {name!r} is empty or has a space or '+'")
        if len(public_key) != 32:
            raise Malformed(f"an Ed25519 public key is 32 bytes, not {len(public_key)}")
        self.name = name
        self.public_key = bytes(public_key)
        self.key_id = key_id(name, self.sig_type, self.public_key)
        self._key = Ed25519PublicKey.from_public_bytes(self.public_key)

    def verify(self, message: bytes, signature: bytes) -> bool:
        if len(signature) != 64:
            return False
        try:
            self._key.verify(signature, message)
        except InvalidSignature:
            return False
        return True

    @property
    def vkey(self) -> str:
        return format_verifier_key(self.name, self.sig_type, self.public_key)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.vkey!r})"


class Ed25519Signer:
    """A type 0x01 signer from an Ed25519 private key held in memory."""

    sig_type = SIG_ED25519

    def __init__(self, name: str, private_key: Ed25519PrivateKey):
        if not valid_name(name):
            raise Malformed(f"key name {name!r} is empty or has a space or '+'")
        self.name = name
        self._key = private_key
        self.public_key = private_key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        self.key_id = key_id(name, self.sig_type, self.public_key)

    @classmethod
    def from_seed(cls, name: str, seed: bytes) -> Ed25519Signer:
        if len(seed) != 32:
            raise Malformed(f"an Ed25519 seed is 32 bytes, not {len(seed)}")
        return cls(name, Ed25519PrivateKey.from_private_bytes(seed))

    @classmethod
    def from_file(cls, path: str | Path, name: str | None = None) -> Ed25519Signer:
        """From a file holding a Go signer key (PRIVATE+KEY+...) or a PKCS#8 PEM Ed25519 key
        (then `name` is required)."""
        try:
            text = Path(path).read_bytes()
        except OSError as e:
            raise Malformed(f"cannot read the signing key {path}: {e.strerror}") from e
        if text.startswith(b"PRIVATE+KEY+"):
            signer = parse_signer_key(text.decode("ascii", "replace").strip())
            if name is not None and name != signer.name:
                raise Malformed(f"{path} is the key of {signer.name!r}, not {name!r}")
            if not isinstance(signer, cls):  # pragma: no cover - parse_signer_key only makes Ed25519Signer
                raise Malformed(f"{path} is not an Ed25519 note key")
            return signer
        if name is None:
            raise Malformed(f"{path} is a PEM key: give the key name it signs as")
        try:
            key = serialization.load_pem_private_key(text, password=None)
        except (ValueError, TypeError) as e:
            raise Malformed(f"{path} is neither a note signer key nor an unencrypted PEM private key") from e
        if not isinstance(key, Ed25519PrivateKey):
            raise Malformed(f"{path} is not an Ed25519 key")
        return cls(name, key)

    def sign(self, message: bytes) -> bytes:
        return self._key.sign(message)

    def verifier(self) -> Ed25519Verifier:
        return Ed25519Verifier(self.name, self.public_key)

    @property
    def skey(self) -> str:
        seed = self._key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                       serialization.NoEncryption())
        return f"PRIVATE+KEY+{self.name}+{self.key_id:08x}+{base64.b64encode(bytes([self.sig_type]) + seed).decode()}"


def format_verifier_key(name: str, sig_type: int, public_key: bytes) -> str:
    """`name+hex(key ID)+base64(type || public key)`."""
    return f"{name}+{key_id(name, sig_type, public_key):08x}+{base64.b64encode(bytes([sig_type]) + public_key).decode()}"


def _b64(text: str) -> bytes:
    """Strict standard base64: alphabet, padding, and zero pad bits (RFC 4648 3.5 lets decoders
    refuse others; Go's encoder never writes them). One byte string has one encoding, so a changed
    character of a signature line always changes the signature."""
    try:
        data = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError) as e:
        raise Malformed("not standard base64") from e
    if base64.b64encode(data).decode("ascii") != text:
        raise Malformed("not canonical base64 (non-zero pad bits)")
    return data


def _split_key(text: str, parts: int, what: str) -> list[str]:
    fields = text.split("+", parts - 1)  # base64 may contain '+': the key is the rest
    if len(fields) != parts:
        raise Malformed(f"{what} {text[:60]!r} is not {'+'.join(['…'] * parts)}")
    return fields


def split_verifier_key(vkey: str) -> tuple[str, int, bytes]:
    """(name, signature type, public key) of `name+hexid+base64(type||key)`, its key ID checked."""
    name, hex_id, key64 = _split_key(vkey, 3, "verifier key")
    try:
        raw = _b64(key64)
    except Malformed as e:
        raise Malformed(f"verifier key {name!r}: the key is {e}") from None
    if not valid_name(name) or len(hex_id) != 8 or not all(c in "0123456789abcdefABCDEF" for c in hex_id) or not raw:
        raise Malformed(f"verifier key {vkey[:60]!r} is not name+8 hex digits+base64 key")
    sig_type, public_key = raw[0], raw[1:]
    if int(hex_id, 16) != key_id(name, sig_type, public_key):
        raise Malformed(f"verifier key {name!r}: key ID {hex_id} is not the hash of its name and key")
    return name, sig_type, public_key


def parse_verifier_key(vkey: str) -> Verifier:
    """A log's verifier from `name+hexid+base64(0x01||key)` (Ed25519). Witness keys (0x04,
    cosignature/v1) are read by `cosignature.parse_witness_key`."""
    name, sig_type, public_key = split_verifier_key(vkey)
    if sig_type == SIG_ED25519:
        return Ed25519Verifier(name, public_key)
    if sig_type == SIG_COSIGNATURE_V1:
        raise Malformed(f"verifier key {name!r} is a witness's cosignature/v1 key (0x04), not a log key (0x01)")
    raise Malformed(f"verifier key {name!r}: signature type 0x{sig_type:02x} is not supported (0x01 Ed25519, 0x04 cosignature/v1)")


def parse_signer_key(skey: str) -> Ed25519Signer:
    """A signer from Go's `PRIVATE+KEY+name+hexid+base64(0x01||seed)`; the key ID must match."""
    private, key, name, hex_id, key64 = _split_key(skey, 5, "signer key")
    if private != "PRIVATE" or key != "KEY" or not valid_name(name) or len(hex_id) != 8:
        raise Malformed("signer key is not PRIVATE+KEY+name+8 hex digits+base64 key")
    try:
        raw = _b64(key64)
        wanted = int(hex_id, 16)
    except (Malformed, ValueError):
        raise Malformed(f"signer key {name!r}: malformed key ID or key") from None
    if not raw or raw[0] != SIG_ED25519 or len(raw) != 33:
        raise Malformed(f"signer key {name!r}: not an Ed25519 (type 0x01) 32-byte seed")
    signer = Ed25519Signer.from_seed(name, raw[1:])
    if signer.key_id != wanted:
        raise Malformed(f"signer key {name!r}: key ID {hex_id} is not the hash of its name and public key")
    return signer


def generate_key(name: str, seed: bytes | None = None) -> tuple[str, str]:
    """A new (signer key, verifier key) pair for `name`, as Go's note.GenerateKey writes them."""
    signer = Ed25519Signer.from_seed(name, os.urandom(32) if seed is None else seed)
    return signer.skey, signer.verifier().vkey


class Verifiers:
    """The known keys, looked up by (name, key ID) (Go: note.VerifierList)."""

    def __init__(self, verifiers: Iterable[Verifier] = ()):
        self._by_id: dict[tuple[str, int], list[Verifier]] = {}
        for v in verifiers:
            self._by_id.setdefault((v.name, v.key_id), []).append(v)

    def get(self, name: str, kid: int) -> Verifier | None:
        found = self._by_id.get((name, kid))
        if not found:
            return None
        if len(found) > 1:
            raise Malformed(f"ambiguous key {name}+{kid:08x}: listed {len(found)} times among the known keys")
        return found[0]

    def __iter__(self):
        return (v for vs in self._by_id.values() for v in vs)

    def __len__(self) -> int:
        return sum(len(vs) for vs in self._by_id.values())


@dataclass(frozen=True)
class Signature:
    """One signature line: key name, key ID and the bytes after the key ID."""

    name: str
    key_id: int
    signature: bytes

    @property
    def line(self) -> str:
        blob = struct.pack(">I", self.key_id) + self.signature
        return f"{SIG_PREFIX}{self.name} {base64.b64encode(blob).decode()}\n"


@dataclass(frozen=True)
class Note:
    """A note's text and signatures: `sigs` verified by a known key, `unverified` from unknown keys."""

    text: str
    sigs: tuple[Signature, ...] = ()
    unverified: tuple[Signature, ...] = field(default=())

    def encode(self) -> bytes:
        """The note as bytes: text, blank line, verified then unverified signature lines."""
        return (self.text + "\n" + "".join(s.line for s in (*self.sigs, *self.unverified))).encode("utf-8")


def _check_text_bytes(msg: bytes) -> str:
    try:
        text = msg.decode("utf-8")
    except UnicodeDecodeError as e:
        raise Malformed(f"the note is not UTF-8 (byte {e.start})") from None
    for i, c in enumerate(text):
        if c < " " and c != "\n":
            raise Malformed(f"the note has control character U+{ord(c):04X} at {i}")
    return text


def parse_signature_line(line: str) -> Signature:
    """One `— name base64` line (without its newline)."""
    if not line.startswith(SIG_PREFIX):
        raise Malformed(f"signature line {line[:40]!r} does not start with an em dash and a space")
    name, sep, b64 = line[len(SIG_PREFIX):].partition(" ")
    if not sep or not valid_name(name) or not b64:
        raise Malformed(f"signature line {line[:40]!r} is not '— <key name> <base64>'")
    blob = _b64(b64) if b64 else b""
    if len(blob) < 5:
        raise Malformed(f"signature line of {name!r}: fewer than 5 bytes after base64 decoding")
    return Signature(name, struct.unpack(">I", blob[:4])[0], blob[4:])


def split_note(msg: bytes) -> tuple[str, list[Signature]]:
    """Syntax only: the text (with its final newline) and the signature lines, in order."""
    full = _check_text_bytes(msg)
    split = full.rfind("\n\n")
    if split < 0:
        raise Malformed("the note has no blank line before its signatures")
    text, sig_block = full[:split + 1], full[split + 2:]
    if not sig_block or not sig_block.endswith("\n"):
        raise Malformed("the note has no signature lines, or its last line does not end in a newline")
    lines = sig_block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise Malformed(f"the note has {len(lines)} signatures, more than {MAX_SIGNATURES}")
    return text, [parse_signature_line(line) for line in lines]


def open_note(msg: bytes, known: Verifiers | Sequence[Verifier]) -> Note:
    """Parse `msg` and verify its signatures by the known keys (Go: note.Open, per C2SP).

    Raises `Malformed` for syntax, `SignatureError` if a known key's line does not verify,
    `UnverifiedNote` if no known key signed. Lines of unknown keys are returned as unverified."""
    verifiers = known if isinstance(known, Verifiers) else Verifiers(known)
    text, signatures = split_note(msg)
    message = text.encode("utf-8")
    verified: list[Signature] = []
    unverified: list[Signature] = []
    for sig in signatures:
        v = verifiers.get(sig.name, sig.key_id)
        if v is None:
            if sig not in unverified:
                unverified.append(sig)
            continue
        # The spec: a line that matches a known key MUST be verified, repeats included.
        if not v.verify(message, sig.signature):
            raise SignatureError(f"invalid signature for key {sig.name}+{sig.key_id:08x}", name=sig.name, key_id=sig.key_id)
        if sig not in verified:
            verified.append(sig)
    note = Note(text, tuple(verified), tuple(unverified))
    if not verified:
        raise UnverifiedNote("the note has no signature from a known key", note)
    return note


def sign_note(text: str | Note, signers: Sequence[Signer]) -> bytes:
    """The note signed by `signers` (Go: note.Sign). Given a Note, its existing signatures are kept,
    except those by a key that signs again; new signatures come last."""
    note = text if isinstance(text, Note) else Note(text)
    if not note.text.endswith("\n"):
        raise Malformed("note text must end in a newline")
    _check_text_bytes(note.text.encode("utf-8"))
    message = note.text.encode("utf-8")
    new = []
    for s in signers:
        if not valid_name(s.name):
            raise Malformed(f"signer name {s.name!r} is empty or has a space or '+'")
        new.append(Signature(s.name, s.key_id, s.sign(message)))
    replaced = {(s.name, s.key_id) for s in new}
    kept = [s for s in (*note.sigs, *note.unverified) if (s.name, s.key_id) not in replaced]
    return (note.text + "\n" + "".join(s.line for s in (*kept, *new))).encode("utf-8")
