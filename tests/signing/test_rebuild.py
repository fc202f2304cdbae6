"""The workstation's tc-rebuild (templates/workstation/tc-rebuild.sh.j2) on this machine: a
reviewer rebuilds a release signed by the real signer script from a real git checkout, with
the build command, SOURCE_DATE_EPOCH and commit/tree read from the provenance."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from types import SimpleNamespace

import os

import pytest

from components import hosts
from tests.signing.release_kit import BUILD_INFO, builder_outputs, make_key, openssl_backend, sign

pytestmark = pytest.mark.skipif(not os.environ.get("CI") and (any(shutil.which(tool) is None for tool in ("openssl", "git", "make", "bash"))),
                                reason="(never skipped under CI) needs openssl, git, make and bash")

MAKEFILE = "all:\n\tmkdir -p $(OUT)\n\tprintf 'product built at %s\\n' \"$$SOURCE_DATE_EPOCH\" > $(OUT)/product.tar\n"


def git(repo: Path, *args: str) -> str:
    env = {"GIT_AUTHOR_NAME": "r", "GIT_AUTHOR_EMAIL": "r@example.com", "GIT_COMMITTER_NAME": "r",
           "GIT_COMMITTER_EMAIL": "r@example.com", "GIT_AUTHOR_DATE": "2024-01-01T00:00:00Z",
           "GIT_COMMITTER_DATE": "2024-01-01T00:00:00Z", "PATH": "/usr/bin:/bin", "HOME": str(repo)}
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True, env=env).stdout.strip()


@pytest.fixture
def setup(tmp_path):
    repo = tmp_path / "source"
    repo.mkdir()
    git(repo, "init", "-q")
    (repo / "Makefile").write_text(MAKEFILE)
    git(repo, "add", "Makefile")
    git(repo, "commit", "-q", "-m", "reviewed")
    info = dict(BUILD_INFO, toolchain={}, source={"repository": "https://git.example.com/p.git",
                                                  "commit": git(repo, "rev-parse", "HEAD"), "tree": git(repo, "rev-parse", "HEAD^{tree}")})
    script = tmp_path / "tc-rebuild"
    script.write_text(hosts.render_template("workstation/tc-rebuild.sh.j2", {"v": SimpleNamespace(stack="dev")}))
    key = make_key(tmp_path / "key", "products")
    return SimpleNamespace(root=tmp_path, repo=repo, info=info, script=script, key=key)


def release_of(setup, content: bytes) -> Path:
    root = setup.root / "signed"
    result = sign(root, builder_outputs(root, content, content, info=setup.info), openssl_backend(setup.key))
    assert result.returncode == 0, result.stderr
    return root / "release" / "product.tar"


def rebuild(setup, release: Path, source: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(setup.script), str(source or setup.repo), str(release)], capture_output=True, text=True)


def test_a_faithful_release_rebuilds_identically(setup):
    built = f"product built at {BUILD_INFO['sourceDateEpoch']}\n".encode()
    result = rebuild(setup, release_of(setup, built))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "IDENTICAL" in result.stdout


def test_a_release_that_is_not_what_the_source_builds_to_differs(setup):
    result = rebuild(setup, release_of(setup, b"product built with a backdoor\n"))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "DIFFERENT" in result.stderr


def test_another_checkout_than_the_provenance_names_is_refused(setup):
    built = f"product built at {BUILD_INFO['sourceDateEpoch']}\n".encode()
    release = release_of(setup, built)
    (setup.repo / "extra").write_text("unreviewed change\n")
    git(setup.repo, "add", "extra")
    git(setup.repo, "commit", "-q", "-m", "later")
    result = rebuild(setup, release)
    assert result.returncode == 3 and "was built from" in result.stderr


def _org_key(folder: Path, curve: str) -> tuple[Path, Path]:
    private, public = folder / f"org-{curve}.pem", folder / f"org-{curve}.pub.pem"
    algorithm = ["-algorithm", "ED25519"] if curve == "ed25519" else ["-algorithm", "EC", "-pkeyopt", f"ec_paramgen_curve:{curve}"]
    subprocess.run(["openssl", "genpkey", *algorithm, "-out", str(private)], check=True, capture_output=True)
    subprocess.run(["openssl", "pkey", "-in", str(private), "-pubout", "-out", str(public)], check=True, capture_output=True)
    return private, public


@pytest.mark.parametrize("curve", ["P-256", "P-384", "ed25519"])
def test_an_identical_rebuild_is_attested_with_the_reviewers_own_key(setup, curve):
    """What bash and openssl write on the workstation, read by the client's verifier
    (tcenter.distribution.attestation, securesystemslib): the organization's key, this very
    file, this very provenance envelope."""
    import hashlib

    from tcenter.distribution import attestation
    from tcenter.distribution.keys import read_public_key

    built = f"product built at {BUILD_INFO['sourceDateEpoch']}\n".encode()
    release = release_of(setup, built)
    private, public = _org_key(setup.root, curve)
    result = subprocess.run(["bash", str(setup.script), "--sign", str(private), "--organization", "org-a",
                             str(setup.repo), str(release)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    envelope = (release.parent / "product.tar.rebuild.org-a.intoto.json").read_bytes()
    facts = dict(signing_class="products", name="product.tar", sha256=hashlib.sha256(built).hexdigest(),
                 envelope_sha256=hashlib.sha256((release.parent / "product.tar.intoto.json").read_bytes()).hexdigest())
    key = read_public_key(public, "org-a")
    assert attestation.verify(envelope, organization="org-a", keys=[key], **facts) is not None
    assert attestation.verify(envelope, organization="org-b", keys=[key], **facts) is None  # another verifier id
    (setup.root / "other").mkdir()
    _, other = _org_key(setup.root / "other", curve)  # a key org-a does not hold
    assert attestation.verify(envelope, organization="org-a", keys=[read_public_key(other, "org-a")], **facts) is None
    assert attestation.verify(envelope, organization="org-a", keys=[key], **{**facts, "sha256": "0" * 64}) is None
    again = subprocess.run(["bash", str(setup.script), "--sign", str(private), "--organization", "org-a",
                            str(setup.repo), str(release)], capture_output=True, text=True)
    assert again.returncode == 4 and "never overwritten" in again.stderr


def test_a_different_rebuild_is_never_attested(setup):
    release = release_of(setup, b"product built with a backdoor\n")
    private, _ = _org_key(setup.root, "P-256")
    result = subprocess.run(["bash", str(setup.script), "--sign", str(private), "--organization", "org-a",
                             str(setup.repo), str(release)], capture_output=True, text=True)
    assert result.returncode == 1 and "DIFFERENT" in result.stderr
    assert not (release.parent / "product.tar.rebuild.org-a.intoto.json").exists()
