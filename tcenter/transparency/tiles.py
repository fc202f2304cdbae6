"""C2SP tlog-tiles: the Merkle tree as static tiles of height 8, and entry bundles.

Layout (https://c2sp.org/tlog-tiles), relative to the log's prefix:

    checkpoint                      the signed checkpoint (mutable)
    tile/<L>/<N>[.p/<W>]            tile N of level L: W (1..256) consecutive 32-byte hashes
    tile/entries/<N>[.p/<W>]        entry bundle N: W big-endian uint16 length-prefixed entries

A level-0 tile holds leaf hashes; each hash of a level-L tile (L >= 1) is the root of one
*full* tile of level L-1, so the n-th tile of level l holds, for i in 0..255,
MTH(D[(n*256 + i) * 256**l : (n*256 + i + 1) * 256**l]). `<N>` is written in 3-digit path
elements, all but the last prefixed with `x` (1234067 -> x001/x234/067); `.p/<W>` marks a
partial tile (the right edge of a tree whose size is not a multiple of 256**(l+1)).

The tile geometry follows Go's golang.org/x/mod/sumdb/tlog (tile.go) with height fixed at 8
and without Go's `/H/` path element, which C2SP dropped. `TileHashReader` is Go's
`TileHashReader`: a client that fetches only the tiles it needs through `fetch(path)`,
authenticates every tile against the checkpoint's root before using a hash from it, and
counts the bytes it fetched.
"""

from __future__ import annotations

import hashlib
import re
import struct
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from .errors import BadRequest, Malformed, TileMismatch, TileMissing
from .merkle import (
    HASH_SIZE,
    HashReader,
    subtree_indexes,
    leaf_hash,
    node_hash,
    split_stored_hash_index,
    stored_hash_index,
    subtree_root,
)

TILE_HEIGHT = 8
TILE_WIDTH = 1 << TILE_HEIGHT  # 256 hashes, 8,192 bytes
FULL_TILE_BYTES = TILE_WIDTH * HASH_SIZE
ENTRIES = -1
"""The `level` of an entry bundle (`tile/entries/...`)."""
MAX_LEVEL = 63
MAX_ENTRY_BYTES = 0xFFFF
"""An entry bundle prefixes each entry with a uint16 length: no entry may be longer."""


@dataclass(frozen=True, order=True)
class Tile:
    """Tile `n` of `level` (ENTRIES for an entry bundle), `width` hashes or entries wide (256 = full)."""

    level: int
    n: int
    width: int = TILE_WIDTH

    def __post_init__(self) -> None:
        if not (ENTRIES <= self.level <= MAX_LEVEL and self.n >= 0 and 1 <= self.width <= TILE_WIDTH):
            raise BadRequest(f"no tile at level {self.level}, index {self.n}, width {self.width}")

    @property
    def partial(self) -> bool:
        return self.width < TILE_WIDTH

    @property
    def path(self) -> str:
        level = "entries" if self.level == ENTRIES else str(self.level)
        suffix = f".p/{self.width}" if self.partial else ""
        return f"tile/{level}/{encode_index(self.n)}{suffix}"

    def full(self) -> Tile:
        """The full tile this partial tile is the start of."""
        return Tile(self.level, self.n)

    def __str__(self) -> str:
        return self.path


def encode_index(n: int) -> str:
    """`<N>` in zero-padded 3-digit path elements, all but the last prefixed with `x`."""
    if n < 0:
        raise BadRequest(f"tile index {n} is negative")
    parts = [f"{n % 1000:03d}"]
    n //= 1000
    while n > 0:
        parts.append(f"x{n % 1000:03d}")
        n //= 1000
    return "/".join(reversed(parts))


_PATH = re.compile(r"tile/(entries|0|[1-9][0-9]?)/((?:x[0-9]{3}/)*)([0-9]{3})(?:\.p/([1-9][0-9]{0,2}))?")


def parse_tile_path(path: str) -> Tile:
    """The tile a C2SP tile path names; `Malformed` unless the path is exactly the canonical one."""
    match = _PATH.fullmatch(path)
    if not match:
        raise Malformed(f"{path!r} is not a tile path (tile/<L>/<N>[.p/<W>] or tile/entries/<N>[.p/<W>])")
    level_text, xs, last, width_text = match.groups()
    level = ENTRIES if level_text == "entries" else int(level_text)
    n = 0
    for part in [p for p in xs.split("/") if p] + [last]:
        n = n * 1000 + int(part.lstrip("x"))
    width = int(width_text) if width_text else TILE_WIDTH
    if level > MAX_LEVEL or width >= TILE_WIDTH and width_text:
        raise Malformed(f"{path!r}: level must be 0..63 and a partial width 1..255")
    tile = Tile(level, n, width)
    if tile.path != path:  # e.g. leading x000 elements: not the canonical encoding
        raise Malformed(f"{path!r} is not the canonical path of its tile ({tile.path})")
    return tile


