"""The signer hosts' script (templates/signer/sign-release.py), run on real files with a
local openssl key standing in for the HSM or KMS: it signs only matching builder outputs,
records both digests, the key id and the signature, and writes nothing otherwise."""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from components.signing import SIGNER_SCRIPT

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command as the stand-in signing backend")

KEY_ID = "local-test-key"


@pytest.fixture(scope="module")
def key(tmp_path_factory) -> dict[str, Path]:
    """An ECC P-384 key pair, the curve of the center's default signing keys."""
    folder = tmp_path_factory.mktemp("key")
    private, public = folder / "signing.pem", folder / "signing.pub.pem"
    subprocess.run(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384", "-out", str(private)], check=True)
    subprocess.run(["openssl", "pkey", "-in", str(private), "-pubout", "-out", str(public)], check=True)
    return {"private": private, "public": public}


def openssl_backend(key: dict[str, Path]) -> str:
    """Signs the raw digest, as KMS (MessageType DIGEST) and the HSM (CKM_ECDSA) do."""
    return f"openssl pkeyutl -sign -inkey {key['private']} -in {{digest_file}}"


def builder_outputs(tmp_path: Path, *contents: bytes | None) -> list[str]:
    specs = []
    for index, content in enumerate(contents, start=1):
        path = tmp_path / f"builder-{index}" / "product.tar"
        if content is not None:
            path.parent.mkdir(parents=True)
            path.write_bytes(content)
        specs.append(f"builder-{index}={path}")
    return specs


def sign(tmp_path: Path, builders: list[str], command: str, *extra: str) -> subprocess.CompletedProcess:
    args = [sys.executable, str(SIGNER_SCRIPT), "--name", "product.tar", "--release-dir", str(tmp_path / "release"),
            "--key-id", KEY_ID, "--signing-algorithm", "ECDSA_SHA_384", "--digest", "sha384", "--sign-command", command]
    for spec in builders:
        args += ["--builder", spec]
    return subprocess.run([*args, *extra], capture_output=True, text=True)


def released(tmp_path: Path) -> list[str]:
    folder = tmp_path / "release"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def verify(public: Path, release: Path) -> subprocess.CompletedProcess:
    return subprocess.run(["openssl", "dgst", "-sha384", "-verify", str(public), "-signature", f"{release}.sig", str(release)],
                          capture_output=True, text=True)


ARTIFACT = b"reproducible product build\n" * 4096


def test_matching_outputs_are_signed_and_recorded(tmp_path, key):
    result = sign(tmp_path, builder_outputs(tmp_path, ARTIFACT, ARTIFACT), openssl_backend(key))
    assert result.returncode == 0, result.stderr
    assert released(tmp_path) == ["product.tar", "product.tar.provenance.json", "product.tar.sig"]
    release = tmp_path / "release" / "product.tar"
    assert release.read_bytes() == ARTIFACT
    # The signature verifies with the public key, over the released bytes.
    assert verify(key["public"], release).returncode == 0
    provenance = json.loads((tmp_path / "release" / "product.tar.provenance.json").read_text())
    expected = hashlib.sha256(ARTIFACT).hexdigest()
    assert provenance["builders"] == [{"builder": "builder-1", "sha256": expected}, {"builder": "builder-2", "sha256": expected}]
    assert provenance["keyId"] == KEY_ID
    assert provenance["digest"] == {"algorithm": "sha384", "value": hashlib.sha384(ARTIFACT).hexdigest()}
    assert base64.b64decode(provenance["signature"]) == (tmp_path / "release" / "product.tar.sig").read_bytes()


def test_a_tampered_release_fails_verification(tmp_path, key):
    assert sign(tmp_path, builder_outputs(tmp_path, ARTIFACT, ARTIFACT), openssl_backend(key)).returncode == 0
    release = tmp_path / "release" / "product.tar"
    release.write_bytes(ARTIFACT + b"backdoor")
    assert verify(key["public"], release).returncode != 0


def test_mismatching_outputs_are_not_signed(tmp_path, key):
    result = sign(tmp_path, builder_outputs(tmp_path, ARTIFACT, ARTIFACT + b"\x00"), openssl_backend(key))
    assert result.returncode == 4
    assert "differ" in result.stderr
    # Both digests are named, so the operator sees which builder diverged.
    assert hashlib.sha256(ARTIFACT).hexdigest() in result.stderr
    assert hashlib.sha256(ARTIFACT + b"\x00").hexdigest() in result.stderr
    assert released(tmp_path) == []


def test_a_third_builder_that_differs_blocks_signing(tmp_path, key):
    result = sign(tmp_path, builder_outputs(tmp_path, ARTIFACT, ARTIFACT, b"other"), openssl_backend(key))
    assert result.returncode == 4 and released(tmp_path) == []


@pytest.mark.parametrize("present", [(True, False), (False, True), (False, False)])
def test_missing_builder_output_is_not_signed(tmp_path, key, present):
    contents = [ARTIFACT if here else None for here in present]
    result = sign(tmp_path, builder_outputs(tmp_path, *contents), openssl_backend(key))
    assert result.returncode == 3
    assert "missing" in result.stderr
    assert released(tmp_path) == []


def test_one_builder_cannot_vouch_for_itself(tmp_path, key):
    (spec,) = builder_outputs(tmp_path, ARTIFACT)
    assert sign(tmp_path, [spec], openssl_backend(key)).returncode == 2
    path = spec.split("=", 1)[1]
    result = sign(tmp_path, [spec, f"builder-2={path}"], openssl_backend(key))
    assert result.returncode == 2 and "different files" in result.stderr
    assert released(tmp_path) == []


def test_failing_backend_leaves_nothing(tmp_path, key):
    missing_key = f"openssl pkeyutl -sign -inkey {tmp_path / 'no-such-key.pem'} -in {{digest_file}}"
    result = sign(tmp_path, builder_outputs(tmp_path, ARTIFACT, ARTIFACT), missing_key)
    assert result.returncode == 5
    assert released(tmp_path) == []


def test_a_release_is_never_re_signed(tmp_path, key):
    outputs = builder_outputs(tmp_path, ARTIFACT, ARTIFACT)
    assert sign(tmp_path, outputs, openssl_backend(key)).returncode == 0
    before = (tmp_path / "release" / "product.tar.sig").read_bytes()
    result = sign(tmp_path, outputs, openssl_backend(key))
    assert result.returncode == 6
    assert (tmp_path / "release" / "product.tar.sig").read_bytes() == before


def test_base64_backend_output_as_kms_prints_it(tmp_path, key):
    """`aws kms sign --output text --query Signature` prints base64; the script decodes it."""
    command = f"sh -c 'openssl pkeyutl -sign -inkey {key['private']} -in \"$1\" | base64' sh {{digest_file}}"
    result = sign(tmp_path, builder_outputs(tmp_path, ARTIFACT, ARTIFACT), command, "--signature-encoding", "base64")
    assert result.returncode == 0, result.stderr
    assert verify(key["public"], tmp_path / "release" / "product.tar").returncode == 0


def test_config_file_supplies_host_defaults(tmp_path, key):
    config = tmp_path / "signer.json"
    config.write_text(json.dumps({"key-id": KEY_ID, "digest": "sha384", "sign-command": openssl_backend(key)}))
    args = [sys.executable, str(SIGNER_SCRIPT), "--config", str(config), "--name", "product.tar",
            "--release-dir", str(tmp_path / "release"), *sum((["--builder", s] for s in builder_outputs(tmp_path, ARTIFACT, ARTIFACT)), [])]
    result = subprocess.run(args, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert verify(key["public"], tmp_path / "release" / "product.tar").returncode == 0
