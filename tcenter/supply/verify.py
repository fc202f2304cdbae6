"""`tcenter verify`: check a release offline, with the center's public keys only.

    tcenter verify RELEASE --class products --key products=products.pub.pem \
        [--key av-databases=av.pub.pem] [--builders builders.json] [--bundle-dir DIR] \
        [--pool POOL] [--min-builders 2] [--source-rev COMMIT] [--source-tree TREE] \
        [--not-older-than VERSION] [--state FILE]

The bundle next to RELEASE (or in --bundle-dir): RELEASE.sig (signature over the file),
RELEASE.intoto.json (DSSE envelope of an in-toto Statement v1 / SLSA Provenance v1) and
RELEASE.cdx.json (CycloneDX SBOM, whose digest the provenance records). The stack's builder
set (`tcenter keys STACK --builders FILE`) comes from --builders, else `builders.json` next
to the class's key. Formats and the openssl-only way are in docs/releases.md.

Exit codes (one per failure class, checked in this order):
  0 verified
  10 the signature over the release does not verify with the class's key
  11 signed with the other class's key (e.g. the AV database key on a product)
  12 the provenance envelope is unsigned, or not signed by the class's key
  13 the provenance is about another file or name, or is not SLSA provenance
  14 fewer than N distinct builder identities of the pool and of the stack agreed
  15 the provenance's source commit or tree is not --source-rev / --source-tree
  16 the SBOM is missing or is not the one the provenance names
  19 a rollback: older than --not-older-than, or than the last version --state saw
  3 unreadable input (file, key, JSON; special files, oversized files), 64 usage
"""

from __future__ import annotations

from collections.abc import Callable

import base64
import binascii
import hashlib
import json
import os
import re
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from components.awsfacts import SIGNING_CLASSES

from ..core.errors import ExitCode, InputError, UsageError, VerificationFailed

PAYLOAD_TYPE = "application/vnd.in-toto+json"
STATEMENT_V1 = "https://in-toto.io/Statement/v1"
SLSA_PROVENANCE_V1 = "https://slsa.dev/provenance/v1"
CHUNK = 1 << 20
MAX_JSON_BYTES = 16 << 20
"""Envelopes, SBOMs, builder sets and state files are kilobytes; anything past this is refused unread."""
MAX_KEY_BYTES = 64 << 10
BUILDERS_FORMAT = "transparency-center-builders"
STATE_FORMAT = "transparency-center-verify-state"
VERSION_PATTERN = re.compile(r"[0-9]{1,9}(\.[0-9]{1,9}){0,5}")
"""A release version: 1 to 6 dot-separated numbers (2.4.1, or 2025.01.31.2 for an AV database)."""

VERIFIED = ExitCode.OK
RELEASE_SIGNATURE = ExitCode.RELEASE_SIGNATURE
WRONG_KEY_CLASS = ExitCode.WRONG_KEY_CLASS
ENVELOPE_SIGNATURE = ExitCode.ENVELOPE_SIGNATURE
SUBJECT = ExitCode.SUBJECT
BUILDERS = ExitCode.BUILDERS
SOURCE_REVISION = ExitCode.SOURCE_REVISION
SBOM = ExitCode.SBOM
ROLLBACK = ExitCode.ROLLBACK
REASONS = {
    RELEASE_SIGNATURE: "release-signature", WRONG_KEY_CLASS: "wrong-key-class", ENVELOPE_SIGNATURE: "envelope-signature",
    SUBJECT: "subject", BUILDERS: "builders", SOURCE_REVISION: "source-revision", SBOM: "sbom", ROLLBACK: "rollback",
}


class Rejected(VerificationFailed):
    """A check failed: the release is not what it claims (exit code: the check)."""

    def __init__(self, code: ExitCode, message: str):
        super().__init__(message, exit_code=code)
        self.code = code


@dataclass(frozen=True)
class Verdict:
    release: str
    sha256: str
    signing_class: str
    pool: str
    builders: tuple[str, ...]
    commit: str
    tree: str
    version: str
    logged: str = ""
    """What the transparency-log check proved (empty when none was asked for)."""


