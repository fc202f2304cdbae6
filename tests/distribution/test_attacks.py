"""The attack corpus (issue 26): each case a repository that lies in one way, served from a local
HTTP server, and a client that must refuse it with the check's exit code and an unchanged state.

Cases a python-tuf check stops are marked (TUF); the others are the kit's own checks and fail
when that check is removed: signers (vendor AND reviewer), the rebuild attestation, the log
proof, the witness quorum, the provenance, the atomic state."""

from __future__ import annotations

import shutil
from datetime import timedelta

import pytest

from tcenter.core.errors import ExitCode
from tcenter.distribution.errors import UpdateRefused
from tcenter.distribution.repository import Expiry, Repository
from tests.distribution.conftest import client, tree_digest
from tests.distribution.kit import NOW, signer

PRODUCT = b"product release one\n"


def url(server, repo) -> str:
    return f"{server.url}{repo.signing_class}/"


def refused(update, state, code: ExitCode, name: str) -> UpdateRefused:
    """The update raises with `code`, and the client's state is exactly what it was."""
    before = tree_digest(state)
    with pytest.raises(UpdateRefused) as caught:
        update.update(name)
    assert caught.value.exit_code == code, caught.value
    assert tree_digest(state) == before, "a refused update changed the client's state"
    return caught.value


@pytest.fixture
def products(center, server):
    repo = center.repository("products", server.directory / "products")
    center.release(repo, "product-1.tar", PRODUCT)
    return repo


@pytest.fixture
def avdb(center, server):
    repo = center.repository("av-databases", server.directory / "av-databases", bins_bits=3)
    center.release(repo, "avdb-1.bin", b"signatures 1\n", rebuilt_by=())
    return repo


def attacker_copy(repo: Repository) -> Repository:
    """The repository as an attacker holding some of its keys reads it back."""
    return Repository.open(repo.directory, repo.signing_class, repo.expiry)


# --- the honest path --------------------------------------------------------------------------

def test_a_client_updates_through_three_releases_over_http(center, products, avdb, server, tmp_path, clock):
    state, av_state = tmp_path / "state", tmp_path / "av-state"
    updater, av = client(center, products, url(server, products), state), client(center, avdb, url(server, avdb), av_state)
    seen = []
    for n in (1, 2, 3):
        if n > 1:
            center.release(products, f"product-{n}.tar", f"product release {n}\n".encode())
            center.release(avdb, f"avdb-{n}.bin", f"signatures {n}\n".encode(), rebuilt_by=())
        installed = updater.update(f"product-{n}.tar")
        assert installed.path.read_bytes() == (PRODUCT if n == 1 else f"product release {n}\n".encode())
        assert installed.signed_by == ("org-a", "vendor") and installed.rebuilt_by == ("org-a",)
        assert installed.witnesses == ("org-a", "org-b") and installed.builders == ("products-1", "products-2")
        seen.append(installed.metadata_versions["products"])
        assert av.update(f"avdb-{n}.bin").path.read_bytes() == f"signatures {n}\n".encode()
    assert seen == sorted(set(seen)), "each release is a newer products role"
    assert updater.installed()["name"] == "product-3.tar"
    assert len(server.requests) < 150


# --- rollback, by role -------------------------------------------------------------------------

def test_timestamp_rollback_replayed_from_an_archive(center, products, server, tmp_path):  # (TUF)
    old = (products.directory / "metadata" / "timestamp.json").read_bytes()
    center.release(products, "product-2.tar", b"product release 2\n")
    state = tmp_path / "state"
    client(center, products, url(server, products), state).update("product-2.tar")
    server.overrides["products/metadata/timestamp.json"] = old
    refused(client(center, products, url(server, products), state), state, ExitCode.TUF_METADATA, "product-1.tar")


