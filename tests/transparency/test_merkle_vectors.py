"""Interop of merkle.py against published vectors, none computed by the code under test.

- transparency-dev/merkle testdata (vectors/transparency-dev-merkle-probes.json, provenance inside):
  196 inclusion and consistency probes, each to accept or to refuse.
- transparency-dev/merkle testonly/constants.go: the 8 RFC 6962 leaf inputs (those of
  certificate-transparency's merkle_tree_test.cc), their root for every size and node hashes.
- draft-ietf-plants-merkle-tree-certs "Subtree Test Vectors" as reproduced in
  transparency-dev/merkle testonly/vectors_test.go: rolling SHA-256 over every subtree hash and
  every subtree inclusion proof of the tree d[i] = byte(i), i < 130.
- golang.org/x/mod/sumdb/tlog note_test.go: RecordHash("hello world") inside the golden tree note.
"""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

import pytest

from tcenter.transparency import merkle
from tcenter.transparency.errors import ConsistencyProofError, InclusionProofError

VECTORS = Path(__file__).parent / "vectors"
PROBES = json.loads((VECTORS / "transparency-dev-merkle-probes.json").read_text())["probes"]

# transparency-dev/merkle@417fb0c314750d94e53942e9f92e79b6d35915db testonly/constants.go
LEAF_INPUTS = [bytes.fromhex(x) for x in ("", "00", "10", "2021", "3031", "40414243", "5051525354555657",
                                          "606162636465666768696a6b6c6d6e6f")]
ROOTS = [bytes.fromhex(x) for x in (
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
)]
LEVEL1 = [bytes.fromhex(x) for x in (
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
    "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
    "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
)]


def _b(s: str) -> bytes:
    return base64.b64decode(s)


@pytest.mark.parametrize("name", sorted(p for p in PROBES if p.startswith("testdata/inclusion/")))
def test_inclusion_probe(name):
    p = PROBES[name]
    args = (_b(p["leafHash"]), p["leafIdx"], p["treeSize"], [_b(h) for h in p["proof"] or []], _b(p["root"]))
    if p["wantErr"]:
        with pytest.raises(InclusionProofError):
            merkle.verify_inclusion(*args)
    else:
        merkle.verify_inclusion(*args)


@pytest.mark.parametrize("name", sorted(p for p in PROBES if p.startswith("testdata/consistency/")))
def test_consistency_probe(name):
    p = PROBES[name]
    args = (p["size1"], p["size2"], _b(p["root1"]), _b(p["root2"]), [_b(h) for h in p["proof"] or []])
    if p["wantErr"]:
        with pytest.raises(ConsistencyProofError):
            merkle.verify_consistency(*args)
    else:
        merkle.verify_consistency(*args)


def test_probes_are_all_there():
    assert len(PROBES) == 196
    assert sum(not p["wantErr"] for p in PROBES.values()) >= 10  # happy paths are among them


def test_rfc6962_roots_for_every_size():
    store = merkle.MemoryHashStore()
    assert store.root() == ROOTS[0] == merkle.EMPTY_ROOT
    for size, entry in enumerate(LEAF_INPUTS, start=1):
        store.append([entry])
        assert store.root() == ROOTS[size]
        assert merkle.root_of(merkle.leaf_hashes(LEAF_INPUTS[:size])) == ROOTS[size]
    for size in range(9):
        assert store.root(size) == ROOTS[size]  # older trees from the same store


def test_rfc6962_node_hashes_are_stored():
    store = merkle.MemoryHashStore()
    store.append(LEAF_INPUTS)
    for n, h in enumerate(LEVEL1):
        assert store.read_hashes([merkle.stored_hash_index(1, n)]) == [h]


def test_go_record_hash_of_hello_world():
    # golang.org/x/mod sumdb/tlog/note_test.go TestFormatTree: RecordHash("hello world")
    assert base64.b64encode(merkle.leaf_hash(b"hello world")).decode() == "TszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0="


def _subtree_valid(start: int, end: int) -> bool:
    # transparency-dev/merkle isSubtreeValid: start is a multiple of bit_ceil(end - start)
    if start > end:
        return False
    if start == 0 or start == end:
        return True
    size = end - start
    ceil = 1 << (size - 1).bit_length()
    return start % ceil == 0


def test_plants_draft_subtree_hash_vector():
    d = [bytes([i]) for i in range(130)]
    leaves = merkle.leaf_hashes(d)
    rolling = hashlib.sha256()
    for end in range(131):
        for start in range(end + 1):
            if _subtree_valid(start, end):
                rolling.update(f"[{start}, {end}) {merkle.root_of(leaves[start:end]).hex()}\n".encode())
    assert rolling.hexdigest() == "b82806ad4265bb151c1119c0f4db437bb4d1a1f887b3a7fba1cd4ebf552e3e81"


def test_plants_draft_subtree_inclusion_vector():
    # A subtree [start, end) is a tree of its own: its inclusion proofs are PATH over d[start:end].
    d = [bytes([i]) for i in range(130)]
    rolling = hashlib.sha256()
    for end in range(131):
        store = None
        for start in range(end + 1):
            if not _subtree_valid(start, end) or start == end:
                continue
            store = merkle.MemoryHashStore()
            store.append(d[start:end])
            for index in range(start, end):
                proof = merkle.prove_inclusion(end - start, index - start, store)
                rolling.update((f"{index} [{start}, {end})" + "".join(" " + h.hex() for h in proof) + "\n").encode())
    assert rolling.hexdigest() == "ac2a8f989e44d99e399db448050ff5f19757df53cfb716aa81015d3955d8163f"


def test_split_stored_hash_index_inverts():
    # golang.org/x/mod sumdb/tlog TestSplitStoredHashIndex
    for level in range(10):
        for n in range(100):
            assert merkle.split_stored_hash_index(merkle.stored_hash_index(level, n)) == (level, n)


def test_stored_hash_count_matches_the_store():
    store = merkle.MemoryHashStore()
    for i in range(300):
        store.append([str(i).encode()])
        assert len(store._hashes) // 32 == merkle.stored_hash_count(i + 1)
