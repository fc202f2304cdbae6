"""RFC 6962 / RFC 9162 Merkle trees: hashing, proofs from a hash store, and their verification.

Hashing (RFC 9162, 2.1.1): a leaf is SHA-256(0x00 || entry), an interior node
SHA-256(0x01 || left || right), the empty tree SHA-256(""). The tree over n leaves splits
at k, the largest power of two smaller than n.

Storage follows Go's golang.org/x/mod/sumdb/tlog: every hash of a *complete* subtree has a
"stored hash index" (Crosby and Wallach's post-order numbering), `stored_hash_index(level, n)`
for the n-th subtree of 2**level leaves. A `HashReader` returns hashes by those indexes; the
proof generators ask one `read_hashes` call for everything they need, exactly as Go's
`ProveRecord`/`ProveTree`, so a reader backed by tiles (`tiles.py`) can fetch in one round.

Verification implements RFC 9162 2.1.3.2 (inclusion) and 2.1.4.2 (consistency) step by step;
it needs no store. Both raise `InclusionProofError`/`ConsistencyProofError` with the reason.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from typing import Protocol

from .errors import BadRequest, ConsistencyProofError, InclusionProofError

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()
"""MTH({}) = SHA-256 of the empty string (RFC 9162, 2.1.1)."""

_sha256 = hashlib.sha256
_LEAF = b"\x00"
_NODE = b"\x01"


def leaf_hash(entry: bytes) -> bytes:
    """MTH({d}) = SHA-256(0x00 || d)."""
    return _sha256(_LEAF + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || left || right)."""
    return _sha256(_NODE + left + right).digest()


def leaf_hashes(entries: Iterable[bytes]) -> list[bytes]:
    """The leaf hash of every entry, in order (one tight loop: the append path's hot spot)."""
    sha = _sha256
    return [sha(_LEAF + e).digest() for e in entries]


def subtree_root(hashes: bytes) -> bytes:
    """The root over 2**k concatenated hashes (k >= 0): a perfect subtree, as a tile stores it."""
    count = len(hashes) // HASH_SIZE
    if count == 0 or count & (count - 1) or len(hashes) % HASH_SIZE:
        raise ValueError(f"subtree_root needs a power of two of {HASH_SIZE}-byte hashes, got {len(hashes)} bytes")
    sha = _sha256
    while len(hashes) > HASH_SIZE:
        # adjacent pairs are contiguous: hash 0x01 || 64 bytes, level by level
        hashes = b"".join([sha(_NODE + hashes[i:i + 64]).digest() for i in range(0, len(hashes), 64)])
    return hashes


def root_of(hashes: Sequence[bytes]) -> bytes:
    """MTH over a list of leaf hashes, directly (for trees held in memory)."""
    n = len(hashes)
    if n == 0:
        return EMPTY_ROOT
    # Fold the perfect subtrees of the binary decomposition of n, right to left.
    roots = []
    lo = 0
    while lo < n:
        k = 1 << ((n - lo).bit_length() - 1)
        roots.append(subtree_root(b"".join(hashes[lo:lo + k])))
        lo += k
    root = roots[-1]
    for h in reversed(roots[:-1]):
        root = node_hash(h, root)
    return root


# --- Go's stored hash indexing -------------------------------------------------------------


def stored_hash_index(level: int, n: int) -> int:
    """The storage index of the n-th hash at `level` (Go: tlog.StoredHashIndex)."""
    # Level L's n-th hash is written right after level L+1's (2n+1)-th hash.
    for _ in range(level):
        n = 2 * n + 1
    # Level 0's n-th hash is written at n + n/2 + n/4 + ...
    i = 0
    while n > 0:
        i += n
        n >>= 1
    return i + level


def _trailing_zeros(x: int) -> int:
    return (x & -x).bit_length() - 1