def test_snapshot_rollback_with_the_timestamp_key(center, products, server, tmp_path):  # (TUF)
    center.release(products, "product-2.tar", b"product release 2\n")
    state = tmp_path / "state"
    client(center, products, url(server, products), state).update("product-2.tar")
    evil = attacker_copy(products)
    evil.metadata["timestamp"].signed.snapshot_meta.version -= 1  # the previous snapshot, still on the server
    evil.bump("timestamp", NOW)
    evil.sign("timestamp", [center.online["timestamp"]])
    evil.write()
    refused(client(center, products, url(server, products), state), state, ExitCode.TUF_METADATA, "product-1.tar")


def rollback_role_with_online_keys(center, repo, role: str, state, server, name: str) -> None:
    """An attacker holding both online keys publishes a snapshot that lists an older, once
    validly signed version of ROLE (still on the server: consistent snapshots keep it)."""
    from tuf.api.metadata import MetaFile

    evil = attacker_copy(repo)
    current = evil.metadata["snapshot"].signed.meta[f"{role}.json"].version
    evil.metadata["snapshot"].signed.meta[f"{role}.json"] = MetaFile(current - 1)
    evil.refresh_online(center.online, NOW)
    refused(client(center, repo, url(server, repo), state), state, ExitCode.TUF_METADATA, name)


@pytest.mark.parametrize("role", ["targets", "products"])
def test_go_tuf_GHSA_66x3_6cw3_v5gj_rollback_of_non_root_roles(center, products, server, tmp_path, role):  # (TUF)
    """go-tuf accepted a lower version of a non-root role than the one it trusted."""
    if role == "targets":  # give targets a second version to roll back from
        products.add_target("policy.json", center.policy("products").to_json() + b" ")
        products.bump("targets", NOW)
        products.sign("targets", [center.root_signers["org-a"], center.root_signers["org-b"]])
    center.release(products, "product-2.tar", b"product release 2\n")
    state = tmp_path / "state"
    client(center, products, url(server, products), state).update("product-2.tar")
    rollback_role_with_online_keys(center, products, role, state, server, "product-2.tar")


def test_tough_CVE_2025_2887_rollback_of_delegated_targets(center, avdb, server, tmp_path):  # (TUF)
    """tough did not compare a delegated role's version with the one it trusted: roll a hashed
    bin of the AV databases back."""
    from tuf.api.metadata import MetaFile

    center.release(avdb, "avdb-2.bin", b"signatures 2\n", rebuilt_by=())
    state = tmp_path / "state"
    client(center, avdb, url(server, avdb), state).update("avdb-2.bin")
    evil = attacker_copy(avdb)
    bin_role = evil.role_for("av-databases/avdb-2.bin")
    version = evil.metadata["snapshot"].signed.meta[f"{bin_role}.json"].version
    assert version > 1
    evil.metadata["snapshot"].signed.meta[f"{bin_role}.json"] = MetaFile(version - 1)
    evil.refresh_online(center.online, NOW)
    refused(client(center, avdb, url(server, avdb), state), state, ExitCode.TUF_METADATA, "avdb-2.bin")


def test_tough_CVE_2025_2888_timestamp_is_not_persisted_before_the_rollback_check(center, products, server, tmp_path):
    """tough wrote a new timestamp to disk before checking the snapshot it names. An attacker
    with the online keys then plants a timestamp of a very high version whose snapshot rolls a
    role back: refused, and the client still accepts the next honest timestamp (it would be
    frozen forever had the planted one been persisted)."""
    from tuf.api.metadata import MetaFile

    center.release(products, "product-2.tar", b"product release 2\n")
    state = tmp_path / "state"
    client(center, products, url(server, products), state).update("product-2.tar")
    evil = attacker_copy(products)
    version = evil.metadata["snapshot"].signed.meta["products.json"].version
    evil.metadata["snapshot"].signed.meta["products.json"] = MetaFile(version - 1)
    evil.metadata["snapshot"].signed.version += 50
    evil.metadata["timestamp"].signed.version += 50
    evil.refresh_online(center.online, NOW)
    refused(client(center, products, url(server, products), state), state, ExitCode.TUF_METADATA, "product-2.tar")
    center.release(products, "product-3.tar", b"product release 3\n")  # the honest repository goes on
    assert client(center, products, url(server, products), state).update("product-3.tar").name == "product-3.tar"


