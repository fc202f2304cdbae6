"""tlog-tiles: paths (C2SP and Go's tile.go vectors), the spec's example tree, entry bundles, and
the tile client (fetches only what it needs, authenticates every tile, counts bytes)."""

from __future__ import annotations

import random

import pytest

from tcenter.transparency import merkle, tiles
from tcenter.transparency.errors import BadRequest, Malformed, TileMismatch, TileMissing
from tcenter.transparency.tiles import ENTRIES, Tile


def test_index_encoding_of_the_spec():
    # c2sp.org/tlog-tiles: "index 1234067 will be encoded as x001/x234/067"
    assert tiles.encode_index(1234067) == "x001/x234/067"
    assert Tile(0, 1234067).path == "tile/0/x001/x234/067"


# golang.org/x/mod sumdb/tlog tlog_test.go tilePaths, without Go's /H/ element (C2SP has none,
# its height is always 8): the N encoding and the .p/W suffix are the same.
@pytest.mark.parametrize("path, tile", [
    ("tile/0/001", Tile(0, 1)),
    ("tile/0/001.p/5", Tile(0, 1, 5)),
    ("tile/5/x123/x456/078", Tile(5, 123456078)),
    ("tile/5/x123/x456/078.p/2", Tile(5, 123456078, 2)),
    ("tile/0/x003/x057/500", Tile(0, 3057500)),
    ("tile/entries/x003/x057/500.p/255", Tile(ENTRIES, 3057500, 255)),
])
def test_tile_paths_round_trip(path, tile):
    assert tile.path == path
    assert tiles.parse_tile_path(path) == tile


@pytest.mark.parametrize("path", [
    "tile/5/123/456/078",        # Go: all but the last element need an x
    "tile/-1/123/456/078",
    "tile/0/x000/001",           # not canonical: a leading zero element
    "tile/0/001.p/256", "tile/0/001.p/0", "tile/0/001.p/05",
    "tile/64/000", "tile/01/000", "tile/data/000", "tile/0/1", "tile/0/0001", "tile/0/001/",
])
def test_bad_tile_paths(path):
    with pytest.raises(Malformed):
        tiles.parse_tile_path(path)


def test_the_specs_tree_of_70000():
    # "a tree of size 70,000 will be represented by 273 full level 0 tiles, one partial level 0
    # tile of width 112, one full level 1 tile, one partial level 1 tile of width 17, and one
    # partial level 2 tile of width 1" and "a tree of size 256 will be represented by a full
    # level 0 tile and a partial level 1 tile of width 1"
    got = tiles.tiles_for_size(70000)
    level0 = [t for t in got if t.level == 0]
    assert len([t for t in level0 if not t.partial]) == 273
    assert [t for t in level0 if t.partial] == [Tile(0, 273, 112)]
    assert [t for t in got if t.level == 1] == [Tile(1, 0), Tile(1, 1, 17)]
    assert [t for t in got if t.level == 2] == [Tile(2, 0, 1)]
    assert tiles.tiles_for_size(256) == [Tile(0, 0), Tile(1, 0, 1)]


def test_new_tiles_publish_only_what_changed():
    assert tiles.new_tiles(1, 1) == []
    assert tiles.new_tiles(100, 101) == [Tile(0, 0, 101)]
    assert tiles.new_tiles(255, 256) == [Tile(0, 0), Tile(1, 0, 1)]
    assert tiles.new_tiles(256, 300) == [Tile(0, 1, 44)]


def test_tile_contents_match_the_definition():
    # level l, tile n, hash i = MTH(D[(n*256 + i) * 256**l : (n*256 + i + 1) * 256**l])
    d = [str(i).encode() for i in range(256 * 256 + 300)]
    store = merkle.MemoryHashStore()
    store.append(d)
    leaves = merkle.leaf_hashes(d)
    level1 = tiles.read_tile_data(Tile(1, 0, 257 - 1), store)
    for i in (0, 7, 255):
        assert level1[i * 32:(i + 1) * 32] == merkle.root_of(leaves[i * 256:(i + 1) * 256])
    level0 = tiles.read_tile_data(Tile(0, 256, 44), store)
    assert level0 == b"".join(leaves[256 * 256:256 * 256 + 44])


def test_entry_bundles():
    entries = [b"", b"a", bytes(300), bytes(65535)]
    data = tiles.encode_entry_bundle(entries)
    assert data[:2] == b"\x00\x00" and data[2:4] == b"\x00\x01" and data[4:5] == b"a" and data[5:7] == b"\x01\x2c"
    assert tiles.decode_entry_bundle(data, 4) == entries
    for bad in (data[:-1], data + b"\x00", b"\x00"):
        with pytest.raises(Malformed):
            tiles.decode_entry_bundle(bad, 4)
    with pytest.raises(BadRequest):
        tiles.encode_entry_bundle([bytes(65536)])