def tile_for_index(index: int) -> tuple[Tile, int, int]:
    """The narrowest tile holding stored hash `index`, and the byte range of the hashes whose
    subtree root it is (Go: tileForIndex with height 8)."""
    level, n = split_stored_hash_index(index)
    tile_level = level // TILE_HEIGHT
    level -= tile_level * TILE_HEIGHT  # level within the tile
    tile_n = (n << level) >> TILE_HEIGHT
    n -= (tile_n << TILE_HEIGHT) >> level  # n within the tile, at `level`
    width = (n + 1) << level
    return Tile(tile_level, tile_n, width), (n << level) * HASH_SIZE, ((n + 1) << level) * HASH_SIZE


def hash_from_tile(tile: Tile, data: bytes, index: int) -> bytes:
    """Stored hash `index` from `tile`'s data (the tile must be `tile_for_index(index)` or wider)."""
    if len(data) < tile.width * HASH_SIZE:
        raise TileMismatch(f"{tile.path} has {len(data)} bytes, fewer than its {tile.width} hashes")
    narrow, start, end = tile_for_index(index)
    if narrow.level != tile.level or narrow.n != tile.n or narrow.width > tile.width:
        raise BadRequest(f"stored hash {index} is in {narrow.path}, not in {tile.path}")
    return subtree_root(data[start:end])


def new_tiles(old_size: int, new_size: int) -> list[Tile]:
    """The tiles to publish when the tree grows from `old_size` to `new_size` (Go: NewTiles, height 8)."""
    tiles = []
    level = 0
    while new_size >> (TILE_HEIGHT * level) > 0:
        old_n = old_size >> (TILE_HEIGHT * level)
        new_n = new_size >> (TILE_HEIGHT * level)
        if old_n != new_n:
            for n in range(old_n >> TILE_HEIGHT, new_n >> TILE_HEIGHT):
                tiles.append(Tile(level, n))
            n = new_n >> TILE_HEIGHT
            width = new_n - (n << TILE_HEIGHT)
            if width > 0:
                tiles.append(Tile(level, n, width))
        level += 1
    return tiles


def tiles_for_size(size: int) -> list[Tile]:
    """Every tile a tree of `size` serves (full and partial), level by level."""
    return new_tiles(0, size)


def read_tile_data(tile: Tile, reader: HashReader) -> bytes:
    """The bytes of `tile` from a hash store (Go: ReadTileData)."""
    start = tile.n << TILE_HEIGHT
    level = tile.level * TILE_HEIGHT
    indexes = [stored_hash_index(level, start + i) for i in range(tile.width)]
    hashes = reader.read_hashes(indexes)
    if len(hashes) != len(indexes):
        raise BadRequest(f"the hash store returned {len(hashes)} hashes for {tile.path}")
    return b"".join(hashes)


def tile_parent(tile: Tile, k: int, size: int) -> Tile | None:
    """`tile`'s k-th ancestor in the tiles of a tree of `size`, with the width that tree gives it."""
    level = tile.level + k
    n = tile.n >> (k * TILE_HEIGHT)
    limit = size >> (level * TILE_HEIGHT)
    if (n << TILE_HEIGHT) >= limit:
        return None
    return Tile(level, n, min(TILE_WIDTH, limit - (n << TILE_HEIGHT)))


def partial_width(level: int, size: int) -> int:
    """The width of the partial tile at `level` for a tree of `size` (0: none)."""
    return (size >> (TILE_HEIGHT * level)) % TILE_WIDTH


# --- entry bundles ---------------------------------------------------------------------------


def encode_entry_bundle(entries: Iterable[bytes]) -> bytes:
    """Big-endian uint16 length-prefixed entries, concatenated."""
    pack = struct.Struct(">H").pack
    parts = []
    for e in entries:
        if len(e) > MAX_ENTRY_BYTES:
            raise BadRequest(f"an entry of {len(e)} bytes does not fit an entry bundle (at most {MAX_ENTRY_BYTES})")
        parts.append(pack(len(e)))
        parts.append(e)
    return b"".join(parts)