# --- freeze, by role ----------------------------------------------------------------------------

FREEZE = {
    "root": Expiry(root_days=1, targets_days=400, class_days=400, snapshot_hours=9600, timestamp_hours=9600),
    "targets": Expiry(root_days=400, targets_days=1, class_days=400, snapshot_hours=9600, timestamp_hours=9600),
    "products": Expiry(root_days=400, targets_days=400, class_days=1, snapshot_hours=9600, timestamp_hours=9600),
    "snapshot": Expiry(root_days=400, targets_days=400, class_days=400, snapshot_hours=24, timestamp_hours=9600),
    "timestamp": Expiry(root_days=400, targets_days=400, class_days=400, snapshot_hours=9600, timestamp_hours=24),
}


@pytest.mark.parametrize("role", sorted(FREEZE))
def test_freeze_of_each_role(center, server, tmp_path, clock, role):  # (TUF)
    """The attacker keeps serving what was valid yesterday; the role under test expired after a day."""
    repo = center.repository("products", server.directory / "products", expiry=FREEZE[role])
    center.release(repo, "product-1.tar", PRODUCT)
    state = tmp_path / "state"
    client(center, repo, url(server, repo), state).update("product-1.tar")
    clock(NOW + timedelta(days=2))
    error = refused(client(center, repo, url(server, repo), state), state, ExitCode.TUF_METADATA, "product-1.tar")
    assert "Expired" in str(error)


def test_av_database_timestamps_expire_in_hours(center, avdb, server, tmp_path, clock):  # (TUF)
    state = tmp_path / "state"
    client(center, avdb, url(server, avdb), state).update("avdb-1.bin")
    assert avdb.metadata["timestamp"].signed.expires - NOW <= timedelta(hours=4)
    clock(NOW + timedelta(hours=5))
    refused(client(center, avdb, url(server, avdb), state), state, ExitCode.TUF_METADATA, "avdb-1.bin")


# --- mix-and-match, fast-forward, endless data, hashes and lengths -----------------------------

@pytest.mark.parametrize("role", ["snapshot", "products"])
def test_mix_and_match_of_two_publications(center, products, server, tmp_path, role):  # (TUF)
    old = products.serialized(role)
    center.release(products, "product-2.tar", b"product release 2\n")
    server.overrides[f"products/metadata/{products.filename(role)}"] = old
    refused(client(center, products, url(server, products), tmp_path / "state"), tmp_path / "state",
            ExitCode.TUF_METADATA, "product-2.tar")


def test_fast_forward_by_a_stolen_timestamp_key_is_undone_by_rotating_it(center, products, server, tmp_path):  # (TUF)
    """A stolen timestamp key signs version 1,000,000: the client accepts it (it is validly
    signed) and then refuses honest timestamps, until the root rotates the timestamp key."""
    from tcenter.distribution.ceremony import propose_root

    state = tmp_path / "state"
    evil = attacker_copy(products)
    evil.metadata["timestamp"].signed.version = 1_000_000
    evil.sign("timestamp", [center.online["timestamp"]])
    evil.dirty.add("timestamp")
    evil.write()
    client(center, products, url(server, products), state).update("product-1.tar")
    center.release(products, "product-2.tar", b"product release 2\n")
    refused(client(center, products, url(server, products), state), state, ExitCode.TUF_METADATA, "product-2.tar")
    new_timestamp = signer("timestamp-2", "vendor")
    root = propose_root(products.metadata["root"], root_keys=[s.public_key for s in center.root_signers.values()],
                        threshold=2, online_keys={"timestamp": new_timestamp.public_key}, now=NOW)
    root.sign(center.root_signers["org-a"], append=True)
    root.sign(center.root_signers["org-b"], append=True)
    products.metadata["root"] = root
    products.dirty.add("root")
    products.refresh_online({**center.online, "timestamp": new_timestamp}, NOW)
    assert client(center, products, url(server, products), state).update("product-2.tar").name == "product-2.tar"