def split_stored_hash_index(index: int) -> tuple[int, int]:
    """(level, n) for a storage index, the inverse of `stored_hash_index`."""
    n = index // 2
    index_n = stored_hash_index(0, n)
    if index_n > index:  # pragma: no cover - Go panics "bad math" here too
        raise AssertionError("bad math in split_stored_hash_index")
    while True:
        # each new record n adds 1 + trailing_zeros(n + 1) hashes
        x = index_n + 1 + _trailing_zeros(n + 1)
        if x > index:
            break
        n += 1
        index_n = x
    level = index - index_n
    return level, n >> level


def stored_hash_count(n: int) -> int:
    """How many hashes a tree of n records stores (Go: tlog.StoredHashCount)."""
    if n == 0:
        return 0
    count = stored_hash_index(0, n - 1) + 1
    i = n - 1
    while i & 1:
        count += 1
        i >>= 1
    return count


class HashReader(Protocol):
    """Returns the hashes at the given storage indexes, in the same order (Go: tlog.HashReader)."""

    def read_hashes(self, indexes: Sequence[int]) -> list[bytes]: ...


def stored_hashes(n: int, record_hash: bytes, reader: HashReader) -> list[bytes]:
    """The hashes to store when appending record n with leaf hash `record_hash`, starting at
    `stored_hash_index(0, n)` (Go: tlog.StoredHashesForRecordHash)."""
    m = _trailing_zeros(n + 1)
    indexes = [stored_hash_index(i, (n >> i) - 1) for i in range(m - 1, -1, -1)]
    old = reader.read_hashes(indexes) if indexes else []
    _check_count(indexes, old)
    hashes = [record_hash]
    h = record_hash
    for i in range(m):
        h = node_hash(old[m - 1 - i], h)
        hashes.append(h)
    return hashes


def _check_count(indexes: Sequence[int], hashes: Sequence[bytes]) -> None:
    if len(hashes) != len(indexes):
        raise BadRequest(f"the hash store returned {len(hashes)} hashes for {len(indexes)} indexes")


class MemoryHashStore:
    """A HashReader over a flat in-memory array of stored hashes (for tests and small logs)."""

    def __init__(self) -> None:
        self._hashes = bytearray()
        self.size = 0

    def read_hashes(self, indexes: Sequence[int]) -> list[bytes]:
        data = self._hashes
        out = []
        for i in indexes:
            if not 0 <= i < len(data) // HASH_SIZE:
                raise BadRequest(f"stored hash index {i} is not in a tree of size {self.size}")
            out.append(bytes(data[i * HASH_SIZE:(i + 1) * HASH_SIZE]))
        return out

    def append_leaf_hash(self, record_hash: bytes) -> int:
        """Append one record by its leaf hash; returns its index."""
        n = self.size
        self._hashes += b"".join(stored_hashes(n, record_hash, self))
        self.size = n + 1
        return n

    def append(self, entries: Iterable[bytes]) -> None:
        for h in leaf_hashes(entries):
            self.append_leaf_hash(h)

    def root(self, size: int | None = None) -> bytes:
        return tree_hash(self.size if size is None else size, self)


# --- tree hash and proofs from a store (Go's algorithms) -------------------------------------


def _maxpow2(n: int) -> tuple[int, int]:
    """k, the largest power of two smaller than n (n >= 2), and log2(k)."""
    level = (n - 1).bit_length() - 1
    return 1 << level, level


def subtree_indexes(lo: int, hi: int, need: list[int]) -> list[int]:
    """Storage indexes for the hash of the subtree of records [lo, hi) (perfect pieces, left to right)."""
    while lo < hi:
        k, level = _maxpow2(hi - lo + 1)
        if lo & (k - 1):  # pragma: no cover - unreachable for lo, hi from the callers below
            raise AssertionError("bad math in subtree_indexes")
        need.append(stored_hash_index(level, lo >> level))
        lo += k
    return need


def _subtree_hash(lo: int, hi: int, hashes: list[bytes], pos: int) -> tuple[bytes, int]:
    """Hash of [lo, hi) from the hashes `subtree_indexes` asked for, starting at hashes[pos]."""
    count = 0
    while lo < hi:
        k, _ = _maxpow2(hi - lo + 1)
        count += 1
        lo += k
    h = hashes[pos + count - 1]
    for i in range(pos + count - 2, pos - 1, -1):
        h = node_hash(hashes[i], h)
    return h, pos + count


