"""`tcenter log audit`: a clean log passes and lists what no organization reviewed yet; every
planted defect (a changed tile, a signed checkpoint of another tree, a malformed entry, an entry
that is not what its envelope says, an envelope the class key did not sign, a published release
that was never logged) is reported."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from tcenter.transparency.audit import audit_log
from tcenter.transparency.checkpoint import Checkpoint, sign_checkpoint
from tcenter.transparency.entries import decode_entry, encode_entry
from tcenter.transparency.log import LocalDirectoryStorage, TransparencyLog
from tcenter.transparency.releases import release_entry_bytes
from tcenter.transparency.witness import Witness
from tcenter.transparency.witnessing import run_witness
from tests.signing.release_kit import make_key

from .flow_kit import make_keys, sign_release
from .test_sequencer import synthetic_entries

ORIGIN = "log.example/zurich"


@pytest.fixture(scope="module")
def release(tmp_path_factory):
    return sign_release(tmp_path_factory.mktemp("release"), "job-1")


@pytest.fixture
def world(tmp_path, release):
    """A log of 300 synthetic entries and the release; org-a cosigned size 300, then 2 more came."""
    keys = make_keys(tmp_path / "keys", ORIGIN)
    storage = LocalDirectoryStorage(tmp_path / "log")
    log = TransparencyLog(storage, ORIGIN, keys.log, keys.log.verifier())
    log.append(synthetic_entries(299) + [release_entry_bytes(release.envelope.read_bytes())])
    witness = Witness(tmp_path / "w" / "state.json", keys.witnesses["org-a"], {ORIGIN: [keys.log.verifier()]})
    run_witness(witness, "org-a", storage, [keys.log.verifier()], ORIGIN, storage)
    log.append(synthetic_entries(2, start=1000))
    releases = tmp_path / "releases"
    for suffix in ("", ".intoto.json"):
        target = releases / "products" / "products" / release.job / (release.name + suffix)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(str(release.file) + suffix, target)
    public = serialization.load_pem_public_key(release.public_key.read_bytes())
    return keys, storage, log, releases, public


def audit(world, **kwargs):
    keys, storage, _, releases, public = world
    organizations = {org: [w.verifier()] for org, w in keys.witnesses.items()}
    return audit_log(storage, keys.log.verifier(), organizations, keys={"products": public},
                     releases=LocalDirectoryStorage(releases), **kwargs)


def test_a_clean_log_passes_and_shows_what_is_unreviewed(world):
    report = audit(world)
    assert report.problems == [] and report.not_logged == []
    assert (report.size, report.types["release"], report.history_checked) == (302, 302, 2)
    assert (report.envelopes_found, report.envelopes_checked, report.signatures_checked) == (1, 1, 1)
    assert report.reviewed == {"org-a": 300}
    assert [i for i, _ in report.unreviewed] == [300, 301]


def test_a_changed_tile_is_found(world, tmp_path):
    tile = tmp_path / "log" / "tile" / "0" / "000"
    data = bytearray(tile.read_bytes())
    data[0] ^= 1
    tile.write_bytes(bytes(data))
    assert audit(world).problems == ["tile/0/000 is not the tile of the replayed tree"]


def test_a_signed_checkpoint_of_another_tree_is_found(world, tmp_path):
    keys = world[0]
    forged = sign_checkpoint(Checkpoint(ORIGIN, 5, b"\x07" * 32), [keys.log])
    (tmp_path / "log" / "checkpoints" / "5").write_bytes(forged)
    problems = audit(world).problems
    assert len(problems) == 1 and "checkpoints/5" in problems[0] and "not a prefix" in problems[0]


def test_a_malformed_entry_is_found(world):
    log = world[2]
    log.append([b'{"type": "release"}'])
    report = audit(world)
    assert report.problems[0].startswith("entry 302:") and report.size == 303


def test_an_entry_that_is_not_its_envelope_is_found(world, release):
    log = world[2]
    wrong = decode_entry(release_entry_bytes(release.envelope.read_bytes()))
    wrong["builders"] = ["products-7", "products-8"]
    log.append([encode_entry(wrong)])  # logged under the envelope's digest, but claiming other builders
    assert any("not what the envelope says" in p for p in audit(world).problems)


def test_an_envelope_the_class_key_did_not_sign_is_found(world, tmp_path):
    keys, storage, _, releases, _ = world
    other = make_key(tmp_path / "other-key", "products")
    public = serialization.load_pem_public_key(Path(other["public"]).read_bytes())
    report = audit_log(storage, keys.log.verifier(), {}, keys={"products": public}, releases=LocalDirectoryStorage(releases))
    assert any("signature does not verify with the products key" in p for p in report.problems)


def test_a_published_release_that_was_never_logged_is_found(world, tmp_path):
    releases = world[3]
    envelope = next(releases.rglob("*.intoto.json"))
    statement = json.loads(envelope.read_text())
    statement["signatures"][0]["keyid"] = "a key that signs in secret"
    (envelope.parent / "secret.tar.intoto.json").write_text(json.dumps(statement))
    report = audit(world)
    assert report.not_logged == ["products/products/job-1/secret.tar.intoto.json"]
