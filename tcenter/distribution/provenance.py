"""What a client checks after TUF has vouched for the bytes (docs/distribution.md):

1. signers: a product's role was signed by the vendor's key AND at least one reviewer
   organization's key (TUF's threshold of 2 alone would also accept two reviewers);
2. the log: the release's entry (rebuilt here from the file and its provenance envelope, as the
   sequencer builds it) is in a checkpoint signed by the log and cosigned by `k` organizations'
   witnesses (tcenter.transparency.proof.verify_inclusion_bundle with a WitnessPolicy);
3. the provenance: the vendor's DSSE envelope verifies with the class's release key, names this
   file, this class and pool, only builder identities of the policy's set (at least
   `minBuilders`, all agreeing on the digest), and the source revision TUF lists (and the one
   the customer pinned, if any);
4. products: a valid rebuild attestation of this file and this provenance by a reviewer
   organization whose key the (root-threshold signed) delegation lists.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass
from typing import Any, Mapping

from tcenter.core.errors import ExitCode

from . import attestation
from .errors import NotLogged, NotRebuilt, ProvenanceRefused, TooFewWitnesses
from .keys import holder_of, is_vendor
from .policy import ClientPolicy

STATEMENT_V1 = "https://in-toto.io/Statement/v1"
SLSA_PROVENANCE_V1 = "https://slsa.dev/provenance/v1"
IN_TOTO = "application/vnd.in-toto+json"


def reviewer_keys(delegator: Any, role: str) -> dict[str, list[Any]]:
    """Organization -> its keys among `role`'s delegated keys (holder labels are part of the
    delegating metadata, which the root threshold signed)."""
    found: dict[str, list[Any]] = {}
    for keyid in delegator.get_delegated_role(role).keyids:
        key = delegator.get_key(keyid)
        if not is_vendor(key) and holder_of(key):
            found.setdefault(holder_of(key), []).append(key)
    return found


def check_signers(delegator: Any, role: str, metadata: Any) -> tuple[str, ...]:
    """The holders whose signatures on `metadata` verify; NotRebuilt unless the vendor and at
    least one reviewer organization are among them."""
    from tuf.api.serialization.json import CanonicalJSONSerializer

    payload = CanonicalJSONSerializer().serialize(metadata.signed)
    result = delegator.get_verification_result(role, payload, metadata.signatures)
    holders = tuple(sorted({holder_of(k) for k in result.signed.values()}))
    if not any(is_vendor(k) for k in result.signed.values()):
        raise NotRebuilt(f"the {role} role is signed by {list(holders)}, not by the vendor", check="signers")
    if not any(not is_vendor(k) for k in result.signed.values()):
        raise NotRebuilt(f"the {role} role is signed by the vendor only: no reviewer organization signed it",
                         check="signers")
    return holders


@dataclass(frozen=True)
class Provenance:
    envelope: dict[str, Any]
    statement: dict[str, Any]
    key_id: str
    name: str
    sha256: str
    signing_class: str
    pool: str
    builders: tuple[tuple[str, str], ...]
    commit: str
    tree: str


def read_provenance(envelope_bytes: bytes) -> Provenance:
    """The vendor's envelope and statement, unverified (the log entry is built from them)."""
    try:
        envelope = json.loads(envelope_bytes)
        payload = base64.b64decode(envelope["payload"], validate=True)
        statement = json.loads(payload)
        parameters = statement["predicate"]["buildDefinition"]["externalParameters"]
        run = statement["predicate"]["runDetails"]
        (subject,) = statement["subject"]
        builders = tuple((str(b["annotations"]["builderIdentity"]), str(b.get("digest", {}).get("sha256", "")))
                         for b in run.get("byproducts", []) if "builderIdentity" in b.get("annotations", {}))
        return Provenance(envelope, statement, str(envelope["signatures"][0].get("keyid", "")), str(subject["name"]),
                          str(subject["digest"]["sha256"]), str(parameters["signingClass"]), str(parameters["pool"]),
                          builders, str(parameters["source"]["commit"]), str(parameters["source"]["tree"]))
    except (ValueError, KeyError, TypeError, IndexError, AttributeError, binascii.Error):
        raise ProvenanceRefused("the provenance is not a DSSE envelope of SLSA provenance with one subject",
                                exit_code=ExitCode.SUBJECT, check="provenance-format") from None


def log_entry(provenance: Provenance, envelope_bytes: bytes) -> bytes:
    """The canonical `release` entry the sequencer logged for this provenance envelope."""
    from tcenter.transparency.entries import encode_entry, release_entry
    from tcenter.transparency.errors import Malformed

    try:
        return encode_entry(release_entry(
            signing_class=provenance.signing_class, name=provenance.name, sha256=provenance.sha256,
            envelope_sha256=hashlib.sha256(envelope_bytes).hexdigest(), source_revision=provenance.commit,
            source_tree=provenance.tree, pool=provenance.pool, builders=[b for b, _ in provenance.builders],
            key_id=provenance.key_id))
    except Malformed as error:
        raise NotLogged(f"the provenance cannot be a log entry: {error}", check="log") from None


