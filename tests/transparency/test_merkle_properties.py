"""Properties of merkle.py against the literal RFC definitions (rfc6962_reference.py): for any
sequence of appends, every inclusion and consistency proof the store produces is the RFC's and
verifies, and any single-bit change in a proof, leaf, root or size/index fails."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tcenter.transparency import merkle
from tcenter.transparency.errors import BadRequest, ConsistencyProofError, InclusionProofError

from . import rfc6962_reference as ref

entries = st.lists(st.binary(max_size=8), min_size=1, max_size=70, unique=True)
# unique: with two equal entries a proof of one is, rightly, a proof of the other.
# Tree sizes are not flipped here: a proof does not bind the size, the signed checkpoint does
# (index 0 has the same path in trees of size 3 and 4); test_checkpoint covers size bits.
batches = st.lists(st.lists(st.binary(max_size=6), min_size=1, max_size=9), min_size=1, max_size=8)


def _flip(data: bytes, bit: int) -> bytes:
    b = bytearray(data)
    b[bit // 8] ^= 1 << (bit % 8)
    return bytes(b)


@settings(max_examples=60, deadline=None)
@given(batches)
def test_every_proof_of_every_size_is_the_rfcs_and_verifies(batches):
    store = merkle.MemoryHashStore()
    log: list[bytes] = []
    for batch in batches:
        store.append(batch)
        log += batch
        size = len(log)
        root = ref.mth(log)
        assert store.root() == root
        for index in range(size):
            proof = merkle.prove_inclusion(size, index, store)
            assert proof == ref.path(index, log)
            merkle.verify_inclusion(merkle.leaf_hash(log[index]), index, size, proof, root)
        for old in range(1, size + 1):
            proof = merkle.prove_consistency(old, size, store)
            assert proof == ref.proof(old, log)
            merkle.verify_consistency(old, size, ref.mth(log[:old]), root, proof)


@settings(max_examples=80, deadline=None)
@given(entries, st.data())
def test_any_bit_flip_in_an_inclusion_proof_fails(log, data):
    size = len(log)
    index = data.draw(st.integers(0, size - 1))
    store = merkle.MemoryHashStore()
    store.append(log)
    root, leaf = store.root(), merkle.leaf_hash(log[index])
    proof = merkle.prove_inclusion(size, index, store)
    choice = data.draw(st.sampled_from(["proof", "leaf", "root", "index", "drop", "extra"]))
    if choice == "proof" and not proof:
        choice = "leaf"
    if choice == "proof":
        i = data.draw(st.integers(0, len(proof) - 1))
        proof = proof[:i] + [_flip(proof[i], data.draw(st.integers(0, 255)))] + proof[i + 1:]
    elif choice == "leaf":
        leaf = _flip(leaf, data.draw(st.integers(0, 255)))
    elif choice == "root":
        root = _flip(root, data.draw(st.integers(0, 255)))
    elif choice == "index":
        index ^= 1 << data.draw(st.integers(0, 7))
    elif choice == "drop":
        proof = proof[:-1] if proof else [leaf]
    else:
        proof = proof + [root]
    with pytest.raises(InclusionProofError):
        merkle.verify_inclusion(leaf, index, size, proof, root)


@settings(max_examples=80, deadline=None)
@given(entries.filter(lambda e: len(e) >= 2), st.data())
def test_any_bit_flip_in_a_consistency_proof_fails(log, data):
    size = len(log)
    old = data.draw(st.integers(1, size - 1))
    store = merkle.MemoryHashStore()
    store.append(log)
    old_root, new_root = store.root(old), store.root()
    proof = merkle.prove_consistency(old, size, store)
    choice = data.draw(st.sampled_from(["proof", "old_root", "new_root", "old", "drop", "extra"]))
    if choice == "proof":
        i = data.draw(st.integers(0, len(proof) - 1))
        proof = proof[:i] + [_flip(proof[i], data.draw(st.integers(0, 255)))] + proof[i + 1:]
    elif choice == "old_root":
        old_root = _flip(old_root, data.draw(st.integers(0, 255)))
    elif choice == "new_root":
        new_root = _flip(new_root, data.draw(st.integers(0, 255)))
    elif choice == "old":
        old ^= 1 << data.draw(st.integers(0, 7))
    elif choice == "drop":
        proof = proof[:-1]
    else:
        proof = proof + [new_root]
    with pytest.raises(ConsistencyProofError):
        merkle.verify_consistency(old, size, old_root, new_root, proof)


def test_requests_outside_the_tree_are_refused():
    store = merkle.MemoryHashStore()
    store.append([b"a", b"b", b"c"])
    for size, index in ((3, 3), (3, -1), (0, 0)):
        with pytest.raises(BadRequest):
            merkle.prove_inclusion(size, index, store)
    for old, new in ((0, 3), (4, 3)):
        with pytest.raises(BadRequest):
            merkle.prove_consistency(old, new, store)
    assert merkle.prove_consistency(3, 3, store) == []
    with pytest.raises(InclusionProofError, match="not 32 bytes"):
        merkle.verify_inclusion(merkle.leaf_hash(b"a"), 0, 3, [b"short"], store.root())
