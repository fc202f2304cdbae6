"""The root ceremony (docs/tuf-root-ceremony.md): `tcenter tuf root new` from the stack's
config, each keyholder's `tcenter tuf sign`, `tcenter tuf root verify`; and what happens to
clients when a reviewer organization leaves (root rotation)."""

from __future__ import annotations

import json

import pytest

from tcenter.cli import main
from tcenter.core.errors import ExitCode
from tcenter.distribution.ceremony import propose_root, report
from tests.distribution.conftest import client
from tests.distribution.kit import NOW, p256_pem, signer
from tests.distribution.test_attacks import PRODUCT, refused, url


def _write_key(tmp_path, label: str):
    path = tmp_path / f"{label}.pem"
    path.write_bytes(p256_pem(label))
    return path


def test_root_new_proposes_the_stacks_threshold_over_the_stacks_keys(tmp_path, capsys):
    online = {role: _write_key(tmp_path, role) for role in ("snapshot", "timestamp")}
    for role in online:  # the public halves, as `aws kms get-public-key` gives them
        (tmp_path / f"{role}.pub.pem").write_text(signer(role, "vendor").public_key.keyval["public"])
    out = tmp_path / "1.root.json"
    code = main(["tuf", "root", "new", "zurich-prod", "--out", str(out),
                 "--online-key", f"snapshot={tmp_path / 'snapshot.pub.pem'}",
                 "--online-key", f"timestamp={tmp_path / 'timestamp.pub.pem'}"])
    assert code == 0, capsys.readouterr().err
    root = json.loads(out.read_text())
    signed = root["signed"]
    assert root["signatures"] == [] and signed["version"] == 1 and signed["consistent_snapshot"] is True
    holders = sorted(signed["keys"][k]["x-tcenter-holder"] for k in signed["roles"]["root"]["keyids"])
    assert holders == ["eu-certification-body", "swiss-review-lab", "vendor"]
    assert signed["roles"]["root"]["threshold"] == signed["roles"]["targets"]["threshold"] == 2
    assert main(["tuf", "root", "new", "zurich-prod", "--out", str(out)]) == ExitCode.ERROR  # never overwritten


def test_sign_and_verify_one_keyholder_at_a_time(center, tmp_path, capsys):
    """Version 1 with the kit's keys: one signature is not enough, two are; the vendor's key is
    never enough by itself."""
    root = propose_root(None, root_keys=[s.public_key for s in center.root_signers.values()], threshold=2,
                        online_keys={r: s.public_key for r, s in center.online.items()}, now=NOW)
    path = tmp_path / "1.root.json"
    path.write_bytes(root.to_bytes())
    keys = {"vendor": "root-vendor", "org-a": "root-a"}
    assert main(["tuf", "sign", str(path), "--key", str(_write_key(tmp_path, keys["vendor"])), "--holder", "vendor"]) == 0
    assert main(["tuf", "root", "verify", str(path)]) == ExitCode.TUF_METADATA
    assert "1 more of its own keys" in capsys.readouterr().err
    assert main(["tuf", "sign", str(path), "--key", str(_write_key(tmp_path, keys["org-a"])), "--holder", "org-a"]) == 0
    capsys.readouterr()
    assert main(["tuf", "root", "verify", str(path)]) == 0
    assert "org-a:" in capsys.readouterr().out


def test_a_key_outside_the_root_does_not_count(center, tmp_path):
    root = propose_root(None, root_keys=[s.public_key for s in center.root_signers.values()], threshold=2,
                        online_keys={r: s.public_key for r, s in center.online.items()}, now=NOW)
    root.sign(center.root_signers["vendor"], append=True)
    root.sign(signer("someone", "org-a"), append=True)  # labelled org-a, but not org-a's key
    assert not report(root, None).verified