def decode_entry_bundle(data: bytes, count: int | None = None) -> list[bytes]:
    """The entries of a bundle; `Malformed` if it is truncated, has trailing bytes or not `count` entries."""
    entries = []
    pos, end = 0, len(data)
    while pos < end:
        if pos + 2 > end:
            raise Malformed(f"entry bundle truncated in the length of entry {len(entries)}")
        length = (data[pos] << 8) | data[pos + 1]
        pos += 2
        if pos + length > end:
            raise Malformed(f"entry bundle truncated in entry {len(entries)} ({length} bytes announced)")
        entries.append(bytes(data[pos:pos + length]))
        pos += length
    if count is not None and len(entries) != count:
        raise Malformed(f"entry bundle holds {len(entries)} entries, expected {count}")
    if len(entries) > TILE_WIDTH:
        raise Malformed(f"entry bundle holds {len(entries)} entries, more than {TILE_WIDTH}")
    return entries


# --- the client: Go's TileHashReader ---------------------------------------------------------

Fetch = Callable[[str], "bytes | None"]
"""`fetch(path) -> bytes`, or None (or `TileMissing`) if the log does not serve the path."""


class TileHashReader:
    """A HashReader for the tree (size, root) that fetches tiles through `fetch` and authenticates
    each one against `root` before returning any hash from it (Go: tlog.TileHashReader).

    Authenticated tiles are kept in `self.cache` (a dict Tile -> bytes, shareable between readers
    of the same log); `bytes_fetched` and `paths_fetched` count what went over `fetch`. A partial
    tile that is no longer served is fetched as the full tile and cut to width (C2SP allows
    deleting partial tiles once the full tile exists).
    """

    def __init__(self, size: int, root: bytes, fetch: Fetch, cache: dict[Tile, bytes] | None = None):
        if size < 0 or len(root) != HASH_SIZE:
            raise BadRequest("a tile reader needs a tree size >= 0 and a 32-byte root")
        self.size = size
        self.root = root
        self._fetch = fetch
        self.cache: dict[Tile, bytes] = {} if cache is None else cache
        self.bytes_fetched = 0
        self.paths_fetched: list[str] = []
        self._authentic: dict[Tile, list[bytes]] = {}  # tile -> its levels, authenticated for (size, root)

    def _levels(self, tile: Tile, data: bytes) -> list[bytes]:
        """The tile's hashes level by level (level 0 = the tile's data), computed once per tile."""
        levels = self._authentic.get(tile)
        if levels is not None:
            return levels
        levels = [data]
        sha = hashlib.sha256
        while len(levels[-1]) >= 2 * HASH_SIZE:
            row = levels[-1]
            pairs = len(row) // (2 * HASH_SIZE)
            levels.append(b"".join([sha(b"\x01" + row[i * 64:(i + 1) * 64]).digest() for i in range(pairs)]))
        return levels

    def _hash(self, tile: Tile, levels: list[bytes], index: int) -> bytes:
        """Stored hash `index` from the levels of `tile` (as `hash_from_tile`, without re-hashing)."""
        narrow, start, end = tile_for_index(index)
        if narrow.level != tile.level or narrow.n != tile.n or narrow.width > tile.width:
            raise BadRequest(f"stored hash {index} is in {narrow.path}, not in {tile.path}")
        level = ((end - start) // HASH_SIZE).bit_length() - 1
        offset = start >> level
        return levels[level][offset:offset + HASH_SIZE]

    def _get(self, tile: Tile) -> bytes:
        cached = self.cache.get(tile)
        if cached is not None:
            return cached
        data = self._fetch_path(tile.path)
        if data is None and tile.partial:
            full = self._fetch_path(tile.full().path)
            if full is not None:
                data = full[:tile.width * HASH_SIZE] if len(full) == FULL_TILE_BYTES else full
        if data is None:
            raise TileMissing(tile.path)
        if len(data) != tile.width * HASH_SIZE:
            raise TileMismatch(f"{tile.path} is {len(data)} bytes, not {tile.width * HASH_SIZE}")
        return data

    def _fetch_path(self, path: str) -> bytes | None:
        try:
            data = self._fetch(path)
        except TileMissing:
            return None
        if data is not None:
            self.bytes_fetched += len(data)
            self.paths_fetched.append(path)
        return data

    def read_hashes(self, indexes: Sequence[int]) -> list[bytes]:
        size = self.size
        limit = stored_hash_index(0, size)
        if all(0 <= x < limit for x in indexes):
            bases = [tile_parent(tile_for_index(x)[0], 0, size) for x in indexes]
            if all(b in self._authentic for b in bases):  # every tile already authenticated
                return [self._hash(b, self._authentic[b], x) for b, x in zip(bases, indexes)]  # type: ignore[arg-type,index]
        tile_order: dict[Tile, int] = {}
        tiles: list[Tile] = []

        # The tiles that recompute the tree hash: if it matches, those tiles are authentic.
        stx = subtree_indexes(0, size, [])
        stx_tile = []
        for x in stx:
            tile = tile_parent(tile_for_index(x)[0], 0, size)
            assert tile is not None
            if tile not in tile_order:
                tile_order[tile] = len(tiles)
                tiles.append(tile)
            stx_tile.append(tile_order[tile])
        # Go starts the parent check below at len(stx), the number of *indexes*; when several
        # subtrees share a tile that skips tiles. Every tile after the tree-hash tiles is checked.
        first_child = len(tiles)

        # The tiles holding the indexes, plus the parents that authenticate them.
        index_tile = []
        limit = stored_hash_index(0, size)
        for x in indexes:
            if not 0 <= x < limit:
                raise BadRequest(f"stored hash {x} is not in the tree of size {size}")
            base = tile_for_index(x)[0]
            k = 0
            while True:
                parent = tile_parent(base, k, size)
                if parent is None:  # pragma: no cover - the root tiles are always requested
                    raise AssertionError("bad math in TileHashReader: no authenticated ancestor")
                if parent in tile_order:
                    break
                k += 1
            for j in range(k - 1, -1, -1):
                child = tile_parent(base, j, size)
                assert child is not None
                if child.partial:  # pragma: no cover - a tile with a parent is full
                    raise AssertionError(f"bad math in TileHashReader: {child.path} has a parent")
                tile_order[child] = len(tiles)
                tiles.append(child)
            index_tile.append(tile_order[tile_parent(base, 0, size)])  # type: ignore[index]

        data = [self._get(tile) for tile in tiles]
        levels = [self._levels(tile, d) for tile, d in zip(tiles, data)]

        # Authenticate: the tree-hash tiles against the root, then every other tile against
        # its parent (parents come before children in `tiles`).
        if stx:
            th = self._hash(tiles[stx_tile[-1]], levels[stx_tile[-1]], stx[-1])
            for i in range(len(stx) - 2, -1, -1):
                th = node_hash(self._hash(tiles[stx_tile[i]], levels[stx_tile[i]], stx[i]), th)
            if th != self.root:
                raise TileMismatch(f"the tiles served do not hash to the root of the tree of size {size}")
        for i in range(first_child, len(tiles)):
            tile = tiles[i]
            parent = tile_parent(tile, 1, size)
            if parent is None or parent not in tile_order:  # pragma: no cover
                raise AssertionError(f"bad math in TileHashReader: lost the parent of {tile.path}")
            j = tile_order[parent]
            expected = self._hash(parent, levels[j], stored_hash_index(parent.level * TILE_HEIGHT, tile.n))
            if expected != levels[i][-1]:  # a full tile's root
                raise TileMismatch(f"{tile.path} does not hash to its entry in {parent.path}")
        for tile, tile_data, tile_levels in zip(tiles, data, levels):
            self.cache[tile] = tile_data
            self._authentic[tile] = tile_levels
        return [self._hash(tiles[j], levels[j], x) for j, x in zip(index_tile, indexes)]

    def entry(self, index: int) -> bytes:
        """Entry `index`, fetched from its entry bundle and checked against its authenticated leaf hash."""
        if not 0 <= index < self.size:
            raise BadRequest(f"no entry {index} in the tree of size {self.size}")
        n = index >> TILE_HEIGHT
        width = min(TILE_WIDTH, self.size - (n << TILE_HEIGHT))
        bundle = Tile(ENTRIES, n, width)
        data = self._fetch_path(bundle.path)
        if data is None and bundle.partial:
            full = self._fetch_path(bundle.full().path)
            data = None if full is None else encode_entry_bundle(decode_entry_bundle(full)[:width])
        if data is None:
            raise TileMissing(bundle.path)
        entries = decode_entry_bundle(data, width)
        entry = entries[index - (n << TILE_HEIGHT)]
        (expected,) = self.read_hashes([stored_hash_index(0, index)])
        if leaf_hash(entry) != expected:
            raise TileMismatch(f"entry {index} in {bundle.path} does not hash to its leaf in the tree")
        return entry