@dataclass(frozen=True)
class PublicKey:
    """A class's public key and the hash its signatures are made over (KMS and the HSM sign
    the digest; the file is hashed once, in chunks, never read whole into memory)."""

    signing_class: str
    path: Path
    public: Any
    hash_name: str

    def verify_digest(self, signature: bytes, digest: bytes) -> bool:
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils

        algorithm = {"sha256": hashes.SHA256, "sha384": hashes.SHA384, "sha512": hashes.SHA512}[self.hash_name]()
        prehashed = utils.Prehashed(algorithm)
        try:
            if isinstance(self.public, rsa.RSAPublicKey):
                self.public.verify(signature, digest, padding.PSS(mgf=padding.MGF1(algorithm),
                                                                  salt_length=padding.PSS.AUTO), prehashed)
            else:
                self.public.verify(signature, digest, ec.ECDSA(prehashed))
            return True
        except (InvalidSignature, ValueError):
            return False

    def verify(self, signature: bytes, data: bytes) -> bool:
        return self.verify_digest(signature, hashlib.new(self.hash_name, data).digest())


# --- bounded reads ---------------------------------------------------------------------------

def _regular(path: Path, what: str, limit: int | None) -> int:
    """The size of PATH, a regular file (symlinks followed) of at most LIMIT bytes."""
    try:
        info = os.stat(path)
    except OSError as error:
        raise InputError(f"cannot read {what} {path}: {error.strerror or error}") from None
    if not stat.S_ISREG(info.st_mode):
        raise InputError(f"{what} {path} is not a regular file (a directory, FIFO, socket or device is refused)")
    if limit is not None and info.st_size > limit:
        raise InputError(f"{what} {path} is larger than {limit} bytes ({info.st_size}); refused unread")
    return info.st_size


def _read(path: Path, what: str, limit: int = MAX_JSON_BYTES) -> bytes:
    _regular(path, what, limit)
    try:
        with path.open("rb") as stream:
            data = stream.read(limit + 1)
    except OSError as error:
        raise InputError(f"cannot read {what} {path}: {error.strerror or error}") from None
    if len(data) > limit:
        raise InputError(f"{what} {path} is larger than {limit} bytes; refused")
    return data


def _digests(path: Path, what: str, names: set[str]) -> dict[str, bytes]:
    """Hashes of a (possibly multi-gigabyte) file, in one pass of bounded reads."""
    _regular(path, what, None)
    hashers = {name: hashlib.new(name) for name in names}
    try:
        with path.open("rb") as stream:
            for chunk in iter(lambda: stream.read(CHUNK), b""):
                for hasher in hashers.values():
                    hasher.update(chunk)
    except OSError as error:
        raise InputError(f"cannot read {what} {path}: {error.strerror or error}") from None
    return {name: hasher.digest() for name, hasher in hashers.items()}


def _sha256(path: Path) -> str:
    return _digests(path, "the file", {"sha256"})["sha256"].hex()


def _json(path: Path, what: str) -> Any:
    try:
        return json.loads(_read(path, what))
    except (ValueError, RecursionError):
        raise InputError(f"{what} {path} is not JSON") from None


# --- keys and the builder set ------------------------------------------------------------------

def load_key(path: Path, signing_class: str) -> PublicKey:
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    try:
        public = load_pem_public_key(_read(path, f"the {signing_class} public key", MAX_KEY_BYTES))
    except (ValueError, TypeError):
        raise InputError(f"--key {signing_class}={path}: not a PEM public key (-----BEGIN PUBLIC KEY-----)") from None
    if isinstance(public, rsa.RSAPublicKey):
        # KMS key specs: RSA_2048/3072/4096 sign RSASSA_PSS_SHA_256/384/512.
        hash_name = {2048: "sha256", 3072: "sha384", 4096: "sha512"}.get(public.key_size)
        if hash_name is None:
            raise InputError(f"--key {signing_class}={path}: RSA-{public.key_size} is not a center key size")
        return PublicKey(signing_class, path, public, hash_name)
    if isinstance(public, ec.EllipticCurvePublicKey):
        hash_name = {"secp256r1": "sha256", "secp384r1": "sha384", "secp521r1": "sha512"}.get(public.curve.name)
        if hash_name is None:
            raise InputError(f"--key {signing_class}={path}: curve {public.curve.name} is not a center key curve")
        return PublicKey(signing_class, path, public, hash_name)
    raise InputError(f"--key {signing_class}={path}: only EC and RSA keys sign releases")


def parse_keys(specs: list[str]) -> dict[str, PublicKey]:
    keys: dict[str, PublicKey] = {}
    for spec in specs:
        signing_class, sep, path = spec.partition("=")
        if not sep or signing_class not in SIGNING_CLASSES or not path:
            raise UsageError(f"--key takes CLASS=PEM with CLASS one of {list(SIGNING_CLASSES)}, not {spec!r}")
        if signing_class in keys:
            raise UsageError(f"--key {signing_class} given twice")
        keys[signing_class] = load_key(Path(path), signing_class)
    return keys


