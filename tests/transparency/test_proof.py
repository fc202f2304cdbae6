"""tlog-proof bundles: the exact text format, the client's verification with a witness policy,
and that any single-bit change of the bundle or the entry fails."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tcenter.transparency import proof as tp
from tcenter.transparency.errors import (
    InclusionProofError,
    Malformed,
    PolicyNotMet,
    TcenterError,
    TlogVerificationFailed,
)
from tcenter.transparency.witness import Witness

from .conftest import ORIGIN


def _cosigned_log(tlog, witnesses, log_signer, tmp_path, orgs=("org-a", "org-b"), entries=20):
    tlog.append([f"release {i}".encode() for i in range(entries)])
    lines = []
    for org in orgs:
        w = Witness(tmp_path / f"{org}.json", witnesses[org][0], {ORIGIN: [log_signer.verifier()]})
        lines.append(w.cosign(tlog.checkpoint()).line)
    tlog.add_cosignatures(lines)
    return tlog


def test_format_is_the_specs(tlog, log_signer):
    tlog.append([b"a", b"b", b"c"])
    bundle = tlog.prove(2, extra=b"hello")
    text = bundle.encode().decode()
    lines = text.split("\n")
    assert lines[0] == "c2sp.org/tlog-proof@v1"
    assert lines[1] == "extra " + base64.b64encode(b"hello").decode()
    assert lines[2] == "index 2"
    assert [base64.b64decode(x) for x in lines[3:4]] == list(bundle.inclusion_path)
    assert lines[4] == ""
    assert text.endswith(tlog.checkpoint().decode())
    assert tp.parse_proof(bundle.encode()) == bundle
    no_extra = tlog.prove(0)
    assert no_extra.encode().decode().split("\n")[1] == "index 0"


def test_single_entry_log_has_an_empty_path(tlog, log_signer):
    tlog.append([b"only"])
    bundle = tlog.prove(0)
    assert bundle.encode().startswith(b"c2sp.org/tlog-proof@v1\nindex 0\n\n" + tlog.checkpoint()[:10])
    tp.verify_inclusion_bundle(b"only", bundle.encode(), log_signer.verifier(), None)


def test_client_accepts_k_organizations(tlog, witnesses, log_signer, policy, tmp_path):
    _cosigned_log(tlog, witnesses, log_signer, tmp_path)
    bundle = tlog.prove(7).encode()
    result = tp.verify_inclusion_bundle(b"release 7", bundle, log_signer.verifier(), policy)
    assert result.index == 7 and result.witnesses.organizations == ("org-a", "org-b")
    with pytest.raises(InclusionProofError):
        tp.verify_inclusion_bundle(b"release 8", bundle, log_signer.verifier(), policy)


def test_client_refuses_k_minus_one(tlog, witnesses, log_signer, policy, tmp_path):
    _cosigned_log(tlog, witnesses, log_signer, tmp_path, orgs=("org-a",))
    with pytest.raises(PolicyNotMet):
        tp.verify_inclusion_bundle(b"release 7", tlog.prove(7).encode(), log_signer.verifier(), policy)


@pytest.mark.parametrize("bad", [
    b"", b"c2sp.org/tlog-proof@v2\nindex 0\n\n", b"c2sp.org/tlog-proof@v1\nindex 01\n\nx\n\n\xe2\x80\x94 a AAAAAAA=\n",
    b"c2sp.org/tlog-proof@v1\nindex 0\nnot base64!\n\nx\n\n\xe2\x80\x94 a AAAAAAA=\n",
    b"c2sp.org/tlog-proof@v1\nindex 0\nAAAA\n\nx\n\n\xe2\x80\x94 a AAAAAAA=\n",   # a 3-byte hash
    b"c2sp.org/tlog-proof@v1\nextra\nindex 0\n\nx\n\n\xe2\x80\x94 a AAAAAAA=\n",
    b"c2sp.org/tlog-proof@v1\nindex 0\n",
])
def test_malformed_bundles(bad):
    with pytest.raises(Malformed):
        tp.parse_proof(bad)


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    """One cosigned bundle, built once for the bit-flip property."""
    import hashlib

    from tcenter.transparency.cosignature import CosignatureSigner, WitnessPolicy
    from tcenter.transparency.log import MemoryStorage, TransparencyLog
    from tcenter.transparency.note import Ed25519Signer

    seed = lambda s: hashlib.sha256(s.encode()).digest()  # noqa: E731
    signer = Ed25519Signer.from_seed(ORIGIN, seed("log"))
    tlog = TransparencyLog(MemoryStorage(), ORIGIN, signer, signer.verifier())
    tlog.append([f"release {i}".encode() for i in range(300)])
    ws = {org: CosignatureSigner.from_seed(f"w.{org}.example", seed(org), lambda: 1_760_000_000) for org in ("a", "b")}
    tmp = tmp_path_factory.mktemp("w")
    tlog.add_cosignatures([Witness(tmp / f"{o}.json", w, {ORIGIN: [signer.verifier()]}).cosign(tlog.checkpoint()).line
                           for o, w in ws.items()])
    policy = WitnessPolicy(2, {o: [w.verifier()] for o, w in ws.items()})
    bundle = tlog.prove(123).encode()
    tp.verify_inclusion_bundle(b"release 123", bundle, signer.verifier(), policy)
    return bundle, signer.verifier(), policy


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_any_bit_flip_in_bundle_or_entry_fails(sample, data):
    bundle, log_key, policy = sample
    entry = b"release 123"
    if data.draw(st.booleans()):
        bit = data.draw(st.integers(0, len(bundle) * 8 - 1))
        b = bytearray(bundle)
        b[bit // 8] ^= 1 << (bit % 8)
        bundle = bytes(b)
    else:
        bit = data.draw(st.integers(0, len(entry) * 8 - 1))
        b = bytearray(entry)
        b[bit // 8] ^= 1 << (bit % 8)
        entry = bytes(b)
    with pytest.raises(TcenterError) as caught:
        tp.verify_inclusion_bundle(entry, bundle, log_key, policy)
    assert isinstance(caught.value, Malformed | TlogVerificationFailed)


def test_non_canonical_base64_is_refused(sample):
    """'C' -> 'B' in the last character of a 32-byte hash changes only pad bits: a lenient decoder
    would read the same hash, so a one-bit change would pass. Refused everywhere."""
    bundle, log_key, policy = sample
    text = bundle.decode()
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if line.endswith("=") and not line.startswith(("c2sp", "index", "\u2014")):
            last = line[-2]
            idx = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".index(last)
            other = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"[idx ^ 1]
            lines[i] = line[:-2] + other + "="
            break
    with pytest.raises(Malformed, match="canonical"):
        tp.parse_proof("\n".join(lines).encode())
    sig_line = [x for x in text.split("\n") if x.startswith("\u2014")][0]
    body = sig_line.rsplit(" ", 1)[1]
    pad = body.rstrip("=")
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    tweaked = pad[:-1] + alphabet[alphabet.index(pad[-1]) ^ 1] + body[len(pad):]
    with pytest.raises(Malformed, match="canonical"):
        tp.verify_inclusion_bundle(b"release 123", bundle.replace(body.encode(), tweaked.encode()), log_key, policy)
