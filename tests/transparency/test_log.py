"""The tiled log on storage: layout, reopening, crash and retry, create-only writes, and a
directory that later goes to S3 as it is."""

from __future__ import annotations

import os

import pytest

from tcenter.transparency import merkle, tiles
from tcenter.transparency.errors import AlreadyExists, BadRequest, Malformed, StorageError
from tcenter.transparency.log import LocalDirectoryStorage, MemoryStorage, TransparencyLog
from tcenter.transparency.note import Ed25519Signer

from . import rfc6962_reference as ref
from .conftest import ORIGIN, seed


def test_layout_on_disk(tmp_path, log_signer):
    storage = LocalDirectoryStorage(tmp_path)
    tlog = TransparencyLog(storage, ORIGIN, log_signer, log_signer.verifier())
    entries = [f"entry {i}".encode() for i in range(600)]
    tlog.append(entries[:300])
    tlog.append(entries[300:])
    files = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file())
    assert files == ["checkpoint", "checkpoints/300", "checkpoints/600",
                     "tile/0/000", "tile/0/001", "tile/0/001.p/44", "tile/0/002.p/88",
                     "tile/1/000.p/1", "tile/1/000.p/2",
                     "tile/entries/000", "tile/entries/001", "tile/entries/001.p/44", "tile/entries/002.p/88"]
    assert (tmp_path / "tile/0/000").read_bytes() == b"".join(merkle.leaf_hashes(entries[:256]))
    assert tiles.decode_entry_bundle((tmp_path / "tile/entries/002.p/88").read_bytes()) == entries[512:]
    assert tlog.root_hash == ref.mth(entries)


def test_reopen_continues(tmp_path, log_signer):
    storage = LocalDirectoryStorage(tmp_path, fsync=False)
    all_entries = []
    for n in (1, 255, 1, 256 * 256, 7):
        tlog = TransparencyLog(storage, ORIGIN, log_signer, log_signer.verifier())
        batch = [f"{len(all_entries) + i}".encode() for i in range(n)]
        tlog.append(batch)
        all_entries += batch
    tlog = TransparencyLog(storage, ORIGIN, log_signer, log_signer.verifier())
    assert tlog.size == len(all_entries) and tlog.root_hash == merkle.root_of(merkle.leaf_hashes(all_entries))
    for i in (0, 255, 256, 65000, len(all_entries) - 1):
        assert tlog.entry(i) == all_entries[i]


def test_crash_before_the_checkpoint_and_retry(log_signer):
    storage = MemoryStorage()
    tlog = TransparencyLog(storage, ORIGIN, log_signer, log_signer.verifier())
    tlog.append([b"a", b"b"])
    published = dict(storage.objects)

    class Crash(Exception):
        pass

    real_put = storage.put

    def put(path, data, create_only):
        if path.startswith("checkpoint"):
            raise Crash
        real_put(path, data, create_only)

    storage.put = put
    with pytest.raises(Crash):
        tlog.append([b"c", b"d"])
    storage.put = real_put
    assert storage.objects["checkpoint"] == published["checkpoint"]
    restarted = TransparencyLog(storage, ORIGIN, log_signer, log_signer.verifier())
    assert restarted.size == 2
    with pytest.raises(AlreadyExists, match="tile/entries/000.p/4"):  # bundles are written first
        restarted.append([b"x", b"y"])  # another batch at that size: refused, nothing overwritten
    restarted = TransparencyLog(storage, ORIGIN, log_signer, log_signer.verifier())
    assert restarted.append([b"c", b"d"]).size == 4  # the same batch: its tiles are already there


def test_directory_storage_create_only(tmp_path):
    storage = LocalDirectoryStorage(tmp_path)
    storage.put("tile/0/000", b"x", create_only=True)
    storage.put("tile/0/000", b"x", create_only=True)  # a retried write
    with pytest.raises(AlreadyExists):
        storage.put("tile/0/000", b"y", create_only=True)
    assert storage.get("tile/0/000") == b"x"
    storage.put("checkpoint", b"1", create_only=False)
    storage.put("checkpoint", b"2", create_only=False)
    assert storage.get("checkpoint") == b"2" and storage.get("missing") is None
    for bad in ("../x", "/etc/passwd", "a//b", "a/./b", ""):
        with pytest.raises(BadRequest):
            storage.put(bad, b"", create_only=True)
    assert not [p for p in os.listdir(tmp_path / "tile/0") if p.startswith(".tmp")]


def test_a_tampered_edge_is_noticed_on_open(log_signer):
    storage = MemoryStorage()
    TransparencyLog(storage, ORIGIN, log_signer, log_signer.verifier()).append([b"a", b"b", b"c"])
    storage.objects["tile/0/000.p/3"] = merkle.leaf_hash(b"z") + storage.objects["tile/0/000.p/3"][32:]
    with pytest.raises(StorageError, match="do not hash to the checkpoint"):
        TransparencyLog(storage, ORIGIN, log_signer, log_signer.verifier())


def test_the_log_key_must_be_the_origin(log_signer):
    with pytest.raises(Malformed):
        TransparencyLog(MemoryStorage(), "other.example/log", log_signer, log_signer.verifier())
    other = Ed25519Signer.from_seed(ORIGIN, seed("other"))
    with pytest.raises(Malformed):
        TransparencyLog(MemoryStorage(), ORIGIN, log_signer, other.verifier())


def test_limits(tlog):
    with pytest.raises(BadRequest):
        tlog.append([])
    with pytest.raises(BadRequest):
        tlog.append([bytes(65536)])
    tlog.append([bytes(65535)])
    with pytest.raises(BadRequest):
        tlog.entry(1)


def test_proofs_against_an_older_cosigned_checkpoint(tlog, log_signer):
    tlog.append([b"a", b"b", b"c"])
    old = tlog.checkpoint()
    tlog.append([b"d"] * 500)
    bundle = tlog.prove(1, checkpoint=old)
    assert tlog.signed_checkpoint(3).raw == old
    from tcenter.transparency.proof import verify_inclusion_bundle

    assert verify_inclusion_bundle(b"b", bundle.encode(), log_signer.verifier(), None).checkpoint.size == 3
    proof = tlog.consistency_proof(3)
    merkle.verify_consistency(3, tlog.size, ref.mth([b"a", b"b", b"c"]), tlog.root_hash, proof)
