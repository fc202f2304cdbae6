"""The update client a vendor embeds in its products (and `tcenter update`), docs/distribution.md.

    client = UpdateClient(state_dir, "https://updates.example/products/", "products", trusted_root=ROOT_V1)
    installed = client.update("product-2.4.tar")      # raises UpdateRefused (or NotListed) otherwise
    installed.path                                     # the verified file

One update, in this order, all of it against a private copy of the client's state:
1. TUF (python-tuf's ngclient): root chain (each new root signed by both its own and the previous
   threshold), timestamp, snapshot, targets, the class's role (and its hashed bin): signatures,
   thresholds, versions never decreasing, expiry, snapshot/timestamp consistency, lengths and
   hashes of every file, bounded sizes. Then policy.json (a target of the root-threshold targets
   role), the release, its provenance, its log proof and (products) its rebuild attestations.
2. products: the class's role is signed by the vendor and a reviewer organization;
3. the transparency log: the entry is in a checkpoint cosigned by `k` organizations;
4. the provenance: release key, subject, pool, builder set, source revision; products: a
   reviewer organization's rebuild attestation.
Only when every check passed is the new state made current, in one atomic step (a new
generation directory, then a symlink replaced with rename(2)): a refused update leaves the
client exactly as it was, so a rollback attempt cannot first plant a newer timestamp
(tough CVE-2025-2888) and a partial download never becomes trusted state.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from . import provenance as checks
from .errors import BadInput, DistributionError, MetadataRefused, NotListed
from .names import (
    POLICY_TARGET, SIGNING_CLASSES, class_role, proof_path, provenance_path, rebuild_path, target_path, valid_name,
)
from .policy import parse_policy
from .repository import write_atomically

CURRENT = "current"
GENERATIONS = "generations"
INSTALLED = "installed.json"
LIMITS = {"root_max_length": 256 * 1024, "timestamp_max_length": 16 * 1024, "snapshot_max_length": 1024 * 1024,
          "targets_max_length": 4 * 1024 * 1024}
"""Upper bounds on metadata a client downloads (ngclient stops reading past them: endless data)."""


def updater_config() -> Any:
    from tuf.ngclient import UpdaterConfig

    return UpdaterConfig(max_root_rotations=32, max_delegations=8, **LIMITS)


def directory_fetcher() -> Any:
    """A fetcher for `file://` repositories (a copy on disk, a mounted bucket): the same limits
    and 404s as over HTTP, so the client's checks are the same."""
    from tuf.api import exceptions
    from tuf.ngclient import FetcherInterface

    class DirectoryFetcher(FetcherInterface):
        def _fetch(self, url: str) -> Iterator[bytes]:
            path = Path(urlparse(url).path)
            if not path.is_file():
                raise exceptions.DownloadHTTPError(f"{path} does not exist", 404)
            with path.open("rb") as stream:
                yield from iter(lambda: stream.read(64 * 1024), b"")

    return DirectoryFetcher()


@dataclass(frozen=True)
class Installed:
    signing_class: str
    name: str
    path: Path
    sha256: str
    source_revision: str
    builders: tuple[str, ...]
    signed_by: tuple[str, ...]
    rebuilt_by: tuple[str, ...]
    log_index: int
    witnesses: tuple[str, ...]
    metadata_versions: dict[str, int]


