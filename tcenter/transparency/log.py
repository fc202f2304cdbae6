"""A tlog-tiles log kept as static files: the same layout locally as later in S3.

    checkpoint                    the latest signed checkpoint (the only path ever overwritten)
    checkpoints/<size>            every checkpoint the log signed, create-only (kit-specific:
                                  lets proofs use an older checkpoint that witnesses cosigned)
    tile/<L>/<N>[.p/<W>]          Merkle tiles (C2SP tlog-tiles), create-only
    tile/entries/<N>[.p/<W>]      entry bundles, create-only

`Storage` is the whole interface to where the files live: `get(path) -> bytes | None` and
`put(path, data, create_only)`. A create-only put of bytes equal to what the path already
holds succeeds (a retried write); other bytes raise `AlreadyExists`. A storage that can also
`list(prefix)` (every one here) lets the sequencer find a batch a crash left unpublished.
`LocalDirectoryStorage` implements it on a directory, `MemoryStorage` in a dict, and
`s3.S3Storage` on a bucket (conditional PUTs: If-None-Match for create-only, If-Match on the
ETag it read for the checkpoint).

`TransparencyLog.append(entries)` sequences a batch: leaf hashes, then every entry bundle and
tile the new size needs (full ones and the right-edge partial ones), entry bundles first, then
the signed checkpoint, in that order, so a reader never sees a checkpoint whose tiles are
missing, and the entries of an unpublished batch can be read back from its bundles. After a
crash before the checkpoint was written, re-append the *same* batch (`sequencer.py` reads it
back from the bundles): its files are the bytes already there, and a checkpoint the log had
already signed for that tree in `checkpoints/<size>` is published as it is. A different batch
at that size is refused (`AlreadyExists`) until the pending batch is re-appended, because the
log never overwrites what it may have shown.
"""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from .checkpoint import Checkpoint, SignedCheckpoint, open_checkpoint, sign_checkpoint
from .errors import AlreadyExists, BadRequest, Malformed, StorageError, TileMissing, TlogError, TlogVerificationFailed
from .merkle import EMPTY_ROOT, HASH_SIZE, leaf_hashes, prove_consistency, stored_hash_index, subtree_root, tree_hash
from .note import Signer, Verifier, split_note
from .proof import TlogProof, prove
from .tiles import (
    ENTRIES,
    FULL_TILE_BYTES,
    MAX_ENTRY_BYTES,
    TILE_HEIGHT,
    TILE_WIDTH,
    Tile,
    decode_entry_bundle,
    encode_entry_bundle,
    hash_from_tile,
    new_tiles,
    partial_width,
    tile_for_index,
    tile_parent,
)

CHECKPOINT = "checkpoint"


def checkpoint_history_path(size: int) -> str:
    return f"checkpoints/{size}"


class Storage(Protocol):
    def get(self, path: str) -> bytes | None: ...

    def put(self, path: str, data: bytes, create_only: bool) -> None: ...


class ListableStorage(Storage, Protocol):
    def list(self, prefix: str) -> list[str]:
        """Every path that starts with `prefix`, sorted."""
        ...


def check_path(path: str) -> None:
    parts = path.split("/")
    if not path or path.startswith("/") or any(p in ("", ".", "..") for p in parts) or "\\" in path or "\0" in path:
        raise BadRequest(f"{path!r} is not a relative storage path")


class LocalDirectoryStorage:
    """Storage on a local directory. Writes go to a temporary file that is fsynced (unless
    `fsync=False`) and then renamed into place (overwrite) or hard-linked (create-only: the link
    fails if the path exists, atomically)."""

    def __init__(self, root: str | Path, fsync: bool = True):
        self.root = Path(root)
        self.fsync = fsync
        self.root.mkdir(parents=True, exist_ok=True)

    def get(self, path: str) -> bytes | None:
        check_path(path)
        try:
            return (self.root / path).read_bytes()
        except FileNotFoundError:
            return None
        except NotADirectoryError:
            return None
        except OSError as e:
            raise StorageError(f"cannot read {path}: {e.strerror}") from e

    def list(self, prefix: str) -> list[str]:
        base = self.root / prefix.rsplit("/", 1)[0] if "/" in prefix else self.root
        if not base.is_dir():
            return []
        found = []
        for path in base.rglob("*"):
            if path.is_file() and not path.name.startswith(".tmp."):
                relative = path.relative_to(self.root).as_posix()
                if relative.startswith(prefix):
                    found.append(relative)
        return sorted(found)

    def put(self, path: str, data: bytes, create_only: bool) -> None:
        check_path(path)
        target = self.root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp.", dir=target.parent)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                if self.fsync:
                    f.flush()
                    os.fsync(f.fileno())
            if create_only:
                try:
                    os.link(tmp, target)
                except OSError as e:
                    if e.errno != errno.EEXIST:
                        raise
                    if target.read_bytes() != data:
                        raise AlreadyExists(path) from None
            else:
                os.replace(tmp, target)
        except OSError as e:
            raise StorageError(f"cannot write {path}: {e.strerror}") from e
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
        if self.fsync:
            dfd = os.open(target.parent, os.O_RDONLY)
            try:
                os.fsync(dfd)
            finally:
                os.close(dfd)