@pytest.mark.parametrize("path", ["metadata/timestamp.json", "metadata/{snapshot}", "target"])
def test_endless_data_is_cut_off(center, products, server, tmp_path, path):  # (TUF: lengths)
    name = "product-1.tar"
    if path == "target":
        info = products.metadata["products"].signed.targets[f"products/{name}"]
        path = f"targets/products/{info.hashes['sha256']}.{name}"
    server.endless.add("products/" + path.format(snapshot=products.filename("snapshot")))
    refused(client(center, products, url(server, products), tmp_path / "state"), tmp_path / "state",
            ExitCode.TUF_METADATA, name)


@pytest.mark.parametrize("change", ["same-length", "longer", "shorter"])
def test_a_target_with_a_wrong_hash_or_length_is_refused(center, products, server, tmp_path, change):  # (TUF)
    info = products.metadata["products"].signed.targets["products/product-1.tar"]
    served = {"same-length": PRODUCT.upper(), "longer": PRODUCT + b"!", "shorter": PRODUCT[:-1]}[change]
    server.overrides[f"products/targets/products/{info.hashes['sha256']}.product-1.tar"] = served
    refused(client(center, products, url(server, products), tmp_path / "state"), tmp_path / "state",
            ExitCode.TUF_METADATA, "product-1.tar")


# --- stolen keys and the vendor alone ------------------------------------------------------------

@pytest.mark.parametrize("stolen", [("timestamp",), ("snapshot",), ("snapshot", "timestamp")])
def test_a_compromised_online_key_cannot_publish_a_product(center, products, server, tmp_path, stolen):  # (TUF)
    """With one or both online keys (KMS) an attacker adds evil.tar to the products role; what it
    cannot sign it signs with a key of its own."""
    own = signer("attacker", "vendor")
    evil = attacker_copy(products)
    evil.add_release("evil.tar", {"": b"evil\n"}, source_revision="0" * 40)
    evil.bump("products", NOW)
    evil.sign("products", [center.online[stolen[0]]])
    keys = {role: center.online[role] if role in stolen else own for role in ("snapshot", "timestamp")}
    from tuf.api.metadata import MetaFile

    evil.metadata["snapshot"].signed.meta["products.json"] = MetaFile(evil.metadata["products"].signed.version)
    evil.refresh_online(keys, NOW)
    refused(client(center, products, url(server, products), tmp_path / "state"), tmp_path / "state",
            ExitCode.TUF_METADATA, "evil.tar")


def test_the_vendor_alone_cannot_rotate_root(center, products, server, tmp_path):  # (TUF)
    """The vendor signs a root version 2 that trusts only its own key: below the old threshold."""
    from tcenter.distribution.ceremony import propose_root

    vendor = center.root_signers["vendor"]
    root = propose_root(products.metadata["root"], root_keys=[vendor.public_key, signer("vendor-2", "org-a").public_key],
                        threshold=1 + 1, now=NOW)
    root.sign(vendor, append=True)
    root.sign(signer("vendor-2", "org-a"), append=True)  # a second key the vendor made, labelled as a reviewer's
    products.metadata["root"] = root
    products.dirty.add("root")
    products.refresh_online(center.online, NOW)
    refused(client(center, products, url(server, products), tmp_path / "state"), tmp_path / "state",
            ExitCode.TUF_METADATA, "product-1.tar")


def test_the_vendor_alone_cannot_publish_a_product(center, products, server, tmp_path):  # (TUF: threshold 2)
    center.release(products, "product-2.tar", b"product release 2\n",
                   signers={"products": [center.vendor["products"]]})
    refused(client(center, products, url(server, products), tmp_path / "state"), tmp_path / "state",
            ExitCode.TUF_METADATA, "product-2.tar")