def check_log(policy: ClientPolicy, entry: bytes, proof: bytes | None, now: int | None = None) -> Any:
    """The entry is in a checkpoint of the policy's log cosigned by `policy.quorum` organizations."""
    from tcenter.transparency.errors import Malformed, PolicyNotMet, TlogVerificationFailed
    from tcenter.transparency.proof import verify_inclusion_bundle

    if proof is None:
        raise NotLogged("no .tlog-proof: the release is not proven to be in the transparency log", check="log")
    try:
        return verify_inclusion_bundle(entry, proof, policy.log_verifier(), policy.witness_policy(),
                                       origin=policy.log_origin, now=now)
    except PolicyNotMet as error:
        raise TooFewWitnesses(f"the log proof's checkpoint: {error}", check="witnesses") from None
    except (Malformed, TlogVerificationFailed) as error:
        raise NotLogged(f"the .tlog-proof does not verify: {error}", check="log") from None


def _release_key(pem: str) -> Any:
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.serialization import load_pem_public_key
    from securesystemslib.signer import SSlibKey

    public = load_pem_public_key(pem.encode())
    if isinstance(public, rsa.RSAPublicKey):  # KMS RSA_2048/3072/4096 sign RSASSA_PSS_SHA_256/384/512
        scheme = {2048: "rsassa-pss-sha256", 3072: "rsassa-pss-sha384", 4096: "rsassa-pss-sha512"}[public.key_size]
        return SSlibKey.from_crypto(public, scheme=scheme)
    return SSlibKey.from_crypto(public)


def check_provenance(policy: ClientPolicy, provenance: Provenance, *, name: str, sha256: str,
                     listed_revision: str | None, pinned_revision: str | None = None) -> None:
    from securesystemslib.exceptions import UnverifiedSignatureError
    from securesystemslib.signer import Signature

    envelope = provenance.envelope
    key = _release_key(policy.release_key)
    payload = base64.b64decode(envelope["payload"])
    pae = attestation.pae(str(envelope.get("payloadType")), payload)
    verified = False
    for sig in envelope.get("signatures", []):
        try:
            key.verify_signature(Signature(keyid=key.keyid, sig=base64.b64decode(sig["sig"]).hex()), pae)
            verified = True
        except (UnverifiedSignatureError, KeyError, ValueError, binascii.Error):
            continue
    if envelope.get("payloadType") != IN_TOTO or not verified:
        raise ProvenanceRefused(f"the provenance of {name} is not signed by the {policy.signing_class} release key",
                                exit_code=ExitCode.ENVELOPE_SIGNATURE, check="provenance-signature")
    statement = provenance.statement
    if statement.get("_type") != STATEMENT_V1 or statement.get("predicateType") != SLSA_PROVENANCE_V1 \
            or provenance.sha256 != sha256 or provenance.name != name or provenance.signing_class != policy.signing_class:
        raise ProvenanceRefused(f"the provenance is about {provenance.signing_class}/{provenance.name} "
                                f"(sha256 {provenance.sha256[:16]}...), not this {policy.signing_class}/{name}",
                                exit_code=ExitCode.SUBJECT, check="subject")
    names = [b for b, _ in provenance.builders]
    outsiders = sorted(set(names) - set(policy.builders))
    disagreeing = sorted(b for b, digest in provenance.builders if digest != sha256)
    if provenance.pool != policy.pool or outsiders or disagreeing or len(set(names)) != len(names) \
            or len(names) < policy.min_builders:
        raise ProvenanceRefused(
            f"builders: pool {provenance.pool!r} (expected {policy.pool!r}), {names}; outside the policy's set "
            f"{outsiders}, other bytes {disagreeing}, at least {policy.min_builders} distinct must agree",
            exit_code=ExitCode.BUILDERS, check="builders")
    for expected, what in ((listed_revision, "the repository lists"), (pinned_revision, "was pinned")):
        if expected is not None and provenance.commit != expected:
            raise ProvenanceRefused(f"built from commit {provenance.commit}, but {expected} {what}",
                                    exit_code=ExitCode.SOURCE_REVISION, check="source-revision")


def check_rebuilds(attestations: Mapping[str, bytes], keys: Mapping[str, list[Any]], *, signing_class: str,
                   name: str, sha256: str, envelope_sha256: str) -> tuple[attestation.Attested, ...]:
    """The valid rebuild attestations among `attestations` ({organization: envelope}); NotRebuilt
    unless at least one organization of `keys` attested this very file and provenance."""
    found = []
    for organization, envelope in sorted(attestations.items()):
        if organization not in keys:
            continue
        result = attestation.verify(envelope, organization=organization, keys=keys[organization],
                                    signing_class=signing_class, name=name, sha256=sha256,
                                    envelope_sha256=envelope_sha256)
        if result is not None:
            found.append(result)
    if not found:
        raise NotRebuilt(f"no reviewer organization ({sorted(keys)}) attested that it rebuilt {name} from the reviewed "
                         f"source (attestations offered: {sorted(attestations)})", check="rebuild")
    return tuple(found)
