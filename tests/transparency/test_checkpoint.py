"""tlog-checkpoint: the spec's example body, strict parsing, and signed checkpoints."""

from __future__ import annotations

import base64

import pytest

from tcenter.transparency import checkpoint as cp
from tcenter.transparency import note
from tcenter.transparency.errors import Malformed, SignatureError, TlogVerificationFailed
from tcenter.transparency.merkle import EMPTY_ROOT

# c2sp.org/tlog-checkpoint example body
SPEC_BODY = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"


def test_spec_example_round_trips():
    c = cp.parse_checkpoint(SPEC_BODY)
    assert (c.origin, c.size, c.extensions) == ("example.com/behind-the-sofa", 20852163, ())
    assert c.root_hash == base64.b64decode("CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=")
    assert c.text() == SPEC_BODY
    with_ext = SPEC_BODY + "ext one\next two\n"
    assert cp.parse_checkpoint(with_ext).extensions == ("ext one", "ext two")
    assert cp.parse_checkpoint(with_ext).text() == with_ext


@pytest.mark.parametrize("body", [
    "example.com/x\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=",      # no final newline
    "example.com/x\n20852163\n",                                                   # two lines
    "\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",                   # empty origin
    "example.com/x\n020852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",    # leading zero
    "example.com/x\n+5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
    "example.com/x\n0x10\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
    "example.com/x\n5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2=\n",              # 31 bytes
    "example.com/x\n5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I\n",              # no padding
    "example.com/x\n5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n",           # empty extension
    "example.com/x\n0\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",             # size 0, not the empty root
    "example.com/x\n99999999999999999999\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
])
def test_bad_bodies(body):
    with pytest.raises(Malformed):
        cp.parse_checkpoint(body)


def test_empty_tree():
    body = "example.com/x\n0\n" + base64.b64encode(EMPTY_ROOT).decode() + "\n"
    assert cp.parse_checkpoint(body).size == 0


def test_signed_checkpoint_and_any_bit_of_it():
    signer = note.Ed25519Signer.from_seed("example.com/log", bytes(range(32)))
    body = cp.Checkpoint("example.com/log", 12345, bytes(range(32)))
    signed = cp.sign_checkpoint(body, [signer])
    opened = cp.open_checkpoint(signed, signer.verifier())
    assert opened.checkpoint == body and opened.raw == signed
    text_end = len(body.body())
    for bit in range(text_end * 8):  # every bit of the body: origin, size, root
        data = bytearray(signed)
        data[bit // 8] ^= 1 << (bit % 8)
        with pytest.raises((Malformed, SignatureError, TlogVerificationFailed)):
            cp.open_checkpoint(bytes(data), signer.verifier())


def test_origin_must_be_the_logs():
    signer = note.Ed25519Signer.from_seed("example.com/log", bytes(range(32)))
    signed = cp.sign_checkpoint(cp.Checkpoint("example.com/other", 1, bytes(32)), [signer])
    with pytest.raises(TlogVerificationFailed, match="example.com/other"):
        cp.open_checkpoint(signed, signer.verifier())
