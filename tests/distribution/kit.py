"""A whole distribution on this machine: real keys (local stand-ins for KMS and for the reviewer
organizations' own keys), releases signed by the real signer script, a transparency log cosigned
by three organizations' witnesses, one TUF repository per class, and a local HTTP server that
serves it (127.0.0.1, free port, bounded requests) and can be told to lie."""

from __future__ import annotations

import base64
import hashlib
import http.server
import json
import shutil
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from tcenter.distribution import attestation
from tcenter.distribution.keys import signer_from_pem
from tcenter.distribution.names import VENDOR
from tcenter.distribution.policy import ClientPolicy
from tcenter.distribution.repository import Expiry, Repository
from tcenter.transparency.cosignature import CosignatureSigner
from tcenter.transparency.entries import encode_entry, release_entry
from tcenter.transparency.log import MemoryStorage, TransparencyLog
from tcenter.transparency.note import Ed25519Signer
from tcenter.transparency.witness import Witness
from tests.signing.release_kit import BUILD_INFO, builder_outputs, make_key, openssl_backend, sign

ORIGIN = "transparency.example/log"
ORGS = ("org-a", "org-b", "org-c")
NOW = datetime(2030, 1, 1, tzinfo=timezone.utc)


def seed(label: str) -> bytes:
    return hashlib.sha256(label.encode()).digest()


def p256_pem(label: str) -> bytes:
    """A deterministic P-256 private key (tests only)."""
    scalar = int.from_bytes(seed(label), "big") % (2**255)
    key = ec.derive_private_key(scalar or 1, ec.SECP256R1())
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


def signer(label: str, holder: str) -> Any:
    return signer_from_pem(p256_pem(label), holder, label)


class Clock:
    def __init__(self, now: int = int(NOW.timestamp())):
        self.now = now

    def __call__(self) -> int:
        return self.now


