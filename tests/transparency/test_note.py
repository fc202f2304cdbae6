"""signed-note against Go's golang.org/x/mod/sumdb/note tests (note_test.go, example_test.go at
fe2ec04f7c3c3aa6fad97631aafcff6e49e2d1db) and C2SP signed-note's example (C2SP@5ba5ee83)."""

from __future__ import annotations

import pytest

from tcenter.transparency import note
from tcenter.transparency.errors import Malformed, SignatureError, UnverifiedNote

# Go note_test.go / example_test.go
PETER_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
PETER_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
ENOCH_VKEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"  # GenerateKey with a zero reader
TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
PETER_SIG = "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
ENOCH_SIG = "— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n"

# C2SP signed-note "Example"
C2SP_VKEY = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
C2SP_NOTE = ("This is an example message.\n\n— example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTg"
             "K7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n")


def peter():
    return note.parse_verifier_key(PETER_VKEY)


def enoch():
    return note.parse_verifier_key(ENOCH_VKEY)


def test_sign_matches_go():
    signer = note.parse_signer_key(PETER_SKEY)
    assert note.sign_note(TEXT, [signer]).decode() == TEXT + "\n" + PETER_SIG
    assert signer.verifier().vkey == PETER_VKEY


def test_generate_key_with_a_zero_seed_matches_go():
    # Go example_test.go: GenerateKey(zeroReader, "EnochRoot") signs the note with ENOCH_SIG
    skey, vkey = note.generate_key("EnochRoot", bytes(32))
    assert vkey == ENOCH_VKEY
    signed = note.open_note((TEXT + "\n" + PETER_SIG).encode(), [peter()])
    assert note.sign_note(signed, [note.parse_signer_key(skey)]).decode() == TEXT + "\n" + PETER_SIG + ENOCH_SIG


def test_sign_replaces_an_existing_signature_of_the_same_key():
    bad = note.Signature("PeterNeumann", 0xC74F20A3, b"\x05" * 3)
    assert note.sign_note(note.Note(TEXT, (bad,)), [note.parse_signer_key(PETER_SKEY)]).decode() == TEXT + "\n" + PETER_SIG


def test_c2sp_example_verifies():
    n = note.open_note(C2SP_NOTE.encode(), [note.parse_verifier_key(C2SP_VKEY)])
    assert n.text == "This is an example message.\n" and n.sigs[0].name == "example.com/foo"


def test_open_one_verified_one_unknown():
    n = note.open_note((TEXT + "\n" + PETER_SIG + ENOCH_SIG).encode(), [peter()])
    assert n.text == TEXT
    assert [s.name for s in n.sigs] == ["PeterNeumann"] and [s.name for s in n.unverified] == ["EnochRoot"]
    n = note.open_note((TEXT + "\n" + PETER_SIG + ENOCH_SIG).encode(), [peter(), enoch()])
    assert [s.name for s in n.sigs] == ["PeterNeumann", "EnochRoot"] and not n.unverified


def test_no_known_signature_is_refused_with_the_note():
    with pytest.raises(UnverifiedNote) as caught:
        note.open_note((TEXT + "\n" + PETER_SIG + ENOCH_SIG).encode(), [])
    assert [s.name for s in caught.value.note.unverified] == ["PeterNeumann", "EnochRoot"]


def test_ambiguous_known_key_is_refused():
    with pytest.raises(Malformed, match="ambiguous key EnochRoot\\+af0cfe78"):
        note.open_note((TEXT + "\n" + ENOCH_SIG).encode(), [enoch(), peter(), enoch()])
    note.open_note((TEXT + "\n" + PETER_SIG).encode(), [enoch(), peter(), enoch()])  # unused duplicate: fine


def test_invalid_signature_of_a_known_key_rejects_the_note():
    with pytest.raises(SignatureError, match="invalid signature for key PeterNeumann\\+c74f20a3"):
        note.open_note((TEXT + "\n" + PETER_SIG[:60] + "ABCD" + PETER_SIG[60:]).encode(), [peter()])


