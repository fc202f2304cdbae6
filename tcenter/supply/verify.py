"""`tcenter verify`: check a release offline, with the center's public keys only.

    tcenter verify RELEASE --class products --key products=products.pub.pem \
        [--key av-databases=av.pub.pem] [--bundle-dir DIR] [--pool POOL] [--min-builders 2] \
        [--source-rev REV]

The bundle next to RELEASE (or in --bundle-dir): RELEASE.sig (signature over the file),
RELEASE.intoto.json (DSSE envelope of an in-toto Statement v1 / SLSA Provenance v1) and
RELEASE.cdx.json (CycloneDX SBOM, whose digest the provenance records). Formats and the
openssl-only way are in docs/releases.md.

Exit codes (one per failure class, checked in this order):
  0 verified
  10 the signature over the release does not verify with the class's key
  11 signed with the other class's key (e.g. the AV database key on a product)
  12 the provenance envelope is unsigned, or not signed by the class's key
  13 the provenance is about another file (subject digest), or is not SLSA provenance
  14 fewer than N distinct builder identities of the pool agreed on the file's digest
  15 the provenance's source revision is not --source-rev
  16 the SBOM is missing or is not the one the provenance names
  3 unreadable input (file, key, JSON), 64 usage
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from components.awsfacts import SIGNING_CLASSES

from ..core.errors import ExitCode, InputError, UsageError, VerificationFailed
PAYLOAD_TYPE = "application/vnd.in-toto+json"
STATEMENT_V1 = "https://in-toto.io/Statement/v1"
SLSA_PROVENANCE_V1 = "https://slsa.dev/provenance/v1"
CHUNK = 1 << 20

VERIFIED = ExitCode.OK
RELEASE_SIGNATURE = ExitCode.RELEASE_SIGNATURE
WRONG_KEY_CLASS = ExitCode.WRONG_KEY_CLASS
ENVELOPE_SIGNATURE = ExitCode.ENVELOPE_SIGNATURE
SUBJECT = ExitCode.SUBJECT
BUILDERS = ExitCode.BUILDERS
SOURCE_REVISION = ExitCode.SOURCE_REVISION
SBOM = ExitCode.SBOM
REASONS = {
    RELEASE_SIGNATURE: "release-signature", WRONG_KEY_CLASS: "wrong-key-class", ENVELOPE_SIGNATURE: "envelope-signature",
    SUBJECT: "subject", BUILDERS: "builders", SOURCE_REVISION: "source-revision", SBOM: "sbom",
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


def _read(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise InputError(f"cannot read {what} {path}: {error.strerror or error}") from None


def load_key(path: Path, signing_class: str) -> Any:
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
    from cryptography.hazmat.primitives.serialization import load_pem_public_key
    from securesystemslib.signer import SSlibKey

    try:
        public = load_pem_public_key(_read(path, f"the {signing_class} public key"))
    except ValueError:
        raise InputError(f"--key {signing_class}={path}: not a PEM public key (-----BEGIN PUBLIC KEY-----)") from None
    if isinstance(public, rsa.RSAPublicKey):
        # KMS key specs: RSA_2048/3072/4096 sign RSASSA_PSS_SHA_256/384/512.
        scheme = {2048: "rsassa-pss-sha256", 3072: "rsassa-pss-sha384", 4096: "rsassa-pss-sha512"}.get(public.key_size)
        if scheme is None:
            raise InputError(f"--key {signing_class}={path}: RSA-{public.key_size} is not a center key size")
        return SSlibKey.from_crypto(public, keyid=signing_class, scheme=scheme)
    if isinstance(public, ec.EllipticCurvePublicKey):
        return SSlibKey.from_crypto(public, keyid=signing_class)
    raise InputError(f"--key {signing_class}={path}: only EC and RSA keys sign releases")


def _signed_by(key: Any, signature: bytes, data: bytes) -> bool:
    from securesystemslib.exceptions import UnverifiedSignatureError
    from securesystemslib.signer import Signature

    try:
        key.verify_signature(Signature(keyid=key.keyid, sig=signature.hex()), data)
        return True
    except UnverifiedSignatureError:
        return False


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    try:
        with path.open("rb") as stream:
            for chunk in iter(lambda: stream.read(CHUNK), b""):
                digest.update(chunk)
    except OSError as error:
        raise InputError(f"cannot read the release {path}: {error.strerror or error}") from None
    return digest.hexdigest()


def verify_release(release: Path, signing_class: str, keys: dict[str, Any], bundle_dir: Path | None = None,
                   pool: str | None = None, min_builders: int = 2, source_rev: str | None = None) -> Verdict:
    """Raises Rejected(code, reason) at the first failed check; CliError for unreadable input."""
    from securesystemslib.dsse import Envelope

    if signing_class not in keys:
        raise UsageError(f"--key {signing_class}=PEM is required to verify a {signing_class} release")
    folder = bundle_dir or release.parent
    bundle = {suffix: folder / f"{release.name}{suffix}" for suffix in (".sig", ".intoto.json", ".cdx.json")}
    data = _read(release, "the release")
    sha256 = hashlib.sha256(data).hexdigest()
    others = {c: k for c, k in keys.items() if c != signing_class}

    # 1. The signature over the file, by the key of the class the customer expects.
    signature = _read(bundle[".sig"], "the release signature")
    if not _signed_by(keys[signing_class], signature, data):
        wrong = [c for c, k in others.items() if _signed_by(k, signature, data)]
        if wrong:
            raise Rejected(WRONG_KEY_CLASS, f"the release is signed with the {wrong[0]} key, not the {signing_class} key")
        raise Rejected(RELEASE_SIGNATURE, f"the signature does not verify over {release.name} with the {signing_class} key "
                                          "(the file or its signature was changed)")

    # 2. The provenance envelope, signed by the same class's key.
    try:
        envelope = Envelope.from_dict(json.loads(_read(bundle[".intoto.json"], "the provenance envelope")))
    except (ValueError, KeyError, TypeError) as error:
        raise InputError(f"{bundle['.intoto.json']}: not a DSSE envelope ({error})") from None
    if envelope.payload_type != PAYLOAD_TYPE:
        raise Rejected(SUBJECT, f"the envelope's payloadType is {envelope.payload_type!r}, not {PAYLOAD_TYPE}")
    pae = envelope.pae()
    signatures = [bytes.fromhex(s.signature) for s in envelope.signatures.values()]
    if not signatures:
        raise Rejected(ENVELOPE_SIGNATURE, "the provenance envelope is not signed")
    if not any(_signed_by(keys[signing_class], s, pae) for s in signatures):
        wrong = [c for c, k in others.items() if any(_signed_by(k, s, pae) for s in signatures)]
        if wrong:
            raise Rejected(WRONG_KEY_CLASS, f"the provenance is signed with the {wrong[0]} key, not the {signing_class} key")
        raise Rejected(ENVELOPE_SIGNATURE, f"no signature on the provenance envelope verifies with the {signing_class} key "
                                           "(changed or re-signed by another key)")

    # 3. The statement is SLSA provenance about this very file.
    try:
        statement = json.loads(envelope.payload)
        predicate = statement["predicate"]
        definition, run = predicate["buildDefinition"], predicate["runDetails"]
        parameters = definition["externalParameters"]
    except (ValueError, KeyError, TypeError):
        raise Rejected(SUBJECT, "the envelope does not hold an in-toto statement with a SLSA provenance predicate") from None
    if statement.get("_type") != STATEMENT_V1 or statement.get("predicateType") != SLSA_PROVENANCE_V1:
        raise Rejected(SUBJECT, f"not an in-toto Statement v1 with SLSA Provenance v1 ({statement.get('predicateType')!r})")
    subject_digests = [s.get("digest", {}).get("sha256") for s in statement.get("subject", [])]
    if sha256 not in subject_digests:
        raise Rejected(SUBJECT, f"the provenance is about {subject_digests}, not this file (sha256 {sha256})")
    if parameters.get("signingClass") != signing_class:
        raise Rejected(WRONG_KEY_CLASS, f"the provenance names class {parameters.get('signingClass')!r}, not {signing_class}")

    # 4. Enough distinct builder identities of the pool agreed on this digest.
    claimed_pool = parameters.get("pool", "")
    if pool is not None and claimed_pool != pool:
        raise Rejected(BUILDERS, f"the builders are of pool {claimed_pool!r}, not {pool}")
    identity = re.compile(rf"^{re.escape(claimed_pool)}-[1-9][0-9]*$")
    agreed = [(b.get("annotations", {}).get("builderIdentity"), b.get("digest", {}).get("sha256"))
              for b in run.get("byproducts", []) if "builderIdentity" in b.get("annotations", {})]
    names = [name for name, _ in agreed]
    if len(set(names)) != len(names):
        raise Rejected(BUILDERS, f"a builder identity is counted twice: {sorted(names)}")
    outside = [name for name in names if not identity.match(str(name))]
    if outside:
        raise Rejected(BUILDERS, f"builders outside pool {claimed_pool!r}: {outside}")
    disagreeing = [name for name, digest in agreed if digest != sha256]
    if disagreeing:
        raise Rejected(BUILDERS, f"builders {disagreeing} produced other bytes than the release")
    if len(names) < min_builders:
        raise Rejected(BUILDERS, f"{len(names)} builder identities agreed ({names}); at least {min_builders} are required")

    # 5. The reviewed source.
    source = parameters.get("source", {})
    if source_rev is not None and source.get("commit") != source_rev:
        raise Rejected(SOURCE_REVISION, f"built from commit {source.get('commit')!r}, not the reviewed {source_rev}")

    # 6. The SBOM the provenance names.
    sbom_digests = [b.get("digest", {}).get("sha256") for b in run.get("byproducts", [])
                    if b.get("name") == f"{release.name}.cdx.json" or b.get("mediaType") == "application/vnd.cyclonedx+json"]
    if not bundle[".cdx.json"].is_file():
        raise Rejected(SBOM, f"the SBOM {bundle['.cdx.json'].name} is missing")
    if _sha256(bundle[".cdx.json"]) not in sbom_digests:
        raise Rejected(SBOM, "the SBOM is not the one the provenance names (digest differs)")

    return Verdict(release.name, sha256, signing_class, claimed_pool, tuple(sorted(names)),
                   str(source.get("commit", "")), str(source.get("tree", "")))


def parse_keys(specs: list[str]) -> dict[str, Any]:
    keys: dict[str, Any] = {}
    for spec in specs:
        signing_class, sep, path = spec.partition("=")
        if not sep or signing_class not in SIGNING_CLASSES or not path:
            raise UsageError(f"--key takes CLASS=PEM with CLASS one of {list(SIGNING_CLASSES)}, not {spec!r}")
        if signing_class in keys:
            raise UsageError(f"--key {signing_class} given twice")
        keys[signing_class] = load_key(Path(path), signing_class)
    return keys