def builder_set_document(stack: str, builders: list[str]) -> dict[str, Any]:
    """What `tcenter keys STACK --builders FILE` publishes: the stack's builder identities."""
    return {"format": BUILDERS_FORMAT, "version": 1, "stack": stack, "builders": sorted(builders)}


def load_builder_set(path: Path) -> frozenset[str]:
    document = _json(path, "the builder set")
    builders = document.get("builders") if isinstance(document, dict) else None
    if (not isinstance(document, dict) or document.get("format") != BUILDERS_FORMAT
            or not isinstance(builders, list) or not all(isinstance(b, str) for b in builders)):
        raise InputError(f"{path}: not a {BUILDERS_FORMAT} file (`tcenter keys STACK --builders FILE` writes one)")
    return frozenset(builders)


def default_builder_set(key: PublicKey) -> Path:
    return key.path.parent / "builders.json"


# --- versions and the state file -----------------------------------------------------------------

def parse_version(text: Any, where: str) -> tuple[int, ...]:
    if not isinstance(text, str) or not VERSION_PATTERN.fullmatch(text):
        raise ValueError(f"{where}: {text!r} is not a release version (1 to 6 dot-separated numbers, e.g. 2.4.1)")
    parts = [int(part) for part in text.split(".")]
    while len(parts) > 1 and parts[-1] == 0:
        parts.pop()
    return tuple(parts)


def read_state(path: Path) -> dict[str, dict[str, str]]:
    if not path.exists():
        return {}
    document = _json(path, "the verify state")
    seen = document.get("lastSeen") if isinstance(document, dict) else None
    if (not isinstance(document, dict) or document.get("format") != STATE_FORMAT or not isinstance(seen, dict)
            or not all(isinstance(v, dict) and all(isinstance(x, str) and VERSION_PATTERN.fullmatch(x)
                                                   for x in v.values()) for v in seen.values())):
        raise InputError(f"{path}: not a {STATE_FORMAT} file")
    return seen


def write_state(path: Path, seen: dict[str, dict[str, str]]) -> None:
    """Atomically: a temporary file in the same folder, flushed, then renamed over PATH."""
    body = json.dumps({"format": STATE_FORMAT, "version": 1, "lastSeen": seen}, indent=2, sort_keys=True) + "\n"
    folder = path.parent if str(path.parent) else Path(".")
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=folder)
        with os.fdopen(handle, "w") as stream:
            stream.write(body)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except OSError as error:
        raise InputError(f"cannot write the verify state {path}: {error.strerror or error}") from None


# --- the checks ----------------------------------------------------------------------------------

def _envelope(path: Path) -> tuple[bytes, str, list[bytes]]:
    """(payload, payloadType, signatures) of a DSSE envelope; malformed is one InputError."""
    document = _json(path, "the provenance envelope")
    try:
        if not isinstance(document, dict):
            raise ValueError("not an object")
        payload, payload_type, signatures = document["payload"], document["payloadType"], document["signatures"]
        if not isinstance(payload, str) or not isinstance(payload_type, str) or not isinstance(signatures, list):
            raise ValueError("payload and payloadType must be strings, signatures a list")
        if not all(isinstance(s, dict) and isinstance(s.get("sig"), str) for s in signatures):
            raise ValueError("each signature must be an object with a base64 'sig'")
        decoded = base64.b64decode(payload, validate=True)
        sigs = [base64.b64decode(s["sig"], validate=True) for s in signatures]
    except (KeyError, ValueError, binascii.Error) as error:
        raise InputError(f"{path}: not a DSSE envelope ({error})") from None
    return decoded, payload_type, sigs


def _pae(payload_type: str, payload: bytes) -> bytes:
    kind = payload_type.encode()
    return b"DSSEv1 %d %b %d %b" % (len(kind), kind, len(payload), payload)