def test_every_line_of_a_known_key_is_verified_even_a_repeat():
    # Go skips repeats of a verified key; the spec says a known key's signature MUST be verified.
    bad = PETER_SIG[:60] + "ABCD" + PETER_SIG[60:]
    with pytest.raises(SignatureError):
        note.open_note((TEXT + "\n" + PETER_SIG + bad).encode(), [peter()])
    n = note.open_note((TEXT + "\n" + PETER_SIG + PETER_SIG + ENOCH_SIG + ENOCH_SIG).encode(), [peter()])
    assert len(n.sigs) == 1 and len(n.unverified) == 1  # identical lines reported once


def test_too_many_signatures():
    with pytest.raises(Malformed):
        note.open_note((TEXT + "\n" + PETER_SIG * 101).encode(), [peter()])
    note.open_note((TEXT + "\n" + PETER_SIG * 16).encode(), [peter()])  # the spec's minimum


@pytest.mark.parametrize("msg", [
    TEXT,
    TEXT + "\n",
    TEXT + "\n" + PETER_SIG[:-1],
    "\x01" + TEXT + "\n" + PETER_SIG,
    "\xff" + TEXT + "\n" + PETER_SIG,   # (as a str this is U+00FF; the bytes case is below)
    TEXT + "\n" + "— Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=",
    TEXT + "\n" + PETER_SIG + "Unexpected line.\n",
    TEXT + "\n" + "— PeterNeumann AAAA\n",
    TEXT + "\n" + "- PeterNeumann " + PETER_SIG.split(" ", 2)[2],
    TEXT + "\n" + "— Peter+Neumann " + PETER_SIG.split(" ", 2)[2],
    TEXT + "\n" + "— PeterNeumann\u00a0" + PETER_SIG.split(" ", 2)[2],
])
def test_malformed_notes(msg):
    if msg.startswith("\xff"):
        data = b"\xff" + msg[1:].encode()
    else:
        data = msg.encode()
    with pytest.raises(Malformed):
        note.open_note(data, [peter()])


def test_verifier_key_manglings_fail():
    # Go TestNewVerifier: every proper substring and every single-byte increment is refused
    note.parse_verifier_key(PETER_VKEY)
    b = PETER_VKEY
    for i in range(len(b) + 1):
        for j in range(i + 1, len(b) + 1):
            if (i, j) != (0, len(b)):
                with pytest.raises(Malformed):
                    note.parse_verifier_key(b[i:j])
    for i in range(len(b)):
        with pytest.raises(Malformed):
            note.parse_verifier_key(b[:i] + chr(ord(b[i]) + 1) + b[i + 1:])
    with pytest.raises(Malformed):  # wrong length key, with adjusted key hash
        note.parse_verifier_key("PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==")
    with pytest.raises(Malformed):  # unknown algorithm, with adjusted key hash
        note.parse_verifier_key("PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")


def test_signer_key_manglings_fail():
    b = PETER_SKEY
    for i in range(len(b) + 1):
        for j in range(i + 1, len(b) + 1):
            if (i, j) != (0, len(b)):
                with pytest.raises(Malformed):
                    note.parse_signer_key(b[i:j])
    for i in range(len(b)):
        with pytest.raises(Malformed):
            note.parse_signer_key(b[:i] + chr(ord(b[i]) + 1) + b[i + 1:])


def test_signer_from_files(tmp_path):
    (tmp_path / "go.key").write_text(PETER_SKEY + "\n")
    assert note.Ed25519Signer.from_file(tmp_path / "go.key").verifier().vkey == PETER_VKEY
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key = Ed25519PrivateKey.from_private_bytes(bytes(32))
    (tmp_path / "k.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                       serialization.NoEncryption()))
    assert note.Ed25519Signer.from_file(tmp_path / "k.pem", "EnochRoot").verifier().vkey == ENOCH_VKEY
    with pytest.raises(Malformed):
        note.Ed25519Signer.from_file(tmp_path / "k.pem")
    with pytest.raises(Malformed):
        note.Ed25519Signer.from_file(tmp_path / "missing")