def test_two_reviewers_without_the_vendor_cannot_publish_a_product(center, products, server, tmp_path):
    """TUF's threshold of 2 over the products keys is met by two reviewer organizations; the
    client's own signer check wants the vendor among them."""
    center.release(products, "product-2.tar", b"product release 2\n",
                   signers={"products": [center.rebuilders["org-a"], center.rebuilders["org-b"]]})
    error = refused(client(center, products, url(server, products), tmp_path / "state"), tmp_path / "state",
                    ExitCode.NOT_REBUILT, "product-2.tar")
    assert error.check == "signers"


def test_a_products_delegation_at_threshold_one_still_needs_a_reviewer(center, products, server, tmp_path):
    """Should the offline targets role ever delegate products at threshold 1 (a ceremony's
    mistake), TUF alone accepts the vendor's signature; the client's own signer check still
    wants a reviewer organization's beside it."""
    from tcenter.distribution.names import VENDOR

    products.bump("targets", NOW)
    products.metadata["targets"].signed.delegations.roles["products"].threshold = 1
    products.sign("targets", [center.root_signers["org-a"], center.root_signers[VENDOR]])
    center.release(products, "product-2.tar", b"product release 2\n",
                   signers={"products": [center.vendor["products"]]})
    error = refused(client(center, products, url(server, products), tmp_path / "state"), tmp_path / "state",
                    ExitCode.NOT_REBUILT, "product-2.tar")
    assert error.check == "signers" and "vendor only" in str(error)


# --- the rebuild attestation, the log and its witnesses ------------------------------------------

@pytest.mark.parametrize("case", ["none", "outsider", "other-file", "forged"])
def test_a_product_without_a_reviewer_rebuild_attestation_is_refused(center, products, server, tmp_path, case):
    files = center.build("products", "product-2.tar", b"product release 2\n")
    files[".tlog-proof"] = center.log_release(files)
    if case == "outsider":  # an organization the delegation does not list
        files[".rebuild.org-c.intoto.json"] = center.attest("org-c", files, "products", "product-2.tar",
                                                            key=signer("rebuild-c", "org-c"))
    elif case == "other-file":  # org-a's attestation of product-1, offered for product-2
        other = center.build("products", "product-1.tar", PRODUCT)
        files[".rebuild.org-a.intoto.json"] = center.attest("org-a", other, "products", "product-1.tar")
    elif case == "forged":  # org-a's name, the vendor's key
        files[".rebuild.org-a.intoto.json"] = center.attest("org-a", files, "products", "product-2.tar",
                                                            key=center.vendor["products"])
    products.add_release("product-2.tar", files, source_revision="3f1e0c4b9a7d2e6f8a1b0c9d8e7f6a5b4c3d2e1f")
    products.publish(center.class_signers("products"), center.online, NOW)
    error = refused(client(center, products, url(server, products), tmp_path / "state"), tmp_path / "state",
                    ExitCode.NOT_REBUILT, "product-2.tar")
    assert error.check == "rebuild"


@pytest.mark.parametrize("envelope", [b"not json", b'{"payloadType": "application/vnd.in-toto+json", '
                                      b'"payload": "e30=", "signatures": []}', b'["a list"]'])
def test_a_malformed_provenance_is_one_refusal_not_a_crash(center, avdb, server, tmp_path, envelope):
    """TUF vouches for the bytes, not for what they say: a provenance that is not a DSSE envelope of
    SLSA provenance with one subject is refused with its exit code, never a traceback."""
    files = center.build("av-databases", "avdb-2.bin", b"signatures 2\n")
    files[".intoto.json"] = envelope
    avdb.add_release("avdb-2.bin", files, source_revision="3f1e0c4b9a7d2e6f8a1b0c9d8e7f6a5b4c3d2e1f")
    avdb.publish(center.class_signers("av-databases"), center.online, NOW)
    error = refused(client(center, avdb, url(server, avdb), tmp_path / "state"), tmp_path / "state",
                    ExitCode.SUBJECT, "avdb-2.bin")
    assert error.check == "provenance-format"