class MemoryStorage:
    """Storage in a dict (tests, benchmarks); counts what it stores."""

    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}

    def get(self, path: str) -> bytes | None:
        return self.objects.get(path)

    def list(self, prefix: str) -> list[str]:
        return sorted(p for p in self.objects if p.startswith(prefix))

    def put(self, path: str, data: bytes, create_only: bool) -> None:
        check_path(path)
        if create_only and path in self.objects:
            if self.objects[path] != data:
                raise AlreadyExists(path)
            return
        self.objects[path] = bytes(data)


class StorageHashReader:
    """A HashReader over the tiles in a log's storage for a tree of `size` (the log's own view:
    it trusts its storage; clients use `tiles.TileHashReader`, which authenticates)."""

    def __init__(self, storage: Storage, size: int, cache_tiles: int = 64):
        self.storage = storage
        self.size = size
        self._cache: OrderedDict[Tile, bytes] = OrderedDict()
        self._limit = cache_tiles

    def tile(self, tile: Tile) -> bytes:
        data = self._cache.get(tile)
        if data is not None:
            self._cache.move_to_end(tile)
            return data
        data = self.storage.get(tile.path)
        if data is None and tile.partial:
            full = self.storage.get(tile.full().path)
            data = None if full is None else full[:tile.width * HASH_SIZE]
        if data is None:
            raise TileMissing(tile.path)
        if len(data) != tile.width * HASH_SIZE:
            raise StorageError(f"{tile.path} is {len(data)} bytes, not {tile.width * HASH_SIZE}")
        self._cache[tile] = data
        if len(self._cache) > self._limit:
            self._cache.popitem(last=False)
        return data

    def read_hashes(self, indexes: Sequence[int]) -> list[bytes]:
        out = []
        limit = stored_hash_index(0, self.size)
        for x in indexes:
            if not 0 <= x < limit:
                raise BadRequest(f"stored hash {x} is not in the tree of size {self.size}")
            tile = tile_parent(tile_for_index(x)[0], 0, self.size)
            assert tile is not None
            out.append(hash_from_tile(tile, self.tile(tile), x))
        return out


class _EdgeReader:
    """A HashReader over tiles held in memory (the right edge while appending)."""

    def __init__(self, size: int, tiles: dict[tuple[int, int], bytes]):
        self.size = size
        self.tiles = tiles

    def read_hashes(self, indexes: Sequence[int]) -> list[bytes]:
        out = []
        for x in indexes:
            tile = tile_parent(tile_for_index(x)[0], 0, self.size)
            assert tile is not None
            out.append(hash_from_tile(tile, self.tiles[(tile.level, tile.n)], x))
        return out


@dataclass(frozen=True)
class Appended:
    """The result of one append: the batch's first index, the new size and the signed checkpoint."""

    first_index: int
    size: int
    root_hash: bytes
    checkpoint: bytes


