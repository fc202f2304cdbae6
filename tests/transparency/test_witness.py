"""The witness: cosigns consistent growth; refuses a fork and a rollback with evidence, and its
state file is byte-for-byte unchanged after any refusal."""

from __future__ import annotations

import json

import pytest

from tcenter.transparency import checkpoint as cp
from tcenter.transparency import merkle
from tcenter.transparency.cosignature import WitnessPolicy, check_policy
from tcenter.transparency.errors import (
    BadRequest,
    ForkError,
    OldSizeConflict,
    RollbackError,
    SignatureError,
    UnknownLog,
    UnverifiedNote,
)
from tcenter.transparency.log import MemoryStorage, TransparencyLog
from tcenter.transparency.note import Ed25519Signer
from tcenter.transparency.witness import Witness, read_state

from .conftest import ORIGIN, seed


@pytest.fixture
def witness(tmp_path, witnesses, log_signer):
    return Witness(tmp_path / "state.json", witnesses["org-b"][0], {ORIGIN: [log_signer.verifier()]},
                   evidence_dir=tmp_path / "evidence")


def grow(tlog, n, tag="e"):
    return tlog.append([f"{tag}{tlog.size + i}".encode() for i in range(n)])


def test_cosigns_a_growing_log(witness, tlog, witnesses, log_signer):
    first = grow(tlog, 5)
    c1 = witness.cosign(first.checkpoint)
    assert c1.size == 5 and c1.line.startswith("— witness.org-b.example/w1 ")
    second = grow(tlog, 300)
    c2 = witness.cosign(second.checkpoint, tlog.consistency_proof(5))
    assert read_state(witness.state_path)[ORIGIN].size == 305
    # the cosignature is a valid tlog-cosignature for a client policy
    policy = WitnessPolicy(1, {"org-b": [witnesses["org-b"][0].verifier()]})
    assert check_policy(c2.checkpoint, policy).organizations == ("org-b",)
    # the same checkpoint again: cosigned again, no proof needed
    witness.cosign(second.checkpoint)
    # the push protocol's old size
    third = grow(tlog, 1)
    witness.cosign(third.checkpoint, tlog.consistency_proof(305), old_size=305)


def _forked_log(log_signer, entries):
    other = TransparencyLog(MemoryStorage(), ORIGIN, log_signer, log_signer.verifier())
    other.append(entries)
    return other


def test_refuses_a_fork_of_the_same_size(witness, tlog, log_signer):
    grow(tlog, 10)
    witness.cosign(tlog.checkpoint())
    before = witness.state_path.read_bytes()
    fork = _forked_log(log_signer, [f"x{i}".encode() for i in range(10)])
    with pytest.raises(ForkError, match="two different roots for size 10") as caught:
        witness.cosign(fork.checkpoint())
    assert witness.state_path.read_bytes() == before
    evidence = json.loads(caught.value.evidence_path.read_text())
    assert evidence["offeredCheckpoint"] == fork.checkpoint().decode()
    assert evidence["cosignedCheckpoint"].startswith(tlog.checkpoint().decode())  # plus our cosignature
    # both checkpoints are genuinely signed by the log: that is what makes it evidence
    for key in ("offeredCheckpoint", "cosignedCheckpoint"):
        cp.open_checkpoint(evidence[key].encode(), log_signer.verifier())


def test_refuses_a_fork_that_grew(witness, tlog, log_signer):
    grow(tlog, 10)
    witness.cosign(tlog.checkpoint())
    before = witness.state_path.read_bytes()
    fork = _forked_log(log_signer, [f"e{i}".encode() for i in range(9)] + [b"changed"] + [b"more"] * 20)
    proof = fork.consistency_proof(10)
    with pytest.raises(ForkError, match="not proven consistent"):
        witness.cosign(fork.checkpoint(), proof)
    assert witness.state_path.read_bytes() == before
    assert len(list((witness.evidence_dir).iterdir())) == 1


def test_refuses_a_rollback(witness, tlog):
    grow(tlog, 3)
    old = tlog.checkpoint()
    grow(tlog, 4)
    witness.cosign(old)
    witness.cosign(tlog.checkpoint(), tlog.consistency_proof(3))
    before = witness.state_path.read_bytes()
    with pytest.raises(RollbackError, match="below the size 7") as caught:
        witness.cosign(old)
    assert caught.value.offered == old
    assert witness.state_path.read_bytes() == before
    with pytest.raises(RollbackError):
        witness.cosign(old, old_size=7)  # the push protocol: old == cosigned, new below it
    assert witness.state_path.read_bytes() == before


def test_refusals_that_are_not_evidence(witness, tlog, log_signer, witnesses):
    grow(tlog, 4)
    witness.cosign(tlog.checkpoint())
    before = witness.state_path.read_bytes()
    grow(tlog, 4)
    with pytest.raises(OldSizeConflict) as caught:
        witness.cosign(tlog.checkpoint(), tlog.consistency_proof(4), old_size=3)
    assert caught.value.cosigned_size == 4 and caught.value.http_status == 409
    with pytest.raises(ForkError):  # a wrong proof is not consistent
        witness.cosign(tlog.checkpoint(), [merkle.leaf_hash(b"junk")])
    stranger = Ed25519Signer.from_seed("stranger.example/log", seed("s"))
    other = TransparencyLog(MemoryStorage(), "stranger.example/log", stranger, stranger.verifier())
    other.append([b"a"])
    with pytest.raises(UnknownLog):
        witness.cosign(other.checkpoint())
    impostor = Ed25519Signer.from_seed(ORIGIN, seed("not the log's key"))
    forged = cp.sign_checkpoint(cp.Checkpoint(ORIGIN, 8, bytes(32)), [impostor])
    with pytest.raises(UnverifiedNote):
        witness.cosign(forged)
    genuine = tlog.checkpoint().decode()
    broken = genuine[:-10] + ("A" if genuine[-10] != "A" else "B") + genuine[-9:]
    with pytest.raises(SignatureError):
        witness.cosign(broken.encode())
    with pytest.raises(BadRequest):
        witness.cosign(tlog.checkpoint(), [bytes(32)] * 64)
    assert witness.state_path.read_bytes() == before


def test_first_checkpoint_needs_no_proof(witness, tlog):
    grow(tlog, 2)
    with pytest.raises(BadRequest):
        witness.cosign(tlog.checkpoint(), [bytes(32)])
    assert not witness.state_path.exists()
    witness.cosign(tlog.checkpoint(), old_size=0)


def test_state_is_kept_when_the_write_fails(witness, tlog, monkeypatch):
    grow(tlog, 2)
    witness.cosign(tlog.checkpoint())
    before = witness.state_path.read_bytes()
    grow(tlog, 2)
    import os

    def broken_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError):
        witness.cosign(tlog.checkpoint(), tlog.consistency_proof(2))
    assert witness.state_path.read_bytes() == before
    assert [p.name for p in witness.state_path.parent.iterdir() if p.name.startswith(".state")] == []