@pytest.mark.parametrize("signing_class", ["av-databases", "products"])
def test_a_release_signed_but_not_logged_is_refused(center, products, avdb, server, tmp_path, signing_class):
    repo = avdb if signing_class == "av-databases" else products
    center.release(repo, "late-1.bin", b"not in the log\n", logged=False,
                   rebuilt_by=() if signing_class == "av-databases" else ("org-a",))
    state = tmp_path / "state"
    error = refused(client(center, repo, url(server, repo), state), state, ExitCode.NOT_LOGGED, "late-1.bin")
    assert error.check == "log"


def _publish(center, repo, name, files):
    from tests.signing.release_kit import BUILD_INFO

    repo.add_release(name, files, source_revision=BUILD_INFO["source"]["commit"])
    repo.publish(center.class_signers(repo.signing_class), center.online, NOW)


def test_another_releases_provenance_and_proof_are_refused(center, avdb, server, tmp_path):
    """A genuine, logged and cosigned release's provenance and proof, offered for other bytes: the
    log holds that entry, so only the provenance's subject (name and digest) tells them apart."""
    genuine = center.release(avdb, "avdb-2.bin", b"signatures 2\n", rebuilt_by=())
    evil = center.build("av-databases", "avdb-3.bin", b"not what was built\n")
    evil[".intoto.json"], evil[".tlog-proof"] = genuine[".intoto.json"], genuine[".tlog-proof"]
    _publish(center, avdb, "avdb-3.bin", evil)
    error = refused(client(center, avdb, url(server, avdb), tmp_path / "state"), tmp_path / "state",
                    ExitCode.SUBJECT, "avdb-3.bin")
    assert error.check == "subject"


