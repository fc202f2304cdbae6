"""The client's check of a release (`releases.verify_release`, what `tcenter verify` calls): it
accepts the release only with its own entry, logged, in a checkpoint k organizations cosigned;
every single-bit change of the proof is refused; exit codes 17 (not logged) and 18 (witnesses)."""

from __future__ import annotations

import pytest

from tcenter.core.errors import ExitCode
from tcenter.transparency.errors import Malformed, NotLogged, PolicyNotMet, TlogVerificationFailed
from tcenter.transparency.log import MemoryStorage, TransparencyLog
from tcenter.transparency.proof import parse_proof
from tcenter.transparency.releases import class_policy, make_release_proof, release_entry_bytes, verify_release
from tcenter.transparency.witness import Witness
from tcenter.transparency.witnessing import run_witness

from .flow_kit import make_keys, sign_release
from .test_sequencer import synthetic_entries

ORIGIN = "log.example/zurich"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("world")
    release = sign_release(root, "job-1")
    keys = make_keys(root / "keys", ORIGIN)
    storage = MemoryStorage()
    log = TransparencyLog(storage, ORIGIN, keys.log, keys.log.verifier())
    log.append(synthetic_entries(40) + [release_entry_bytes(release.envelope.read_bytes())] + synthetic_entries(9, 50))
    for org, signer in keys.witnesses.items():
        run_witness(Witness(root / org / "state.json", signer, {ORIGIN: [keys.log.verifier()]}), org, storage,
                    [keys.log.verifier()], ORIGIN, storage)
    policy = class_policy(keys.witness_keys(), {"products": 2, "av-databases": 2}, "products")
    proof = make_release_proof(storage, release.envelope.read_bytes(), release.sha256(), keys.log.verifier(), policy)
    return release, keys, policy, proof


def check(world, proof, **changes):
    release, keys, policy, _ = world
    args = dict(sha256=release.sha256(), envelope_sha256=release.envelope_sha256(), proof=proof, log_key=keys.log_vkey,
                policy=policy, signing_class="products")
    return verify_release(**{**args, **changes})


def test_the_release_is_proven(world):
    proven = check(world, world[3])
    assert (proven.index, proven.size, proven.organizations) == (40, 50, ("org-a", "org-b"))
    assert proven.entry["name"] == world[0].name


def test_without_a_proof_or_with_another_releases_it_is_not_logged(world):
    for proof, changes, message in [
        (None, {}, "no .tlog-proof"),
        (world[3], {"sha256": "0" * 64}, "another release"),
        (world[3], {"envelope_sha256": "0" * 64}, "another release"),
        (world[3], {"signing_class": "av-databases"}, "logged as class products"),
        (b"c2sp.org/tlog-proof@v1\nindex 0\n\nnot a checkpoint\n", {}, "malformed"),
    ]:
        with pytest.raises(NotLogged, match=message) as refused:
            check(world, proof, **changes)
        assert refused.value.exit_code == ExitCode.NOT_LOGGED


def test_fewer_than_k_organizations_exit_witnesses(world):
    from tcenter.transparency.cosignature import CosignatureSigner

    _, keys, _, proof = world
    org_c = CosignatureSigner.from_seed("witness.org-c.example", b"\x0c" * 32).verifier().vkey
    three = class_policy({**keys.witness_keys(), "org-c": [org_c]}, {"products": 3}, "products")
    with pytest.raises(PolicyNotMet, match="cosigned by 2 of the 3") as refused:
        check(world, proof, policy=three)
    assert refused.value.exit_code == ExitCode.WITNESSES


def test_an_entry_given_by_the_client_instead_of_the_proofs(world):
    release, _, _, proof = world
    parsed = parse_proof(proof)
    bare = parsed.__class__(parsed.index, parsed.inclusion_path, parsed.checkpoint).encode()  # no extra data
    with pytest.raises(NotLogged, match="carries no release entry"):
        check(world, bare)
    assert check(world, bare, entry=release_entry_bytes(release.envelope.read_bytes())).index == 40


def test_every_single_bit_change_of_the_proof_is_refused(world):
    proof = world[3]
    for position in range(len(proof)):
        for bit in range(8):
            changed = bytearray(proof)
            changed[position] ^= 1 << bit
            with pytest.raises((TlogVerificationFailed, Malformed)):
                check(world, bytes(changed))


def test_policy_from_the_config_per_class():
    with pytest.raises(Malformed, match="no witness quorum for class"):
        class_policy({"org-a": []}, {"products": 1}, "av-databases")


def test_the_signer_searches_the_log_newest_first_and_never_twice():
    from tcenter.transparency.merkle import leaf_hash
    from tcenter.transparency.note import Ed25519Signer
    from tcenter.transparency.releases import find_leaf

    class Counting(MemoryStorage):
        def __init__(self):
            super().__init__()
            self.reads = []

        def get(self, path):
            self.reads.append(path)
            return super().get(path)

    signer = Ed25519Signer.from_seed(ORIGIN, b"\x01" * 32)
    storage = Counting()
    entries = synthetic_entries(700)
    TransparencyLog(storage, ORIGIN, signer, signer.verifier()).append(entries)
    storage.reads.clear()
    assert find_leaf(storage, leaf_hash(entries[650]), 700) == 650
    assert storage.reads == ["tile/0/002.p/188"]  # the newest tile held it
    assert find_leaf(storage, leaf_hash(entries[10]), 700) == 10
    storage.reads.clear()
    assert find_leaf(storage, leaf_hash(entries[10]), 700, start=600) is None  # searched before: not again
    assert storage.reads == ["tile/0/002.p/188"]