class TransparencyLog:
    """The sequencer's view of one log: the right edge of the tree in memory, the rest in storage.

    `signer` signs checkpoints (Ed25519 note key: local file or KMS), `verifier` is its public
    half, used to open the stored checkpoint. One process appends at a time (the S3 flow will
    hold a lock); readers only need the storage."""

    def __init__(self, storage: Storage, origin: str, signer: Signer, verifier: Verifier):
        if signer.name != origin or verifier.name != origin:
            raise Malformed(f"the log's key name must be its origin {origin!r} (signer {signer.name!r}, "
                            f"verifier {verifier.name!r})")
        if signer.key_id != verifier.key_id:
            raise Malformed("the log's signer and verifier are not one key")
        self.storage = storage
        self.origin = origin
        self.signer = signer
        self.verifier = verifier
        self.size = 0
        self.root_hash = EMPTY_ROOT
        self._edge: dict[int, bytes] = {}  # level -> data of the partial tile at `size`
        self._bundle: list[bytes] = []     # the entries of the partial entry bundle at `size`
        self._load()

    # --- state ---

    def _load(self) -> None:
        raw = self.storage.get(CHECKPOINT)
        if raw is None:
            return
        signed = open_checkpoint(raw, [self.verifier], origin=self.origin)
        size = signed.size
        edge: dict[int, bytes] = {}
        level = 0
        while size >> (TILE_HEIGHT * level):
            width = partial_width(level, size)
            if width:
                tile = Tile(level, size >> (TILE_HEIGHT * (level + 1)), width)
                data = self.storage.get(tile.path)
                if data is None or len(data) != width * HASH_SIZE:
                    raise StorageError(f"the log's checkpoint is at size {size} but {tile.path} is missing or short")
                edge[level] = data
            level += 1
        bundle: list[bytes] = []
        width = size % TILE_WIDTH
        if width:
            tile = Tile(ENTRIES, size >> TILE_HEIGHT, width)
            data = self.storage.get(tile.path)
            if data is None:
                raise StorageError(f"the log's checkpoint is at size {size} but {tile.path} is missing")
            bundle = decode_entry_bundle(data, width)
        root = tree_hash(size, _EdgeReader(size, {(lvl, size >> (TILE_HEIGHT * (lvl + 1))): d for lvl, d in edge.items()}))
        if root != signed.root_hash:
            raise StorageError(f"the tiles at the right edge do not hash to the checkpoint's root (size {size})")
        self.size, self.root_hash, self._edge, self._bundle = size, signed.root_hash, edge, bundle

    def checkpoint(self) -> bytes | None:
        """The published checkpoint (with any cosignatures merged into it)."""
        return self.storage.get(CHECKPOINT)

    # --- append ---

    def append(self, entries: Sequence[bytes]) -> Appended:
        """Sequence `entries` (each at most 65,535 bytes), publish the tiles and a signed checkpoint."""
        if not entries:
            raise BadRequest("nothing to append")
        for i, e in enumerate(entries):
            if not isinstance(e, bytes | bytearray) or len(e) > MAX_ENTRY_BYTES:
                raise BadRequest(f"entry {i} of the batch is not bytes of at most {MAX_ENTRY_BYTES}")
        old_size, new_size = self.size, self.size + len(entries)
        written: dict[tuple[int, int], bytes] = {}

        # entry bundles
        bundle = self._bundle + list(entries)
        first_bundle = old_size >> TILE_HEIGHT
        full = len(bundle) // TILE_WIDTH
        bundles = {first_bundle + i: bundle[i * TILE_WIDTH:(i + 1) * TILE_WIDTH] for i in range(full)}
        rest = bundle[full * TILE_WIDTH:]
        if rest:
            bundles[first_bundle + full] = rest

        # hash tiles, level by level: full tiles feed their roots to the level above
        carry = b"".join(leaf_hashes(entries))
        edge: dict[int, bytes] = {}
        level, top = 0, max(self._edge, default=-1)
        while carry or level <= top:
            buf = self._edge.get(level, b"") + carry
            first = (old_size >> (TILE_HEIGHT * level)) >> TILE_HEIGHT
            count = len(buf) // FULL_TILE_BYTES
            roots = []
            for i in range(count):
                chunk = buf[i * FULL_TILE_BYTES:(i + 1) * FULL_TILE_BYTES]
                written[(level, first + i)] = chunk
                roots.append(subtree_root(chunk))
            tail = buf[count * FULL_TILE_BYTES:]
            if tail:
                written[(level, first + count)] = tail
                edge[level] = tail
            carry = b"".join(roots)
            level += 1

        root = tree_hash(new_size, _EdgeReader(new_size, written))
        # Entry bundles first: a batch a crash left unpublished can be read back from them.
        for n, items in bundles.items():
            self.storage.put(Tile(ENTRIES, n, len(items)).path, encode_entry_bundle(items), create_only=True)
        for tile in new_tiles(old_size, new_size):
            self.storage.put(tile.path, written[(tile.level, tile.n)], create_only=True)
        signed = self._signed_history(new_size, root)
        self.storage.put(CHECKPOINT, signed, create_only=False)
        self.size, self.root_hash, self._edge, self._bundle = new_size, root, edge, rest
        return Appended(old_size, new_size, root, signed)

    def _signed_history(self, size: int, root: bytes) -> bytes:
        """The signed checkpoint of (size, root), written create-only to `checkpoints/<size>`; if
        a crashed run already signed this very tree there, that checkpoint is the one published."""
        path = checkpoint_history_path(size)
        existing = self.storage.get(path)
        if existing is not None:
            try:
                signed = open_checkpoint(existing, [self.verifier], origin=self.origin)
            except (TlogError, TlogVerificationFailed):
                signed = None
            if signed is not None and signed.size == size and signed.root_hash == root:
                return existing
            raise AlreadyExists(path)
        signed_bytes = sign_checkpoint(Checkpoint(self.origin, size, root), [self.signer])
        self.storage.put(path, signed_bytes, create_only=True)
        return signed_bytes

    # --- reading and proving ---

    def reader(self, size: int | None = None) -> StorageHashReader:
        size = self.size if size is None else size
        if not 0 <= size <= self.size:
            raise BadRequest(f"the log has no tree of size {size} (size {self.size})")
        return StorageHashReader(self.storage, size)

    def entry(self, index: int) -> bytes:
        if not 0 <= index < self.size:
            raise BadRequest(f"no entry {index} in the log of size {self.size}")
        n = index >> TILE_HEIGHT
        width = min(TILE_WIDTH, self.size - (n << TILE_HEIGHT))
        tile = Tile(ENTRIES, n, width)
        data = self.storage.get(tile.path)
        if data is None and tile.partial:
            full = self.storage.get(tile.full().path)
            data = None if full is None else encode_entry_bundle(decode_entry_bundle(full)[:width])
        if data is None:
            raise TileMissing(tile.path)
        return decode_entry_bundle(data, width)[index - (n << TILE_HEIGHT)]

    def signed_checkpoint(self, size: int | None = None) -> SignedCheckpoint:
        """The published checkpoint (size None) or the one the log signed at `size`."""
        raw = self.storage.get(CHECKPOINT if size is None or size == self.size else checkpoint_history_path(size))
        if raw is None:
            raise BadRequest(f"the log signed no checkpoint of size {size if size is not None else self.size}")
        return open_checkpoint(raw, [self.verifier], origin=self.origin)

    def prove(self, index: int, checkpoint: bytes | None = None, extra: bytes | None = None) -> TlogProof:
        """A tlog-proof for entry `index` against `checkpoint` (a signed checkpoint of this log,
        cosigned or not; default: the published one)."""
        signed = self.signed_checkpoint() if checkpoint is None else open_checkpoint(checkpoint, [self.verifier],
                                                                                     origin=self.origin)
        if signed.size > self.size:
            raise BadRequest(f"the checkpoint is of size {signed.size}, beyond the log's {self.size}")
        if tree_hash(signed.size, self.reader(signed.size)) != signed.root_hash:
            raise BadRequest(f"the checkpoint of size {signed.size} is not this log's tree")
        return prove(index, signed, self.reader(signed.size), extra=extra)

    def consistency_proof(self, old_size: int, new_size: int | None = None) -> list[bytes]:
        new_size = self.size if new_size is None else new_size
        if old_size == 0:
            return []
        return prove_consistency(old_size, new_size, self.reader(new_size))

    def add_cosignatures(self, lines: Sequence[str]) -> bytes:
        """Merge witness cosignature lines into the published checkpoint (lines it has are skipped).
        Only syntax is checked here; clients check cosignatures against their policy."""
        from .witness import add_signature_lines

        raw = self.checkpoint()
        if raw is None:
            raise BadRequest("the log has no checkpoint yet")
        for line in lines:
            split_note(b"x\n\n" + (line if line.endswith("\n") else line + "\n").encode("utf-8"))
        merged = add_signature_lines(raw, lines)
        self.storage.put(CHECKPOINT, merged, create_only=False)
        return merged