@pytest.mark.parametrize("case", ["another-entry", "truncated"])
def test_a_log_proof_that_does_not_verify_is_refused(center, avdb, server, tmp_path, case):
    """A .tlog-proof is present but proves nothing about this release: the proof of another logged
    entry, or a damaged one."""
    genuine = center.release(avdb, "avdb-2.bin", b"signatures 2\n", rebuilt_by=())
    files = center.build("av-databases", "avdb-3.bin", b"signatures 3\n")
    proof = genuine[".tlog-proof"]
    files[".tlog-proof"] = proof if case == "another-entry" else proof[: len(proof) // 2]
    _publish(center, avdb, "avdb-3.bin", files)
    error = refused(client(center, avdb, url(server, avdb), tmp_path / "state"), tmp_path / "state",
                    ExitCode.NOT_LOGGED, "avdb-3.bin")
    assert error.check == "log"


def test_a_provenance_that_cannot_be_a_log_entry_is_refused(center, avdb, server, tmp_path):
    """The log entry is built from the provenance before anything else reads it: a source commit
    that is no commit id makes no entry the log could hold (refused as not logged, one line)."""
    import base64
    import json

    files = center.build("av-databases", "avdb-2.bin", b"signatures 2\n")
    envelope = json.loads(files[".intoto.json"])
    statement = json.loads(base64.b64decode(envelope["payload"]))
    statement["predicate"]["buildDefinition"]["externalParameters"]["source"]["commit"] = "main"
    envelope["payload"] = base64.b64encode(json.dumps(statement).encode()).decode()
    files[".intoto.json"] = json.dumps(envelope).encode()
    _publish(center, avdb, "avdb-2.bin", files)
    error = refused(client(center, avdb, url(server, avdb), tmp_path / "state"), tmp_path / "state",
                    ExitCode.NOT_LOGGED, "avdb-2.bin")
    assert error.check == "log" and "cannot be a log entry" in str(error)


def test_a_targeted_fork_of_the_log_shown_to_one_client_is_refused(center, avdb, server, tmp_path):
    """The vendor (all AV keys, online keys, the log key) makes a second log that agrees with the
    real one but for a targeted AV database; the witnesses that cosigned the real log refuse it,
    a third organization that never saw the real one cosigns: fewer than k = 2."""
    from tcenter.transparency.errors import Equivocation
    from tcenter.transparency.log import MemoryStorage, TransparencyLog

    honest = center.build("av-databases", "avdb-2.bin", b"signatures 2\n")
    center.log_release(honest)  # the real log moves on, cosigned by org-a and org-b
    fork = TransparencyLog(MemoryStorage(), center.log.origin, center.log_signer, center.log_signer.verifier())
    fork.append([center.log.entry(i) for i in range(center.log.size - 1)])
    targeted = center.build("av-databases", "avdb-2.bin", b"signatures 2, and a targeted exclusion\n")
    appended = fork.append([center.entry(targeted)])
    cosigned = []
    for organization in ("org-a", "org-b", "org-c"):
        try:
            cosigned.append(center.cosign(organization, fork))
        except Equivocation:
            pass
    assert len(cosigned) == 1  # only org-c, which had never seen the real log
    fork.add_cosignatures(cosigned)
    targeted[".tlog-proof"] = fork.prove(appended.first_index, fork.checkpoint()).encode()
    shutil.copytree(avdb.directory, tmp_path / "targeted")  # what the one client is served
    repo = Repository.open(tmp_path / "targeted", "av-databases", avdb.expiry)
    repo.add_release("avdb-2.bin", targeted, source_revision="3f1e0c4b9a7d2e6f8a1b0c9d8e7f6a5b4c3d2e1f")
    repo.publish(center.class_signers("av-databases"), center.online, NOW)
    shutil.copytree(tmp_path / "targeted", server.directory / "targeted")
    state = tmp_path / "state"
    targeted_client = client(center, repo, f"{server.url}targeted/", state)
    error = refused(targeted_client, state, ExitCode.WITNESSES, "avdb-2.bin")
    assert "1 of the 2" in str(error)


# --- the vendor's provenance ----------------------------------------------------------------------

def test_a_pinned_source_revision_must_match(center, products, server, tmp_path):
    state = tmp_path / "state"
    pinned = client(center, products, url(server, products), state, pinned_revision="a" * 40)
    refused(pinned, state, ExitCode.SOURCE_REVISION, "product-1.tar")


def test_builders_outside_the_policy_set_are_refused(center, products, server, tmp_path):
    files = center.build("products", "product-4.tar", b"built by four\n", builders=4)  # products-4 is not in the set
    files[".tlog-proof"] = center.log_release(files)
    files[".rebuild.org-a.intoto.json"] = center.attest("org-a", files, "products", "product-4.tar")
    products.add_release("product-4.tar", files, source_revision="3f1e0c4b9a7d2e6f8a1b0c9d8e7f6a5b4c3d2e1f")
    products.publish(center.class_signers("products"), center.online, NOW)
    refused(client(center, products, url(server, products), tmp_path / "state"), tmp_path / "state",
            ExitCode.BUILDERS, "product-4.tar")


def test_a_provenance_signed_by_another_key_is_refused(center, products, avdb, server, tmp_path):
    """An AV database's provenance (AV release key) offered in the products repository."""
    files = center.build("av-databases", "crossed.bin", b"av bytes\n")
    files[".tlog-proof"] = center.log_release(files)
    files[".rebuild.org-a.intoto.json"] = center.attest("org-a", files, "products", "crossed.bin")
    products.add_release("crossed.bin", files, source_revision="3f1e0c4b9a7d2e6f8a1b0c9d8e7f6a5b4c3d2e1f")
    products.publish(center.class_signers("products"), center.online, NOW)
    refused(client(center, products, url(server, products), tmp_path / "state"), tmp_path / "state",
            ExitCode.ENVELOPE_SIGNATURE, "crossed.bin")