def _served(size: int):
    d = [f"entry {i}".encode() for i in range(size)]
    store = merkle.MemoryHashStore()
    store.append(d)
    served = {t.path: tiles.read_tile_data(t, store) for t in tiles.tiles_for_size(size)}
    for n in range((size + 255) // 256):
        chunk = d[n * 256:(n + 1) * 256]
        served[Tile(ENTRIES, n, len(chunk)).path] = tiles.encode_entry_bundle(chunk)
    return d, store, served


@pytest.mark.parametrize("size", [1, 2, 255, 256, 257, 65536 + 3 * 256 + 1, 3 * 65536 + 2 * 256 + 1])
def test_client_reads_authenticated_entries_and_proofs(size):
    d, store, served = _served(size)
    root = store.root()
    reader = tiles.TileHashReader(size, root, served.get)
    rnd = random.Random(size)
    for index in {0, size - 1, *rnd.sample(range(size), min(size, 8))}:
        assert reader.entry(index) == d[index]
        proof = merkle.prove_inclusion(size, index, reader)
        assert proof == merkle.prove_inclusion(size, index, store)
        old = rnd.randint(1, size)
        assert merkle.prove_consistency(old, size, reader) == merkle.prove_consistency(old, size, store)
    assert reader.bytes_fetched == sum(len(served[p]) for p in reader.paths_fetched)


def test_client_fetches_few_bytes():
    size = 65536 + 300
    _, store, served = _served(size)
    reader = tiles.TileHashReader(size, store.root(), served.get)
    reader.read_hashes([merkle.stored_hash_index(0, 1000)])
    # one level-0 tile, one level-1 tile, and the right-edge tiles of the tree hash
    assert len(reader.paths_fetched) <= 5 and reader.bytes_fetched <= 3 * 8192 + 2 * 300 * 32


@pytest.mark.parametrize("size", [65536 + 3 * 256 + 1, 3 * 65536 + 2 * 256 + 1, 70000])
def test_a_forged_tile_chain_is_caught(size):
    """Forge entry 0: a new leaf in tile/0/000 and tile/1/000 recomputed to match. The level-2
    tile (authenticated by the root) gives the forgery away. (Go's TileHashReader starts its
    parent check at len(stx), the number of subtree *indexes*; where several subtrees share a
    tile it would skip tile/1/000 for these sizes.)"""
    d, store, served = _served(size)
    forged = merkle.leaf_hash(b"forged")
    t0 = bytearray(served["tile/0/000"])
    t0[:32] = forged
    t1 = bytearray(served["tile/1/000"])
    t1[:32] = merkle.subtree_root(bytes(t0))
    served["tile/0/000"], served["tile/1/000"] = bytes(t0), bytes(t1)
    reader = tiles.TileHashReader(size, store.root(), served.get)
    with pytest.raises(TileMismatch):
        reader.read_hashes([merkle.stored_hash_index(0, 0)])
    assert not reader.cache  # nothing unauthenticated is kept


def test_tampered_edge_tile_and_wrong_root_are_caught():
    d, store, served = _served(1000)
    edge = "tile/0/003.p/232"
    served[edge] = served[edge][:-1] + bytes([served[edge][-1] ^ 1])
    with pytest.raises(TileMismatch):
        tiles.TileHashReader(1000, store.root(), served.get).read_hashes([merkle.stored_hash_index(0, 999)])
    d, store, served = _served(1000)
    with pytest.raises(TileMismatch):
        tiles.TileHashReader(1000, merkle.leaf_hash(b"x"), served.get).read_hashes([0])
    served[Tile(ENTRIES, 0).path] = tiles.encode_entry_bundle([b"other"] + d[1:256])
    with pytest.raises(TileMismatch):
        tiles.TileHashReader(1000, store.root(), served.get).entry(0)


def test_partial_tile_falls_back_to_the_full_one():
    # the log may delete a partial tile once the full tile exists (tlog-tiles)
    d, store, served = _served(512)
    old_root = store.root(300)
    # the tiles of the checkpoint at 300, but tile/0/001.p/44 was deleted: tile/0/001 is full now
    served["tile/1/000.p/1"] = tiles.read_tile_data(Tile(1, 0, 1), store)
    assert "tile/0/001.p/44" not in served
    reader = tiles.TileHashReader(300, old_root, served.get)
    (h,) = reader.read_hashes([merkle.stored_hash_index(0, 299)])
    assert h == merkle.leaf_hash(d[299])
    assert "tile/0/001" in reader.paths_fetched
    served.pop("tile/0/001")
    with pytest.raises(TileMissing):
        tiles.TileHashReader(300, old_root, served.get).read_hashes([merkle.stored_hash_index(0, 299)])