def _object(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise Rejected(SUBJECT, f"the provenance's {where} is not an object")
    return value


def _list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise Rejected(SUBJECT, f"the provenance's {where} is not a list")
    return value


def _sha256_of(entry: Any) -> Any:
    digest = entry.get("digest") if isinstance(entry, dict) else None
    return digest.get("sha256") if isinstance(digest, dict) else None


@dataclass(frozen=True)
class Expectations:
    """What the reviewer or customer supplies besides the keys."""

    builders: frozenset[str]
    pool: str | None = None
    min_builders: int = 2
    source_rev: str | None = None
    source_tree: str | None = None
    not_older_than: str | None = None
    state: Path | None = None
    log_check: Callable[[Path, Path, str, str], str] | None = None
    """(release, bundle dir, sha256, class) -> what it proved; raises a VerificationFailed (the
    transparency log's NOT_LOGGED or WITNESSES) when the release is not logged and cosigned."""


def verify_release(release: Path, signing_class: str, keys: dict[str, PublicKey], expect: Expectations,
                   bundle_dir: Path | None = None) -> Verdict:
    """Raises Rejected(code, reason) at the first failed check; InputError for unreadable input."""
    if signing_class not in keys:
        raise UsageError(f"--key {signing_class}=PEM is required to verify a {signing_class} release")
    try:
        floor = parse_version(expect.not_older_than, "--not-older-than") if expect.not_older_than else None
    except ValueError as error:
        raise UsageError(str(error)) from None
    seen = read_state(expect.state) if expect.state else {}
    folder = bundle_dir or release.parent
    bundle = {suffix: folder / f"{release.name}{suffix}" for suffix in (".sig", ".intoto.json", ".cdx.json")}
    key = keys[signing_class]
    others = {c: k for c, k in keys.items() if c != signing_class}
    digests = _digests(release, "the release", {"sha256"} | {k.hash_name for k in keys.values()})
    sha256 = digests["sha256"].hex()

    # 1. The signature over the file, by the key of the class the customer expects.
    signature = _read(bundle[".sig"], "the release signature", MAX_KEY_BYTES)
    if not key.verify_digest(signature, digests[key.hash_name]):
        wrong = [c for c, k in others.items() if k.verify_digest(signature, digests[k.hash_name])]
        if wrong:
            raise Rejected(WRONG_KEY_CLASS, f"the release is signed with the {wrong[0]} key, not the {signing_class} key")
        raise Rejected(RELEASE_SIGNATURE, f"the signature does not verify over {release.name} with the {signing_class} key "
                                          "(the file or its signature was changed)")

    # 2. The provenance envelope, signed by the same class's key.
    payload, payload_type, signatures = _envelope(bundle[".intoto.json"])
    if payload_type != PAYLOAD_TYPE:
        raise Rejected(SUBJECT, f"the envelope's payloadType is {payload_type!r}, not {PAYLOAD_TYPE}")
    pae = _pae(payload_type, payload)
    if not signatures:
        raise Rejected(ENVELOPE_SIGNATURE, "the provenance envelope is not signed")
    if not any(key.verify(s, pae) for s in signatures):
        wrong = [c for c, k in others.items() if any(k.verify(s, pae) for s in signatures)]
        if wrong:
            raise Rejected(WRONG_KEY_CLASS, f"the provenance is signed with the {wrong[0]} key, not the {signing_class} key")
        raise Rejected(ENVELOPE_SIGNATURE, f"no signature on the provenance envelope verifies with the {signing_class} key "
                                           "(changed or re-signed by another key)")

    # 3. The statement is SLSA provenance about this very file, under this very name and class.
    try:
        statement = json.loads(payload)
    except (ValueError, RecursionError):
        raise Rejected(SUBJECT, "the envelope's payload is not JSON") from None
    statement = _object(statement, "statement")
    if statement.get("_type") != STATEMENT_V1 or statement.get("predicateType") != SLSA_PROVENANCE_V1:
        raise Rejected(SUBJECT, f"not an in-toto Statement v1 with SLSA Provenance v1 ({statement.get('predicateType')!r})")
    predicate = _object(statement.get("predicate"), "predicate")
    definition = _object(predicate.get("buildDefinition"), "buildDefinition")
    run = _object(predicate.get("runDetails"), "runDetails")
    parameters = _object(definition.get("externalParameters"), "externalParameters")
    subjects = [_object(s, "subject entry") for s in _list(statement.get("subject"), "subject")]
    byproducts = [_object(b, "byproduct") for b in _list(run.get("byproducts", []), "byproducts")]
    about = [s for s in subjects if _sha256_of(s) == sha256]
    if not about:
        raise Rejected(SUBJECT, f"the provenance is about {[_sha256_of(s) for s in subjects]}, not this file (sha256 {sha256})")
    if not any(s.get("name") == release.name for s in about):
        raise Rejected(SUBJECT, f"the provenance names this file {[s.get('name') for s in about]}, not {release.name!r}: "
                                "another release renamed")
    if parameters.get("signingClass") != signing_class:
        raise Rejected(WRONG_KEY_CLASS, f"the provenance names class {parameters.get('signingClass')!r}, not {signing_class}")

    # 4. Enough distinct builder identities of the pool, and of the stack, agreed on this digest.
    claimed_pool = parameters.get("pool")
    if not isinstance(claimed_pool, str) or not claimed_pool:
        raise Rejected(BUILDERS, f"the provenance names no build pool ({claimed_pool!r})")
    if expect.pool is not None and claimed_pool != expect.pool:
        raise Rejected(BUILDERS, f"the builders are of pool {claimed_pool!r}, not {expect.pool}")
    identity = re.compile(rf"{re.escape(claimed_pool)}-[1-9][0-9]*")
    agreed = [(_object(b.get("annotations"), "annotations").get("builderIdentity"), _sha256_of(b))
              for b in byproducts if isinstance(b.get("annotations"), dict) and "builderIdentity" in b["annotations"]]
    names = [name for name, _ in agreed]
    outside = [name for name in names if not isinstance(name, str) or not identity.fullmatch(name)]
    if outside:
        raise Rejected(BUILDERS, f"builders outside pool {claimed_pool!r}: {outside}")
    if len(set(names)) != len(names):
        raise Rejected(BUILDERS, f"a builder identity is counted twice: {sorted(names)}")
    unknown = [name for name in names if name not in expect.builders]
    if unknown:
        raise Rejected(BUILDERS, f"builders {unknown} are not builders of the stack (its set: {sorted(expect.builders)})")
    disagreeing = [name for name, digest in agreed if digest != sha256]
    if disagreeing:
        raise Rejected(BUILDERS, f"builders {disagreeing} produced other bytes than the release")
    if len(names) < expect.min_builders:
        raise Rejected(BUILDERS, f"{len(names)} builder identities agreed ({names}); at least {expect.min_builders} are required")

    # 5. The reviewed source.
    source = parameters.get("source") if isinstance(parameters.get("source"), dict) else {}
    if expect.source_rev is not None and source.get("commit") != expect.source_rev:
        raise Rejected(SOURCE_REVISION, f"built from commit {source.get('commit')!r}, not the reviewed {expect.source_rev}")
    if expect.source_tree is not None and source.get("tree") != expect.source_tree:
        raise Rejected(SOURCE_REVISION, f"built from tree {source.get('tree')!r}, not the reviewed {expect.source_tree}")

    # 6. The SBOM the provenance names.
    sbom_digests = [_sha256_of(b) for b in byproducts
                    if b.get("name") == f"{release.name}.cdx.json" or b.get("mediaType") == "application/vnd.cyclonedx+json"]
    if not bundle[".cdx.json"].exists():
        raise Rejected(SBOM, f"the SBOM {bundle['.cdx.json'].name} is missing")
    _regular(bundle[".cdx.json"], "the SBOM", MAX_JSON_BYTES)
    if _sha256(bundle[".cdx.json"]) not in sbom_digests:
        raise Rejected(SBOM, "the SBOM is not the one the provenance names (digest differs)")

    # 7. Not a rollback: no older than the floor, nor than the last version seen of this release.
    version_text = parameters.get("releaseVersion")
    version = None
    if version_text is not None:
        try:
            version = parse_version(version_text, "the provenance's releaseVersion")
        except ValueError as error:
            raise Rejected(SUBJECT, str(error)) from None
    last = seen.get(signing_class, {}).get(release.name)
    if (floor is not None or last is not None) and version is None:
        raise Rejected(ROLLBACK, "the provenance carries no releaseVersion: its age cannot be judged")
    if floor is not None and version is not None and version < floor:
        raise Rejected(ROLLBACK, f"version {version_text} is older than --not-older-than {expect.not_older_than}")
    if last is not None and version is not None and version < parse_version(last, str(expect.state)):
        raise Rejected(ROLLBACK, f"version {version_text} is older than {last}, seen before ({expect.state})")
    # 9. In the transparency log, cosigned (the caller's check): before the state remembers the version.
    logged = expect.log_check(release, bundle_dir or release.parent, sha256, signing_class) if expect.log_check else ""
    if expect.state is not None and version is not None and (last is None or version > parse_version(last, "")):
        seen.setdefault(signing_class, {})[release.name] = str(version_text)
        write_state(expect.state, seen)

    return Verdict(release.name, sha256, signing_class, claimed_pool, tuple(sorted(names)),
                   str(source.get("commit", "")), str(source.get("tree", "")), str(version_text or ""), logged)
