"""Shared fixtures for the release tests: real P-384 keys (a local key stands in for the
HSM or KMS, one per signing class), builder outputs with their build-info.json, and a run
of the real signer script (templates/signer/sign-release.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from components.signing import SIGNER_SCRIPT

KEY_ID = "local-test-key"
COMMIT = "3f1e0c4b9a7d2e6f8a1b0c9d8e7f6a5b4c3d2e1f"
TREE = "9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b"
BUILD_INFO = {
    "source": {"repository": "https://git.example.com/vendor/product.git", "commit": COMMIT, "tree": TREE},
    "toolchain": {"gcc-12": "12.2.0-14+deb12u1", "make": "4.3-4.1"},
    "sourceDateEpoch": 1700000000,
    "buildCommand": ["make", "-C", "src", "OUT=../out"],
    "baseImage": "ami-0123456789abcdef0",
}
ARTIFACT = b"reproducible product build\n" * 4096


def make_key(folder: Path, name: str) -> dict[str, Path]:
    """An ECC P-384 key pair, the curve of the center's default signing keys."""
    folder.mkdir(parents=True, exist_ok=True)
    private, public = folder / f"{name}.pem", folder / f"{name}.pub.pem"
    subprocess.run(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384", "-out", str(private)],
                   check=True, capture_output=True)
    subprocess.run(["openssl", "pkey", "-in", str(private), "-pubout", "-out", str(public)], check=True, capture_output=True)
    return {"private": private, "public": public}


def openssl_backend(key: dict[str, Path]) -> str:
    """Signs the raw digest, as KMS (MessageType DIGEST) and the HSM (CKM_ECDSA) do."""
    return f"openssl pkeyutl -sign -inkey {key['private']} -in {{digest_file}}"


def builder_outputs(root: Path, *contents: bytes | None, pool: str = "products", info: dict | None = None,
                    names: list[str] | None = None) -> list[str]:
    specs = []
    for index, content in enumerate(contents, start=1):
        builder = names[index - 1] if names else f"{pool}-{index}"
        path = root / "artifacts" / f"{builder}-{index}" / "product.tar"
        if content is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
            (path.parent / "build-info.json").write_text(json.dumps(info or BUILD_INFO))
        specs.append(f"{builder}={path}")
    return specs


def sign(root: Path, builders: list[str], command: str, *extra: str, pool: str = "products",
         release_dir: Path | None = None, signing_class: str = "products", name: str = "product.tar",
         version: str = "1.0.0") -> subprocess.CompletedProcess:
    args = [sys.executable, str(SIGNER_SCRIPT), "--name", name, "--release-version", version, "--pool", pool,
            "--signing-class", signing_class,
            "--release-dir", str(release_dir or root / "release"),
            "--key-id", KEY_ID, "--signing-algorithm", "ECDSA_SHA_384", "--digest", "sha384", "--sign-command", command]
    for spec in builders:
        args += ["--builder", spec]
    return subprocess.run([*args, *extra], capture_output=True, text=True)


STACK_BUILDERS = ("av-1", "av-2", "av-databases-1", "av-databases-2", "products-1", "products-2", "products-3")
"""The builder identities the test stack publishes (`tcenter keys STACK --builders`)."""


def publish_builders(folder: Path, builders=STACK_BUILDERS) -> Path:
    """builders.json next to the keys, as `tcenter keys STACK --fetch DIR` writes it."""
    path = folder / "builders.json"
    path.write_text(json.dumps({"format": "transparency-center-builders", "version": 1, "stack": "test",
                                "builders": sorted(builders)}))
    return path