@dataclass
class Center:
    """Every party's keys and the log."""

    root: Path
    clock: Clock = field(default_factory=Clock)

    def __post_init__(self) -> None:
        self.root_signers = {"org-a": signer("root-a", "org-a"), "org-b": signer("root-b", "org-b"),
                             VENDOR: signer("root-vendor", VENDOR)}
        self.online = {"snapshot": signer("snapshot", VENDOR), "timestamp": signer("timestamp", VENDOR)}
        self.vendor = {"products": signer("vendor-products", VENDOR), "av-databases": signer("vendor-av", VENDOR)}
        self.rebuilders = {"org-a": signer("rebuild-a", "org-a"), "org-b": signer("rebuild-b", "org-b")}
        self.release_keys = {c: make_key(self.root / "release-keys", c) for c in ("products", "av-databases")}
        self.log_signer = Ed25519Signer.from_seed(ORIGIN, seed("log"))
        self.log = TransparencyLog(MemoryStorage(), ORIGIN, self.log_signer, self.log_signer.verifier())
        self.witness_keys = {o: CosignatureSigner.from_seed(f"witness.{o}.example", seed(o), self.clock) for o in ORGS}
        self.witnesses = {o: Witness(self.root / "witness" / f"{o}.json", self.witness_keys[o],
                                     {ORIGIN: [self.log_signer.verifier()]}) for o in ORGS}
        self.counter = 0
        self.builds: dict[tuple, dict[str, bytes]] = {}

    def policy(self, signing_class: str, quorum: int = 2) -> ClientPolicy:
        return ClientPolicy(signing_class, ORIGIN, self.log_signer.verifier().vkey,
                            {o: [self.witness_keys[o].verifier().vkey] for o in ORGS}, quorum,
                            self.release_keys[signing_class]["public"].read_text(), signing_class,
                            (f"{signing_class}-1", f"{signing_class}-2", f"{signing_class}-3"), 2)

    # --- releases ---------------------------------------------------------------------

    def build(self, signing_class: str, name: str, content: bytes, builders: int = 2,
              info: dict | None = None) -> dict[str, bytes]:
        """Sign a release with the real signer script: {"": file, ".intoto.json": envelope} (cached)."""
        cache_key = (signing_class, name, content, builders, json.dumps(info, sort_keys=True))
        if cache_key in self.builds:
            return dict(self.builds[cache_key])
        self.counter += 1
        work = self.root / "builds" / f"{self.counter}"
        specs = builder_outputs(work, *([content] * builders), pool=signing_class, info=info or BUILD_INFO)
        result = sign(work, specs, openssl_backend(self.release_keys[signing_class]), pool=signing_class,
                      signing_class=signing_class, name=name)
        assert result.returncode == 0, result.stderr
        folder = work / "release"
        self.builds[cache_key] = {"": (folder / name).read_bytes(),
                                  ".intoto.json": (folder / f"{name}.intoto.json").read_bytes()}
        return dict(self.builds[cache_key])

    def entry(self, files: dict[str, bytes]) -> bytes:
        envelope = json.loads(files[".intoto.json"])
        statement = json.loads(base64.b64decode(envelope["payload"]))
        parameters = statement["predicate"]["buildDefinition"]["externalParameters"]
        builders = [b["annotations"]["builderIdentity"] for b in statement["predicate"]["runDetails"]["byproducts"]
                    if "builderIdentity" in b.get("annotations", {})]
        return encode_entry(release_entry(
            signing_class=parameters["signingClass"], name=statement["subject"][0]["name"],
            sha256=statement["subject"][0]["digest"]["sha256"],
            envelope_sha256=hashlib.sha256(files[".intoto.json"]).hexdigest(),
            source_revision=parameters["source"]["commit"], source_tree=parameters["source"]["tree"],
            pool=parameters["pool"], builders=builders, key_id=envelope["signatures"][0]["keyid"]))

    def log_release(self, files: dict[str, bytes], cosigners: tuple[str, ...] = ("org-a", "org-b"),
                    log: TransparencyLog | None = None) -> bytes:
        """Append the release's entry, have `cosigners` cosign, return its .tlog-proof."""
        log = log or self.log
        appended = log.append([self.entry(files)])
        lines = [self.cosign(o, log) for o in cosigners]
        log.add_cosignatures(lines)
        return log.prove(appended.first_index, log.checkpoint()).encode()

    def cosign(self, organization: str, log: TransparencyLog) -> str:
        """ORGANIZATION's witness cosigns LOG's checkpoint, given the consistency proof from the
        size it last cosigned (it refuses a fork: `Equivocation`)."""
        witness = self.witnesses[organization]
        record = witness.state().get(ORIGIN)
        proof = log.consistency_proof(record.size) if record is not None and record.size <= log.size else []
        return witness.cosign(log.checkpoint(), proof).line

    def attest(self, organization: str, files: dict[str, bytes], signing_class: str, name: str,
               key: Any = None) -> bytes:
        statement = attestation.statement(
            organization=organization, signing_class=signing_class, name=name,
            sha256=hashlib.sha256(files[""]).hexdigest(),
            envelope_sha256=hashlib.sha256(files[".intoto.json"]).hexdigest(), time_verified="2030-01-01T00:00:00Z")
        return attestation.sign(statement, key or self.rebuilders[organization])

    # --- the repository ------------------------------------------------------------------

    def repository(self, signing_class: str, directory: Path, bins_bits: int = 0, expiry: Expiry | None = None,
                   now: datetime = NOW) -> Repository:
        root_keys = [s.public_key for s in self.root_signers.values()]
        if signing_class == "products":
            class_keys, threshold = [self.vendor["products"].public_key, *(s.public_key for s in self.rebuilders.values())], 2
        else:
            class_keys, threshold = [self.vendor["av-databases"].public_key], 1
        repo = Repository.create(directory, signing_class, root_keys=root_keys, root_threshold=2,
                                 online_keys={r: s.public_key for r, s in self.online.items()},
                                 class_keys=class_keys, class_threshold=threshold, bins_bits=bins_bits,
                                 expiry=expiry, now=now)
        repo.add_target("policy.json", self.policy(signing_class).to_json())
        for role in ("root", "targets"):
            repo.sign(role, [self.root_signers["org-a"], self.root_signers[VENDOR]])
        repo.publish(self.class_signers(signing_class), self.online, now)
        return repo

    def class_signers(self, signing_class: str, reviewer: str = "org-a") -> dict[str, list[Any]]:
        if signing_class == "products":
            return {"products": [self.vendor["products"], self.rebuilders[reviewer]]}
        return {"av-databases": [self.vendor["av-databases"]]}

    def release(self, repo: Repository, name: str, content: bytes, *, rebuilt_by: tuple[str, ...] = ("org-a",),
                cosigners: tuple[str, ...] = ("org-a", "org-b"), logged: bool = True,
                signers: dict[str, list[Any]] | None = None, now: datetime = NOW) -> dict[str, bytes]:
        files = self.build(repo.signing_class, name, content)
        if logged:
            files[".tlog-proof"] = self.log_release(files, cosigners)
        for org in rebuilt_by:
            files[f".rebuild.{org}.intoto.json"] = self.attest(org, files, repo.signing_class, name)
        commit = BUILD_INFO["source"]["commit"]
        repo.add_release(name, files, source_revision=commit)
        repo.publish(signers if signers is not None else self.class_signers(repo.signing_class), self.online, now)
        return files

    def root_bytes(self, repo: Repository) -> bytes:
        return (repo.directory / "metadata" / "1.root.json").read_bytes()


# --- a local HTTP server that can lie ------------------------------------------------------

class Server:
    """Serves DIRECTORY on 127.0.0.1 (a free port); `overrides` replace a path's bytes, `endless`
    paths stream without end (bounded by MAX_BYTES); at most `max_requests` are answered."""

    MAX_BYTES = 64 * 1024 * 1024

    def __init__(self, directory: Path, max_requests: int = 2000):
        self.directory = Path(directory)
        self.overrides: dict[str, bytes] = {}
        self.endless: set[str] = set()
        self.requests: list[str] = []
        self.bytes_sent = 0
        self.max_requests = max_requests
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                server.requests.append(self.path)
                if len(server.requests) > server.max_requests:
                    self.send_error(503)
                    return
                path = self.path.lstrip("/")
                if path in server.endless:
                    self.send_response(200)
                    self.end_headers()
                    chunk, sent = b"x" * 65536, 0
                    try:
                        while sent < server.MAX_BYTES:
                            self.wfile.write(chunk)
                            sent += len(chunk)
                    except (BrokenPipeError, ConnectionResetError):
                        pass
                    server.bytes_sent += sent
                    return
                data = server.overrides.get(path)
                if data is None:
                    file = (server.directory / path).resolve()
                    if not file.is_relative_to(server.directory.resolve()) or not file.is_file():
                        self.send_error(404)
                        return
                    data = file.read_bytes()
                self.send_response(200)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                server.bytes_sent += len(data)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/"

    def __enter__(self) -> Server:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=10)


def snapshot_dir(source: Path, target: Path) -> Path:
    """A copy of a repository as it is now (an attacker's archive of it)."""
    shutil.copytree(source, target)
    return target


def later(hours: float) -> datetime:
    return NOW + timedelta(hours=hours)
