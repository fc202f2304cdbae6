"""A reviewer organization's rebuild attestation (what `tc-rebuild --sign` writes on the review
workstation, docs/releases.md): "we rebuilt this file from the reviewed source and got the same
bytes", signed with the organization's own key.

Format: a DSSE envelope (payloadType `application/vnd.in-toto+json`) of an in-toto Statement v1
whose predicate is a SLSA Verification Summary Attestation v1 (`https://slsa.dev/verification_summary/v1`):

    subject            [{"name": NAME, "digest": {"sha256": <the released file>}}]
    verifier.id        urn:transparency-center:reviewer:<organization>
    timeVerified       RFC 3339 UTC
    resourceUri        urn:transparency-center:release:<class>/<name>
    policy.uri         urn:transparency-center:policy:rebuild-from-reviewed-source
    inputAttestations  [{"uri": "<name>.intoto.json", "digest": {"sha256": <the vendor's provenance envelope>}}]
    verificationResult "PASSED"
    verifiedLevels     ["TCENTER_REBUILT_FROM_REVIEWED_SOURCE"]  (an organization-prefixed property, VSA 1.0)
    slsaVersion        "1.0"

The input attestation binds the vendor's provenance (its commit, tree, build command), so the
attestation says: this commit builds to these bytes. The signature is DSSE's (over PAE); a
verifier tries each of the organization's keys, whatever key ID the envelope names (the shell
tool does not compute TUF key IDs).
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any, Iterable

PAYLOAD_TYPE = "application/vnd.in-toto+json"
STATEMENT_V1 = "https://in-toto.io/Statement/v1"
VSA_V1 = "https://slsa.dev/verification_summary/v1"
REBUILT = "TCENTER_REBUILT_FROM_REVIEWED_SOURCE"
POLICY_URI = "urn:transparency-center:policy:rebuild-from-reviewed-source"


def verifier_id(organization: str) -> str:
    return f"urn:transparency-center:reviewer:{organization}"


def pae(payload_type: str, payload: bytes) -> bytes:
    """DSSE's pre-authentication encoding."""
    t = payload_type.encode()
    return b"DSSEv1 %d %b %d %b" % (len(t), t, len(payload), payload)


def statement(*, organization: str, signing_class: str, name: str, sha256: str, envelope_sha256: str,
              time_verified: str) -> dict[str, Any]:
    return {
        "_type": STATEMENT_V1,
        "subject": [{"name": name, "digest": {"sha256": sha256}}],
        "predicateType": VSA_V1,
        "predicate": {
            "verifier": {"id": verifier_id(organization)},
            "timeVerified": time_verified,
            "resourceUri": f"urn:transparency-center:release:{signing_class}/{name}",
            "policy": {"uri": POLICY_URI},
            "inputAttestations": [{"uri": f"{name}.intoto.json", "digest": {"sha256": envelope_sha256}}],
            "verificationResult": "PASSED",
            "verifiedLevels": [REBUILT],
            "slsaVersion": "1.0",
        },
    }


def sign(statement_value: dict[str, Any], signer: Any) -> bytes:
    """A DSSE envelope of `statement_value` signed by `signer` (a securesystemslib Signer)."""
    payload = json.dumps(statement_value, sort_keys=True, separators=(",", ":")).encode()
    signature = signer.sign(pae(PAYLOAD_TYPE, payload))
    envelope = {"payload": base64.b64encode(payload).decode(), "payloadType": PAYLOAD_TYPE,
                "signatures": [{"keyid": signature.keyid, "sig": base64.b64encode(bytes.fromhex(signature.signature)).decode()}]}
    return json.dumps(envelope, sort_keys=True, indent=1).encode() + b"\n"


@dataclass(frozen=True)
class Attested:
    organization: str
    key_id: str
    time_verified: str


def verify(envelope: bytes, *, organization: str, keys: Iterable[Any], signing_class: str, name: str, sha256: str,
           envelope_sha256: str) -> Attested | None:
    """The attestation's finding if `envelope` is `organization`'s valid rebuild attestation of
    exactly this file and this provenance, signed by one of `keys`; else None (never raises on
    a bad attestation: a client counts the valid ones)."""
    from securesystemslib.exceptions import UnverifiedSignatureError
    from securesystemslib.signer import Signature

    try:
        document = json.loads(envelope)
        payload = base64.b64decode(document["payload"], validate=True)
        payload_type = document["payloadType"]
        signatures = [base64.b64decode(s["sig"], validate=True) for s in document["signatures"]]
        content = json.loads(payload)
    except (ValueError, KeyError, TypeError, binascii.Error):
        return None
    if payload_type != PAYLOAD_TYPE or not isinstance(content, dict):
        return None
    message = pae(payload_type, payload)
    signer = None
    for key in keys:
        for raw in signatures:
            try:
                key.verify_signature(Signature(keyid=key.keyid, sig=raw.hex()), message)
                signer = key
            except UnverifiedSignatureError:
                continue
    if signer is None:
        return None
    predicate = content.get("predicate")
    if content.get("_type") != STATEMENT_V1 or content.get("predicateType") != VSA_V1 or not isinstance(predicate, dict):
        return None
    expected_inputs = [{"uri": f"{name}.intoto.json", "digest": {"sha256": envelope_sha256}}]
    if (content.get("subject") != [{"name": name, "digest": {"sha256": sha256}}]
            or predicate.get("verifier", {}).get("id") != verifier_id(organization)
            or predicate.get("resourceUri") != f"urn:transparency-center:release:{signing_class}/{name}"
            or predicate.get("verificationResult") != "PASSED"
            or REBUILT not in (predicate.get("verifiedLevels") or [])
            or predicate.get("inputAttestations") != expected_inputs):
        return None
    return Attested(organization, signer.keyid, str(predicate.get("timeVerified", "")))