def tree_hash(size: int, reader: HashReader) -> bytes:
    """MTH of the first `size` records, from at most 1 + log2(size) stored hashes."""
    if size < 0:
        raise BadRequest(f"tree size {size} is negative")
    if size == 0:
        return EMPTY_ROOT
    indexes = subtree_indexes(0, size, [])
    hashes = reader.read_hashes(indexes)
    _check_count(indexes, hashes)
    h, _ = _subtree_hash(0, size, list(hashes), 0)
    return h


def _leaf_proof_index(lo: int, hi: int, n: int, need: list[int]) -> list[int]:
    if lo + 1 == hi:
        return need
    k, _ = _maxpow2(hi - lo)
    if n < lo + k:
        _leaf_proof_index(lo, lo + k, n, need)
        subtree_indexes(lo + k, hi, need)
    else:
        subtree_indexes(lo, lo + k, need)
        _leaf_proof_index(lo + k, hi, n, need)
    return need


def _leaf_proof(lo: int, hi: int, n: int, hashes: list[bytes], pos: int) -> tuple[list[bytes], int]:
    if lo + 1 == hi:
        return [], pos
    k, _ = _maxpow2(hi - lo)
    if n < lo + k:
        p, pos = _leaf_proof(lo, lo + k, n, hashes, pos)
        th, pos = _subtree_hash(lo + k, hi, hashes, pos)
    else:
        th, pos = _subtree_hash(lo, lo + k, hashes, pos)
        p, pos = _leaf_proof(lo + k, hi, n, hashes, pos)
    p.append(th)
    return p, pos


def prove_inclusion(size: int, index: int, reader: HashReader) -> list[bytes]:
    """The audit path PATH(index, D[size]) of RFC 9162 2.1.3.1: leaf's sibling first, root's child last."""
    if not 0 <= index < size:
        raise BadRequest(f"no entry {index} in a tree of size {size}")
    indexes = _leaf_proof_index(0, size, index, [])
    if not indexes:
        return []
    hashes = reader.read_hashes(indexes)
    _check_count(indexes, hashes)
    proof, used = _leaf_proof(0, size, index, list(hashes), 0)
    if used != len(hashes):  # pragma: no cover
        raise AssertionError("bad index math in prove_inclusion")
    return proof


def _tree_proof_index(lo: int, hi: int, n: int, need: list[int]) -> list[int]:
    if n == hi:
        return need if lo == 0 else subtree_indexes(lo, hi, need)
    k, _ = _maxpow2(hi - lo)
    if n <= lo + k:
        _tree_proof_index(lo, lo + k, n, need)
        subtree_indexes(lo + k, hi, need)
    else:
        subtree_indexes(lo, lo + k, need)
        _tree_proof_index(lo + k, hi, n, need)
    return need


def _tree_proof(lo: int, hi: int, n: int, hashes: list[bytes], pos: int) -> tuple[list[bytes], int]:
    if n == hi:
        if lo == 0:
            return [], pos
        th, pos = _subtree_hash(lo, hi, hashes, pos)
        return [th], pos
    k, _ = _maxpow2(hi - lo)
    if n <= lo + k:
        p, pos = _tree_proof(lo, lo + k, n, hashes, pos)
        th, pos = _subtree_hash(lo + k, hi, hashes, pos)
    else:
        th, pos = _subtree_hash(lo, lo + k, hashes, pos)
        p, pos = _tree_proof(lo + k, hi, n, hashes, pos)
    p.append(th)
    return p, pos


def prove_consistency(old_size: int, new_size: int, reader: HashReader) -> list[bytes]:
    """The consistency proof PROOF(old_size, D[new_size]) of RFC 9162 2.1.4.1 (empty if the sizes are equal)."""
    if not 0 < old_size <= new_size:
        raise BadRequest(f"no consistency proof from size {old_size} to size {new_size} (needs 0 < old <= new)")
    if old_size == new_size:
        return []
    indexes = _tree_proof_index(0, new_size, old_size, [])
    hashes = reader.read_hashes(indexes)
    _check_count(indexes, hashes)
    proof, used = _tree_proof(0, new_size, old_size, list(hashes), 0)
    if used != len(hashes):  # pragma: no cover
        raise AssertionError("bad index math in prove_consistency")
    return proof


