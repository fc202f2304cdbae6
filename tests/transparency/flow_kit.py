"""What the flow tests share: real releases signed by the signer script (tests/signing's kit),
the dev stack's rendered sequencer config, the log's key and two reviewer organizations'
witness keys, written to files the way their owners hold them."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from tcenter.transparency.cosignature import CosignatureSigner
from tcenter.transparency.note import Ed25519Signer
from tests.hosts.roles import render_sequencer
from tests.signing.release_kit import ARTIFACT, builder_outputs, make_key, openssl_backend, sign

SEQUENCER_CONFIG = "/etc/tc-sequencer/sequencer.json"
ORGS = ("org-a", "org-b")


def rendered_sequencer_config() -> dict:
    """The dev sequencer host's /etc/tc-sequencer/sequencer.json, exactly as deployed."""
    files = {f.path: f.content for f in render_sequencer("dev").profile.files}
    return json.loads(files[SEQUENCER_CONFIG])


def seed(label: str) -> bytes:
    return hashlib.sha256(label.encode()).digest()


@dataclass
class Keys:
    log: Ed25519Signer
    witnesses: dict[str, CosignatureSigner]
    log_key_file: Path
    witness_key_files: dict[str, Path]

    @property
    def log_vkey(self) -> str:
        return self.log.verifier().vkey

    def witness_args(self, *orgs: str) -> list[str]:
        args = []
        for org in orgs or tuple(self.witnesses):
            args += ["--witness", f"{org}={self.witnesses[org].verifier().vkey}"]
        return args

    def witness_keys(self) -> dict[str, list[str]]:
        return {org: [w.verifier().vkey] for org, w in self.witnesses.items()}


def make_keys(folder: Path, origin: str) -> Keys:
    """The log's key (named by its origin) and one witness key per organization, on disk."""
    folder.mkdir(parents=True, exist_ok=True)
    log = Ed25519Signer.from_seed(origin, seed("log"))
    log_file = folder / "log.key"
    log_file.write_text(log.skey + "\n")
    witnesses, files = {}, {}
    for org in ORGS:
        plain = Ed25519Signer.from_seed(f"witness.{org}.example", seed(org))
        files[org] = folder / f"{org}.key"
        files[org].write_text(plain.skey + "\n")
        witnesses[org] = CosignatureSigner.from_file(files[org])
    return Keys(log, witnesses, log_file, files)


@dataclass
class Release:
    name: str
    job: str
    folder: Path
    record: bytes
    public_key: Path

    @property
    def file(self) -> Path:
        return self.folder / self.name

    @property
    def envelope(self) -> Path:
        return self.folder / f"{self.name}.intoto.json"

    @property
    def record_path(self) -> str:
        """Where the signer's wrapper archives the record, under `release-records/`."""
        return f"products/products/{self.job}/{self.name}.json"

    def sha256(self) -> str:
        return hashlib.sha256(self.file.read_bytes()).hexdigest()

    def envelope_sha256(self) -> str:
        return hashlib.sha256(self.envelope.read_bytes()).hexdigest()


def sign_release(root: Path, job: str, content: bytes = ARTIFACT, name: str = "product.tar") -> Release:
    """A products release signed by the real signer script, as two agreeing builders built it."""
    work = root / job
    key = make_key(root / "signing-key", "products") if not (root / "signing-key" / "products.pem").exists() else {
        "private": root / "signing-key" / "products.pem", "public": root / "signing-key" / "products.pub.pem"}
    done = sign(work, builder_outputs(work, content, content), openssl_backend(key), name=name,
                release_dir=work / "release")
    assert done.returncode == 0, done.stderr
    return Release(name, job, work / "release", done.stdout.strip().encode(), key["public"])
