"""The repository side: one signing class's TUF repository in a directory, built with
python-tuf's Metadata API (docs/distribution.md). What the publisher runs in the center (with
the KMS signers of the online roles), what `tcenter tuf` drafts for the root ceremony, and what
the tests and the bench serve.

Roles (names.py): root and top-level targets are offline and need the root threshold (reviewer
organizations' keys plus the vendor's, never reachable by the vendor alone); targets delegates
`<class>/*` (terminating) to the class's role: products need threshold 2 over the vendor's key
and the reviewer organizations' rebuild keys, AV databases the vendor's online key, with
`2**bits` hashed bins (TAP 15 succinct delegation) under it so an update check stays small.
snapshot and timestamp are online (KMS). Consistent snapshots: every file but timestamp.json is
written under a name that carries its version (metadata) or its SHA-256 (targets), so a client
never mixes files of two publications.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Iterable, Mapping

from .errors import BadInput, DistributionError
from .names import (
    METADATA_PREFIX, POLICY_TARGET, SIGNING_CLASSES, TARGETS_PREFIX, bin_prefix, class_role, proof_path,
    provenance_path, rebuild_path, target_path, valid_name,
)

SPEC_VERSION = "1.0.31"


@dataclass(frozen=True)
class Expiry:
    """How long each role's metadata stays valid (freeze protection: a client refuses expired
    metadata, so an attacker replaying old files can stall it for at most this long)."""

    root_days: int = 365
    targets_days: int = 365
    class_days: int = 90
    snapshot_hours: int = 24 * 7
    timestamp_hours: int = 24

    @classmethod
    def for_class(cls, signing_class: str, timestamp_hours: int | None = None) -> Expiry:
        if signing_class == "av-databases":  # hourly releases: the timestamp lives hours, not days
            return cls(class_days=30, snapshot_hours=24, timestamp_hours=timestamp_hours or 4)
        return cls(timestamp_hours=timestamp_hours or 24)


def _utc(now: datetime | None) -> datetime:
    return (now or datetime.now(timezone.utc)).replace(microsecond=0)


def write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


@dataclass
class Repository:
    """One class's repository: `metadata` maps role names to python-tuf `Metadata`."""

    directory: Path
    signing_class: str
    metadata: dict[str, Any]
    expiry: Expiry = field(default_factory=Expiry)
    dirty: set[str] = field(default_factory=set)
    written_targets: dict[str, bytes] = field(default_factory=dict)

    # --- creating -------------------------------------------------------------------------

    @classmethod
    def create(cls, directory: Path, signing_class: str, *, root_keys: Iterable[Any], root_threshold: int,
               online_keys: Mapping[str, Any], class_keys: Iterable[Any], class_threshold: int, bins_bits: int = 0,
               expiry: Expiry | None = None, now: datetime | None = None) -> Repository:
        """Version 1 of every role, unsigned. `online_keys`: {"snapshot": key, "timestamp": key}."""
        from tuf.api.metadata import (
            DelegatedRole, Delegations, Metadata, MetaFile, Role, Root, Snapshot, SuccinctRoles, Targets, Timestamp,
        )

        if signing_class not in SIGNING_CLASSES:
            raise BadInput(f"unknown class {signing_class!r}; the classes are {list(SIGNING_CLASSES)}")
        expiry = expiry or Expiry.for_class(signing_class)
        now = _utc(now)
        root_keys, class_keys = list(root_keys), list(class_keys)
        root = Root(version=1, expires=now + timedelta(days=expiry.root_days), consistent_snapshot=True,
                    spec_version=SPEC_VERSION)
        for key in root_keys:
            root.add_key(key, "root")
            root.add_key(key, "targets")
        for role in ("snapshot", "timestamp"):
            root.add_key(online_keys[role], role)
        root.roles["root"].threshold = root_threshold
        root.roles["targets"].threshold = root_threshold

        targets = Targets(version=1, expires=now + timedelta(days=expiry.targets_days), spec_version=SPEC_VERSION)
        role = class_role(signing_class)
        targets.delegations = Delegations(
            keys={k.keyid: k for k in class_keys},
            roles={role: DelegatedRole(role, [k.keyid for k in class_keys], class_threshold, True,
                                       paths=[f"{signing_class}/*"])})
        metadata: dict[str, Any] = {"root": Metadata(root), "targets": Metadata(targets)}
        class_md = Targets(version=1, expires=now + timedelta(days=expiry.class_days), spec_version=SPEC_VERSION)
        if bins_bits:
            class_md.delegations = Delegations(
                keys={k.keyid: k for k in class_keys}, roles=None,
                succinct_roles=SuccinctRoles([k.keyid for k in class_keys], class_threshold, bins_bits,
                                             bin_prefix(signing_class)))
            for name in class_md.delegations.succinct_roles.get_roles():
                metadata[name] = Metadata(Targets(version=1, expires=now + timedelta(days=expiry.class_days),
                                                  spec_version=SPEC_VERSION))
        metadata[role] = Metadata(class_md)
        snapshot = Snapshot(version=1, expires=now + timedelta(hours=expiry.snapshot_hours), spec_version=SPEC_VERSION,
                            meta={f"{name}.json": MetaFile(1) for name in metadata if name != "root"})
        metadata["snapshot"] = Metadata(snapshot)
        metadata["timestamp"] = Metadata(Timestamp(version=1, expires=now + timedelta(hours=expiry.timestamp_hours),
                                                   spec_version=SPEC_VERSION, snapshot_meta=MetaFile(1)))
        del Role  # imported for readers of this function: root.roles are Role objects
        return cls(Path(directory), signing_class, metadata, expiry, dirty=set(metadata))

    @classmethod
    def open(cls, directory: Path, signing_class: str, expiry: Expiry | None = None) -> Repository:
        """The repository as last written to `directory`."""
        from tuf.api.metadata import Metadata

        meta_dir = Path(directory) / METADATA_PREFIX

        def load(name: str) -> Any:
            try:
                return Metadata.from_bytes((meta_dir / name).read_bytes())
            except (OSError, ValueError) as error:
                raise BadInput(f"{meta_dir / name}: {error}") from None

        metadata: dict[str, Any] = {"timestamp": load("timestamp.json")}
        versions = sorted(int(p.name.split(".")[0]) for p in meta_dir.glob("*.root.json"))
        if not versions:
            raise BadInput(f"{meta_dir} holds no root metadata")
        metadata["root"] = load(f"{versions[-1]}.root.json")
        snapshot_version = metadata["timestamp"].signed.snapshot_meta.version
        metadata["snapshot"] = load(f"{snapshot_version}.snapshot.json")
        for filename, meta in metadata["snapshot"].signed.meta.items():
            metadata[filename.removesuffix(".json")] = load(f"{meta.version}.{filename}")
        return cls(Path(directory), signing_class, metadata, expiry or Expiry.for_class(signing_class))

    # --- changing ---------------------------------------------------------------------------

    def role_for(self, path: str) -> str:
        """The role that lists `path`: the class role, or its hashed bin."""
        if path == POLICY_TARGET:
            return "targets"
        delegations = self.metadata[class_role(self.signing_class)].signed.delegations
        if delegations is not None and delegations.succinct_roles is not None:
            return delegations.succinct_roles.get_role_for_target(path)
        return class_role(self.signing_class)

    def add_target(self, path: str, data: bytes, custom: Mapping[str, Any] | None = None) -> str:
        """List `path` (its length and SHA-256) in its role and keep the bytes for `write`."""
        from tuf.api.metadata import TargetFile

        role = self.role_for(path)
        info = TargetFile(len(data), {"sha256": hashlib.sha256(data).hexdigest()}, path,
                          {"tcenter": dict(custom)} if custom else None)
        self.metadata[role].signed.targets[path] = info
        self.written_targets[path] = data
        self.dirty.add(role)
        return role

    def add_release(self, name: str, files: Mapping[str, bytes], *, source_revision: str) -> set[str]:
        """A release and its companions: files = {"": the file, ".intoto.json": provenance,
        ".tlog-proof": the log proof, ".rebuild.<org>.intoto.json": rebuild attestations}."""
        if not valid_name(name):
            raise BadInput(f"{name!r} is not a release name")
        if "" not in files:
            raise BadInput(f"{name}: no release file")
        roles = set()
        for suffix, data in sorted(files.items()):
            if suffix == "":
                path, custom = target_path(self.signing_class, name), {"sourceRevision": source_revision}
            elif suffix == ".intoto.json":
                path, custom = provenance_path(self.signing_class, name), None
            elif suffix == ".tlog-proof":
                path, custom = proof_path(self.signing_class, name), None
            elif suffix.startswith(".rebuild.") and suffix.endswith(".intoto.json"):
                path, custom = rebuild_path(self.signing_class, name, suffix[len(".rebuild."):-len(".intoto.json")]), None
            else:
                raise BadInput(f"{name}: unknown companion {suffix!r}")
            roles.add(self.add_target(path, data, custom))
        return roles

    def bump(self, role: str, now: datetime | None = None) -> None:
        """A new version of `role` expiring after its period; its old signatures are dropped."""
        signed = self.metadata[role].signed
        signed.version += 1
        days = {"root": self.expiry.root_days, "targets": self.expiry.targets_days}.get(role)
        hours = {"snapshot": self.expiry.snapshot_hours, "timestamp": self.expiry.timestamp_hours}.get(role)
        period = timedelta(days=days) if days else timedelta(hours=hours) if hours else timedelta(days=self.expiry.class_days)
        signed.expires = _utc(now) + period
        self.metadata[role].signatures.clear()
        self.dirty.add(role)

    def sign(self, role: str, signers: Iterable[Any]) -> None:
        for signer in signers:
            self.metadata[role].sign(signer, append=True)
        self.dirty.add(role)

    def publish(self, role_signers: Mapping[str, Iterable[Any]], online: Mapping[str, Any],
                now: datetime | None = None) -> None:
        """Bump and sign every changed delegated role (`role_signers[role]`), then a new snapshot
        and timestamp with the online signers, and write everything."""
        from tuf.api.metadata import MetaFile

        changed = sorted(r for r in self.dirty if r not in ("root", "snapshot", "timestamp"))
        for role in changed:
            if role not in self.signed_roles():
                self.bump(role, now)
                signers = role_signers.get(role) or role_signers.get(self._signers_key(role))
                if not signers:
                    raise DistributionError(f"no signer for the changed role {role}")
                self.sign(role, signers)
        snapshot = self.metadata["snapshot"].signed
        for role in changed:
            snapshot.meta[f"{role}.json"] = MetaFile(self.metadata[role].signed.version)
        self.refresh_online(online, now)

    def _signers_key(self, role: str) -> str:
        return class_role(self.signing_class) if role.startswith(bin_prefix(self.signing_class)) else role

    def signed_roles(self) -> set[str]:
        """Roles whose current signatures already verify (signed elsewhere, e.g. by a reviewer)."""
        return {r for r, md in self.metadata.items() if md.signatures and r not in ("snapshot", "timestamp")
                and self._threshold_met(r)}

    def _threshold_met(self, role: str) -> bool:
        from tuf.api.serialization.json import CanonicalJSONSerializer

        md = self.metadata[role]
        delegator = self.delegator(role)
        payload = CanonicalJSONSerializer().serialize(md.signed)
        return bool(delegator.get_verification_result(role, payload, md.signatures))

    def delegator(self, role: str) -> Any:
        if role in ("root", "targets", "snapshot", "timestamp"):
            return self.metadata["root"].signed
        if role == class_role(self.signing_class):
            return self.metadata["targets"].signed
        return self.metadata[class_role(self.signing_class)].signed

    def refresh_online(self, online: Mapping[str, Any], now: datetime | None = None) -> None:
        """A new snapshot and timestamp (what the publisher does at least once per timestamp
        period even when nothing changed: otherwise clients see expired metadata and stop)."""
        from tuf.api.metadata import MetaFile

        self.bump("snapshot", now)
        self.sign("snapshot", [online["snapshot"]])
        self.metadata["timestamp"].signed.snapshot_meta = MetaFile(self.metadata["snapshot"].signed.version)
        self.bump("timestamp", now)
        self.sign("timestamp", [online["timestamp"]])
        self.write()

    # --- writing -----------------------------------------------------------------------------

    def serialized(self, role: str) -> bytes:
        from tuf.api.serialization.json import JSONSerializer

        return self.metadata[role].to_bytes(JSONSerializer(compact=True))

    def filename(self, role: str) -> str:
        return "timestamp.json" if role == "timestamp" else f"{self.metadata[role].signed.version}.{role}.json"

    def write(self) -> None:
        """Write targets first, then metadata, timestamp last: a client reading at any moment
        sees the old timestamp (and everything it names) or the new one (and everything it names)."""
        targets_dir = self.directory / TARGETS_PREFIX
        for path, data in sorted(self.written_targets.items()):
            folder, _, base = path.rpartition("/")
            digest = hashlib.sha256(data).hexdigest()
            target = targets_dir / folder / f"{digest}.{base}" if folder else targets_dir / f"{digest}.{base}"
            if not target.exists():
                write_atomically(target, data)
        self.written_targets.clear()
        meta_dir = self.directory / METADATA_PREFIX
        for role in sorted(self.dirty - {"timestamp"}):
            if self.metadata[role].signatures:
                write_atomically(meta_dir / self.filename(role), self.serialized(role))
        if "root" in self.dirty and self.metadata["root"].signatures:
            write_atomically(meta_dir / "root.json", self.serialized("root"))
        if "timestamp" in self.dirty and self.metadata["timestamp"].signatures:
            write_atomically(meta_dir / "timestamp.json", self.serialized("timestamp"))
        self.dirty = {r for r in self.dirty if not self.metadata[r].signatures}