def test_a_reviewer_organization_leaves_and_clients_follow(center, server, tmp_path):
    """org-b leaves: root version 2 drops its key (signed by org-a and the vendor, which meets
    both the old and the new threshold), the targets role drops its rebuild key. Clients follow
    the rotation; afterwards org-b's signatures count for nothing, alone or with the vendor's."""
    repo = center.repository("products", server.directory / "products")
    center.release(repo, "product-1.tar", PRODUCT)
    state = tmp_path / "state"
    client(center, repo, url(server, repo), state).update("product-1.tar")

    keep = [center.root_signers["org-a"], center.root_signers["vendor"], signer("root-d", "org-d")]
    root = propose_root(repo.metadata["root"], root_keys=[s.public_key for s in keep], threshold=2, now=NOW)
    for holder in ("org-a", "vendor"):
        root.sign(center.root_signers[holder], append=True)
    assert report(root, repo.metadata["root"]).verified
    repo.metadata["root"] = root
    repo.dirty.add("root")
    delegations = repo.metadata["targets"].signed.delegations
    departed = center.rebuilders["org-b"].public_key.keyid
    delegations.roles["products"].keyids.remove(departed)
    del delegations.keys[departed]
    repo.bump("targets", NOW)
    repo.sign("targets", [center.root_signers["org-a"], center.root_signers["vendor"]])
    center.release(repo, "product-2.tar", b"product release 2\n")
    installed = client(center, repo, url(server, repo), state).update("product-2.tar")
    assert installed.metadata_versions["root"] == 2 and installed.rebuilt_by == ("org-a",)

    # org-b, gone, rebuilds and signs a product with the vendor: its key no longer counts.
    center.release(repo, "product-3.tar", b"product release 3\n", rebuilt_by=("org-b",),
                   signers={"products": [center.vendor["products"], center.rebuilders["org-b"]]})
    refused(client(center, repo, url(server, repo), state), state, ExitCode.TUF_METADATA, "product-3.tar")

    # org-b and the vendor sign a root version 3 that brings org-b back: below version 2's threshold.
    back = propose_root(root, root_keys=[s.public_key for s in (center.root_signers["org-b"], center.root_signers["vendor"],
                                                                   signer("root-e", "org-e"))], threshold=2, now=NOW)
    back.sign(center.root_signers["org-b"], append=True)
    back.sign(center.root_signers["vendor"], append=True)
    assert not report(back, root).verified
    repo.metadata["root"] = back
    repo.dirty.add("root")
    repo.refresh_online(center.online, NOW)
    refused(client(center, repo, url(server, repo), state), state, ExitCode.TUF_METADATA, "product-2.tar")


def test_propose_root_refuses_a_threshold_the_vendor_meets(center):
    from tcenter.distribution.errors import BadInput

    with pytest.raises(BadInput, match="vendor's 1 key"):
        propose_root(None, root_keys=[s.public_key for s in center.root_signers.values()], threshold=1,
                     online_keys={r: s.public_key for r, s in center.online.items()})


def test_policy_and_init_draft_a_class_repository_from_the_stack(center, tmp_path, capsys):
    """`tcenter tuf policy` and `tcenter tuf init` on zurich-prod: the policy names the stack's log,
    witnesses, k and builder set; version 1's root and targets are unsigned drafts whose
    delegation follows the stack (AV databases: the vendor's key, 2**8 bins)."""
    release = center.release_keys["av-databases"]["public"]
    policy = tmp_path / "policy.json"
    assert main(["tuf", "policy", "zurich-prod", "--class", "av-databases", "--log-key",
                 center.log_signer.verifier().vkey, "--release-key", str(release), "--out", str(policy)]) == 0
    document = json.loads(policy.read_text())
    assert document["pool"] == "av-databases" and document["builders"] == ["av-databases-1", "av-databases-2"]
    assert document["quorum"] == 2 and sorted(document["witnesses"]) == ["eu-certification-body", "swiss-review-lab"]
    keys = {}
    for role in ("snapshot", "timestamp", "targets"):
        keys[role] = tmp_path / f"{role}.pub.pem"
        keys[role].write_text(signer(f"init-{role}", "vendor").public_key.keyval["public"])
    directory = tmp_path / "repo"
    assert main(["tuf", "init", "zurich-prod", "--class", "av-databases", "--dir", str(directory), "--policy", str(policy),
                 *[a for role, path in keys.items() for a in ("--online-key", f"{role}={path}")]]) == 0, capsys.readouterr()
    root = json.loads((directory / "metadata" / "1.root.json").read_text())
    targets = json.loads((directory / "metadata" / "1.targets.json").read_text())
    assert root["signatures"] == [] and targets["signatures"] == []
    assert root["signed"]["roles"]["root"]["threshold"] == 2
    (delegation,) = targets["signed"]["delegations"]["roles"]
    assert delegation["name"] == "av-databases" and delegation["paths"] == ["av-databases/*"] and delegation["terminating"]
    assert "policy.json" in targets["signed"]["targets"]
    assert main(["tuf", "init", "zurich-prod", "--class", "av-databases", "--dir", str(directory), "--policy", str(policy),
                 *[a for role, path in keys.items() for a in ("--online-key", f"{role}={path}")]]) == ExitCode.ERROR