# --- verification: RFC 9162 2.1.3.2 and 2.1.4.2 --------------------------------------------


def _check_hashes(proof: Sequence[bytes], error: type[Exception]) -> None:
    for i, h in enumerate(proof):
        if not isinstance(h, bytes | bytearray) or len(h) != HASH_SIZE:
            raise error(f"proof hash {i} is not {HASH_SIZE} bytes")


def root_from_inclusion(leaf: bytes, index: int, size: int, proof: Sequence[bytes]) -> bytes:
    """The root the inclusion path implies (RFC 9162 2.1.3.2, steps 1-5 without the comparison)."""
    if not 0 <= index < size:
        raise InclusionProofError(f"leaf index {index} is not below the tree size {size}")
    if len(leaf) != HASH_SIZE:
        raise InclusionProofError(f"the leaf hash is {len(leaf)} bytes, not {HASH_SIZE}")
    _check_hashes(proof, InclusionProofError)
    fn, sn, r = index, size - 1, bytes(leaf)
    sha = _sha256
    for p in proof:
        if sn == 0:
            raise InclusionProofError(f"the inclusion path is longer than a tree of size {size} allows")
        if fn & 1 or fn == sn:
            r = sha(_NODE + p + r).digest()
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = sha(_NODE + r + p).digest()
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise InclusionProofError(f"the inclusion path is shorter than a tree of size {size} needs")
    return r


def verify_inclusion(leaf: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes) -> None:
    """Raise `InclusionProofError` unless `proof` shows leaf hash `leaf` at `index` of the tree (size, root)."""
    if root_from_inclusion(leaf, index, size, proof) != root:
        raise InclusionProofError(f"the inclusion path for entry {index} does not lead to the root of the tree of size {size}")


def verify_consistency(old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]) -> None:
    """Raise `ConsistencyProofError` unless `proof` shows the tree (old_size, old_root) is a prefix of
    (new_size, new_root) (RFC 9162 2.1.4.2; equal sizes need an empty proof and equal roots)."""
    if old_size <= 0 or new_size < old_size:
        raise ConsistencyProofError(f"no consistency proof from size {old_size} to size {new_size} (needs 0 < old <= new)")
    _check_hashes(proof, ConsistencyProofError)
    if old_size == new_size:
        if proof:
            raise ConsistencyProofError("the trees have one size: the consistency proof must be empty")
        if old_root != new_root:
            raise ConsistencyProofError(f"two different roots for the tree of size {old_size}")
        return
    # 1. an empty path fails
    if not proof:
        raise ConsistencyProofError("the consistency proof is empty")
    path = list(proof)
    # 2. if first is an exact power of 2, prepend first_hash
    if old_size & (old_size - 1) == 0:
        path.insert(0, old_root)
    # 3.
    fn, sn = old_size - 1, new_size - 1
    # 4. while LSB(fn) is set, shift both
    while fn & 1:
        fn >>= 1
        sn >>= 1
    # 5.
    fr = sr = path[0]
    sha = _sha256
    # 6.
    for c in path[1:]:
        if sn == 0:
            raise ConsistencyProofError("the consistency proof is longer than the tree sizes allow")
        if fn & 1 or fn == sn:
            fr = sha(_NODE + c + fr).digest()
            sr = sha(_NODE + c + sr).digest()
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = sha(_NODE + sr + c).digest()
        fn >>= 1
        sn >>= 1
    # 7.
    if sn != 0:
        raise ConsistencyProofError("the consistency proof is shorter than the tree sizes need")
    if fr != old_root:
        raise ConsistencyProofError(f"the consistency proof does not reproduce the root of the old tree of size {old_size}")
    if sr != new_root:
        raise ConsistencyProofError(f"the consistency proof does not lead to the root of the new tree of size {new_size}")