class UpdateClient:
    def __init__(self, state_dir: Path, repository_url: str, signing_class: str, *, trusted_root: bytes | None = None,
                 fetcher: Any = None, pinned_revision: str | None = None, now: int | None = None):
        if signing_class not in SIGNING_CLASSES:
            raise BadInput(f"unknown class {signing_class!r}; the classes are {list(SIGNING_CLASSES)}")
        scheme = urlparse(repository_url).scheme
        if scheme not in ("https", "http", "file"):
            raise BadInput(f"{repository_url!r} is not an https://, http:// or file:// repository URL")
        self.state_dir = Path(state_dir)
        self.url = repository_url if repository_url.endswith("/") else repository_url + "/"
        self.signing_class = signing_class
        self.trusted_root = trusted_root
        self.fetcher = fetcher if fetcher is not None else (directory_fetcher() if scheme == "file" else None)
        self.pinned_revision = pinned_revision
        self.now = now

    # --- state ------------------------------------------------------------------------------

    @property
    def current(self) -> Path | None:
        link = self.state_dir / CURRENT
        return link.resolve() if link.is_symlink() and link.resolve().is_dir() else None

    def installed(self) -> dict[str, Any] | None:
        current = self.current
        if current is None or not (current / INSTALLED).is_file():
            return None
        return json.loads((current / INSTALLED).read_text())

    def _bootstrap(self) -> bytes:
        current = self.current
        if current is not None:
            return (current / "metadata" / "root.json").read_bytes()
        if self.trusted_root is None:
            raise BadInput(f"{self.state_dir} holds no trusted state: give the root the product shipped with")
        return self.trusted_root

    @contextlib.contextmanager
    def _staging(self) -> Iterator[Path]:
        (self.state_dir / GENERATIONS).mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=self.state_dir / GENERATIONS))
        try:
            current = self.current
            if current is not None and (current / "metadata").is_dir():
                shutil.copytree(current / "metadata", staging / "metadata", symlinks=True)
            yield staging
        finally:
            if staging.exists():
                shutil.rmtree(staging, ignore_errors=True)

    def _commit(self, staging: Path, record: dict[str, Any]) -> Path:
        """Make `staging` the current generation: fsync it, rename it into place, replace the
        `current` symlink atomically, then drop the previous generation."""
        write_atomically(staging / INSTALLED, json.dumps(record, sort_keys=True, indent=1).encode() + b"\n")
        shutil.rmtree(staging / "downloads", ignore_errors=True)
        previous = self.current
        number = 1 + max([int(p.name) for p in (self.state_dir / GENERATIONS).iterdir() if p.name.isdigit()] or [0])
        generation = self.state_dir / GENERATIONS / f"{number:06d}"
        os.rename(staging, generation)
        link = self.state_dir / f".{CURRENT}.tmp"
        link.unlink(missing_ok=True)
        os.symlink(Path(GENERATIONS) / generation.name, link)
        os.replace(link, self.state_dir / CURRENT)
        directory = os.open(self.state_dir, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
        if previous is not None and previous != generation:
            shutil.rmtree(previous, ignore_errors=True)
        return generation

    # --- the update ---------------------------------------------------------------------------

    def update(self, name: str) -> Installed:
        from tuf.api import exceptions
        from tuf.api.metadata import Metadata
        from tuf.ngclient import Updater

        if not valid_name(name):
            raise BadInput(f"{name!r} is not a release name")
        with self._staging() as staging:
            try:
                updater = Updater(str(staging / "metadata"), f"{self.url}metadata/", str(staging / "downloads"),
                                  f"{self.url}targets/", self.fetcher, updater_config(), bootstrap=self._bootstrap())
                updater.refresh()
                files = self._download(updater, staging, name)
            except (exceptions.RepositoryError, exceptions.DownloadLengthMismatchError) as error:
                raise MetadataRefused(f"TUF: {type(error).__name__}: {error}", check="tuf") from None
            except exceptions.DownloadError as error:
                raise DistributionError(f"cannot fetch from {self.url}: {error}") from None
            except ValueError as error:  # python-tuf's parsing of bad metadata
                raise MetadataRefused(f"TUF: {error}", check="tuf") from None
            meta = staging / "metadata"
            targets = Metadata.from_file(str(meta / "targets.json"))
            role = class_role(self.signing_class)
            signed_by: tuple[str, ...] = ()
            if self.signing_class == "products":
                signed_by = checks.check_signers(targets.signed, role, Metadata.from_file(str(meta / f"{role}.json")))
            policy = parse_policy(files[POLICY_TARGET], self.signing_class)
            data, envelope = files["release"], files["provenance"]
            sha256 = hashlib.sha256(data).hexdigest()
            facts = checks.read_provenance(envelope)
            inclusion = checks.check_log(policy, checks.log_entry(facts, envelope), files.get("proof"), self.now)
            checks.check_provenance(policy, facts, name=name, sha256=sha256, listed_revision=files["revision"],
                                    pinned_revision=self.pinned_revision)
            rebuilt: tuple[str, ...] = ()
            if self.signing_class == "products":
                found = checks.check_rebuilds(files["rebuilds"], checks.reviewer_keys(targets.signed, role),
                                              signing_class=self.signing_class, name=name, sha256=sha256,
                                              envelope_sha256=hashlib.sha256(envelope).hexdigest())
                rebuilt = tuple(a.organization for a in found)
            installed_file = staging / "targets" / name
            write_atomically(installed_file, data)
            versions = {p.name.removesuffix(".json"): Metadata.from_file(str(p)).signed.version
                        for p in sorted(meta.glob("*.json")) if p.name != "root.json"}
            versions["root"] = Metadata.from_file(str(meta / "root.json")).signed.version
            record = {"class": self.signing_class, "name": name, "sha256": sha256, "sourceRevision": facts.commit,
                      "builders": sorted(b for b, _ in facts.builders), "signedBy": list(signed_by),
                      "rebuiltBy": list(rebuilt), "logIndex": inclusion.index,
                      "witnesses": list(inclusion.witnesses.organizations), "metadata": versions}
            generation = self._commit(staging, record)
        return Installed(self.signing_class, name, generation / "targets" / name, sha256, facts.commit,
                         tuple(record["builders"]), signed_by, rebuilt, inclusion.index,
                         tuple(record["witnesses"]), versions)

    def _download(self, updater: Any, staging: Path, name: str) -> dict[str, Any]:
        """Every file the checks need, each verified by TUF for length and hashes."""
        downloads = staging / "downloads"

        def fetch(path: str, required: bool = True) -> tuple[bytes | None, Any]:
            info = updater.get_targetinfo(path)
            if info is None:
                if required:
                    raise NotListed(f"the repository lists no {path}")
                return None, None
            local = updater.download_target(info, str(downloads / hashlib.sha256(path.encode()).hexdigest()))
            return Path(local).read_bytes(), info

        files: dict[str, Any] = {}
        files[POLICY_TARGET], _ = fetch(POLICY_TARGET)
        files["release"], info = fetch(target_path(self.signing_class, name))
        files["revision"] = (info.custom or {}).get("tcenter", {}).get("sourceRevision")
        files["provenance"], _ = fetch(provenance_path(self.signing_class, name))
        files["proof"], _ = fetch(proof_path(self.signing_class, name), required=False)
        files["rebuilds"] = {}
        if self.signing_class == "products":
            from tuf.api.metadata import Metadata

            targets = Metadata.from_file(str(staging / "metadata" / "targets.json")).signed
            for organization in sorted(checks.reviewer_keys(targets, class_role(self.signing_class))):
                data, _ = fetch(rebuild_path(self.signing_class, name, organization), required=False)
                if data is not None:
                    files["rebuilds"][organization] = data
        return files
