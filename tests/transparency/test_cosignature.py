"""tlog-cosignature v1 (the spec's message and example line) and the k-of-organizations policy."""

from __future__ import annotations

import base64
import struct

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from tcenter.transparency import checkpoint as cp
from tcenter.transparency import cosignature as cs
from tcenter.transparency import note
from tcenter.transparency.errors import Malformed, PolicyNotMet, SignatureError

from .conftest import ORIGIN, seed

SPEC_BODY = b"example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
# c2sp.org/tlog-cosignature "Ed25519 signed message" example
SPEC_MESSAGE = (b"cosignature/v1\ntime 1679315147\nexample.com/behind-the-sofa\n20852163\n"
                b"CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n")
# ... and its example cosignature line (no public key is published for it)
SPEC_LINE = ("— witness.example.com/w1 jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2oyin1nPZ"
             "qhf5nNo0xUe+mbIUBkBIfZ+qnA==")


def test_the_specs_signed_message():
    assert cs.cosigned_message(SPEC_BODY, 1679315147) == SPEC_MESSAGE


def test_the_specs_example_line_is_a_timestamped_signature():
    sig = note.parse_signature_line(SPEC_LINE)
    assert len(sig.signature) == cs.SIGNATURE_BYTES
    assert cs.timestamp_of(sig) == 1679315147  # the time of the spec's example message


def test_cosign_and_verify_independently(clock):
    signer = cs.CosignatureSigner.from_seed("witness.example/w", seed("w"), clock)
    raw = signer.sign(SPEC_BODY)
    # verify by the spec's definition with cryptography directly, not through the library
    timestamp = struct.unpack(">Q", raw[:8])[0]
    assert timestamp == clock.now
    Ed25519PublicKey.from_public_bytes(signer.public_key).verify(
        raw[8:], b"cosignature/v1\ntime %d\n" % timestamp + SPEC_BODY)
    assert signer.verifier().verify(SPEC_BODY, raw)
    # key ID with type 0x04, not 0x01
    import hashlib
    assert signer.key_id == int.from_bytes(hashlib.sha256(b"witness.example/w\n\x04" + signer.public_key).digest()[:4], "big")
    assert signer.key_id != note.Ed25519Signer.from_seed("witness.example/w", seed("w")).key_id
    vkey = signer.verifier().vkey
    assert base64.b64decode(vkey.split("+")[2])[0] == 0x04
    assert cs.parse_witness_key(vkey).key_id == signer.key_id
    with pytest.raises(Malformed):
        cs.parse_witness_key(note.Ed25519Signer.from_seed("x.example", seed("x")).verifier().vkey)


def test_every_bit_of_a_cosignature_matters(clock):
    signer = cs.CosignatureSigner.from_seed("witness.example/w", seed("w"), clock)
    raw = signer.sign(SPEC_BODY)
    v = signer.verifier()
    for bit in range(len(raw) * 8):
        b = bytearray(raw)
        b[bit // 8] ^= 1 << (bit % 8)
        assert not v.verify(SPEC_BODY, bytes(b))
    assert not v.verify(SPEC_BODY.replace(b"20852163", b"20852164"), raw)


def _cosigned(log_signer, signers):
    body = cp.Checkpoint(ORIGIN, 10, bytes(range(32)))
    return note.sign_note(body.text(), [log_signer, *signers])


def test_policy_counts_organizations_not_signatures(log_signer, witnesses, policy):
    a1, a2 = witnesses["org-a"]
    b1 = witnesses["org-b"][0]
    result = cs.check_policy(_cosigned(log_signer, [a1, b1]), policy)
    assert result.organizations == ("org-a", "org-b")
    # two cosignatures of org-a count once: k=2 not met
    with pytest.raises(PolicyNotMet, match="1 of the 2") as caught:
        cs.check_policy(_cosigned(log_signer, [a1, a2]), policy)
    assert caught.value.organizations == ("org-a",)
    # k - 1
    with pytest.raises(PolicyNotMet):
        cs.check_policy(_cosigned(log_signer, [b1]), policy)


def test_a_key_not_listed_does_not_count_and_is_reported(log_signer, witnesses, policy, clock):
    outsider = cs.CosignatureSigner.from_seed("witness.org-b.example/w1", seed("other key, same name"), clock)
    with pytest.raises(PolicyNotMet) as caught:
        cs.check_policy(_cosigned(log_signer, [witnesses["org-a"][0], outsider]), policy)
    assert any("witness.org-b.example/w1" in i for i in caught.value.ignored)
    # the log's own signature is not a witness either
    assert any(ORIGIN in i for i in caught.value.ignored)


def test_a_listed_key_with_a_bad_signature_rejects(log_signer, witnesses, policy):
    signed = _cosigned(log_signer, [witnesses["org-a"][0], witnesses["org-b"][0]]).decode()
    lines = signed.split("\n")
    sig = note.parse_signature_line(lines[-2])
    bad = note.Signature(sig.name, sig.key_id, sig.signature[:-1] + bytes([sig.signature[-1] ^ 1])).line
    with pytest.raises(SignatureError):
        cs.check_policy(("\n".join(lines[:-2]) + "\n" + bad).encode(), policy)


def test_future_timestamps_can_be_refused(log_signer, witnesses, policy, clock):
    signed = _cosigned(log_signer, [witnesses["org-a"][0], witnesses["org-b"][0]])
    cs.check_policy(signed, policy, now=clock.now)
    with pytest.raises(PolicyNotMet, match="in the future"):
        cs.check_policy(signed, policy, now=clock.now - 3600)


def test_policy_shape(witnesses):
    a1 = witnesses["org-a"][0].verifier()
    with pytest.raises(Malformed, match="one organization"):
        cs.WitnessPolicy(1, {"org-a": [a1], "org-b": [a1]})
    with pytest.raises(Malformed):
        cs.WitnessPolicy(3, {"org-a": [a1], "org-b": [witnesses["org-b"][0].verifier()]})
    with pytest.raises(Malformed):
        cs.WitnessPolicy(0, {"org-a": [a1]})
    policy = cs.WitnessPolicy.from_config({"quorum": 1, "organizations": {"org-a": [a1.vkey]}})
    assert policy.owner(a1.name, a1.key_id)[0] == "org-a"
    with pytest.raises(Malformed):
        cs.WitnessPolicy.from_config({"quorum": 1, "organizations": {"org-a": "not a list"}})
