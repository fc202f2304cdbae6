"""Keys for the transparency tests: a log key and witnesses of three organizations (fixed seeds)."""

from __future__ import annotations

import hashlib

import pytest

from tcenter.transparency.cosignature import CosignatureSigner, WitnessPolicy
from tcenter.transparency.log import MemoryStorage, TransparencyLog
from tcenter.transparency.note import Ed25519Signer

ORIGIN = "transparency.example/log"


def seed(label: str) -> bytes:
    return hashlib.sha256(label.encode()).digest()


class Clock:
    def __init__(self, now: int = 1_760_000_000):
        self.now = now

    def __call__(self) -> int:
        return self.now


@pytest.fixture
def log_signer() -> Ed25519Signer:
    return Ed25519Signer.from_seed(ORIGIN, seed("log"))


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def witnesses(clock) -> dict[str, list[CosignatureSigner]]:
    """org -> its witness keys: org-a has two, org-b and org-c one each."""
    return {
        "org-a": [CosignatureSigner.from_seed("witness.org-a.example/w1", seed("a1"), clock),
                  CosignatureSigner.from_seed("witness.org-a.example/w2", seed("a2"), clock)],
        "org-b": [CosignatureSigner.from_seed("witness.org-b.example/w1", seed("b1"), clock)],
        "org-c": [CosignatureSigner.from_seed("witness.org-c.example/w1", seed("c1"), clock)],
    }


@pytest.fixture
def policy(witnesses) -> WitnessPolicy:
    return WitnessPolicy(2, {org: [w.verifier() for w in ws] for org, ws in witnesses.items()})


@pytest.fixture
def tlog(log_signer) -> TransparencyLog:
    return TransparencyLog(MemoryStorage(), ORIGIN, log_signer, log_signer.verifier())
