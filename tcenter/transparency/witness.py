"""The witness's core (C2SP tlog-witness `add-checkpoint`, https://c2sp.org/tlog-witness), as a library.

A reviewer organization runs it with its own cosignature key. For each log origin it knows the
log's verifier key(s) and keeps one record: the last checkpoint it cosigned (size, root, and
the signed checkpoint verbatim). Given a new signed checkpoint and a consistency proof from
the recorded size, `Witness.cosign` checks, in the spec's order:

 1. the origin is known (else `UnknownLog`, 404) and the log's signature verifies (403:
    `SignatureError`/`UnverifiedNote`);
 2. the caller's old size, if it gives one, is not above the new size (400) and equals the
    recorded size (else `OldSizeConflict`, 409);
 3. a size-0 checkpoint has the empty root (`Malformed`, 422);
 4. the size does not go backwards (`RollbackError`: evidence);
 5. a checkpoint of the recorded size has the recorded root, and a larger one is consistent
    with it by the proof (`ForkError`: evidence); from size 0 the proof must be empty.

Only then does it cosign (cosignature/v1, timestamped) and record the new checkpoint: the state
file is replaced atomically (temporary file, fsync, rename, fsync of the directory) under an
exclusive lock, so the check and the update are one step. A refusal leaves the state as it
was; `RollbackError`/`ForkError` carry both signed checkpoints, and with `evidence_dir` the
witness also writes them there (create-only) before raising.
"""

from __future__ import annotations

import base64
import contextlib
import errno
import fcntl
import hashlib
import json
import os
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .checkpoint import SignedCheckpoint, open_checkpoint
from .cosignature import CosignatureSigner
from .errors import (
    BadRequest,
    ConsistencyProofError,
    Equivocation,
    ForkError,
    Malformed,
    OldSizeConflict,
    RollbackError,
    StorageError,
    UnknownLog,
)
from .merkle import EMPTY_ROOT, HASH_SIZE, verify_consistency
from .note import Signature, Verifier, split_note

STATE_VERSION = 1
MAX_PROOF_LINES = 63


@dataclass(frozen=True)
class LogRecord:
    """The last checkpoint the witness cosigned for one origin."""

    size: int
    root_hash: bytes
    checkpoint: bytes  # the signed checkpoint as the log sent it, plus our cosignature

    def to_json(self) -> dict[str, Any]:
        return {"size": self.size, "rootHash": base64.b64encode(self.root_hash).decode(),
                "checkpoint": self.checkpoint.decode("utf-8")}

    @classmethod
    def from_json(cls, origin: str, data: Any) -> LogRecord:
        try:
            record = cls(int(data["size"]), base64.b64decode(data["rootHash"], validate=True),
                         str(data["checkpoint"]).encode("utf-8"))
        except (KeyError, TypeError, ValueError) as e:
            raise StorageError(f"witness state: the record of {origin!r} is malformed ({e})") from None
        if record.size < 0 or len(record.root_hash) != HASH_SIZE:
            raise StorageError(f"witness state: the record of {origin!r} has a bad size or root hash")
        return record


def read_state(path: Path) -> dict[str, LogRecord]:
    """The witness state file: {"version": 1, "logs": {origin: record}}; empty if it does not exist."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return {}
    except OSError as e:
        raise StorageError(f"cannot read the witness state {path}: {e.strerror}") from e
    try:
        data = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise StorageError(f"the witness state {path} is not JSON ({e})") from None
    if not isinstance(data, dict) or data.get("version") != STATE_VERSION or not isinstance(data.get("logs"), dict):
        raise StorageError(f"the witness state {path} is not a version {STATE_VERSION} state file")
    return {origin: LogRecord.from_json(origin, rec) for origin, rec in data["logs"].items()}


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomically(path: Path, data: bytes) -> None:
    """Replace `path` with `data`: temporary file in the same directory, fsync, rename, fsync dir."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    _fsync_dir(path.parent)


def write_state(path: Path, logs: Mapping[str, LogRecord]) -> None:
    data = {"version": STATE_VERSION, "logs": {origin: logs[origin].to_json() for origin in sorted(logs)}}
    write_atomically(path, (json.dumps(data, indent=2, sort_keys=True) + "\n").encode())


@dataclass(frozen=True)
class Cosigned:
    """A cosignature the witness made: the signature line, and the checkpoint with it appended."""

    origin: str
    size: int
    root_hash: bytes
    line: str
    checkpoint: bytes


def add_signature_lines(signed_note: bytes, lines: Sequence[str]) -> bytes:
    """`signed_note` with signature lines appended (skipping lines it already has)."""
    split_note(signed_note)  # syntax check
    have = signed_note.decode("utf-8")
    extra = "".join(line if line.endswith("\n") else line + "\n" for line in lines if (line.rstrip("\n") + "\n") not in have)
    return (have + extra).encode("utf-8")


class Witness:
    """A witness with one cosignature key, the logs it watches and a state file it alone writes."""

    def __init__(self, state_path: str | Path, signer: CosignatureSigner, logs: Mapping[str, Sequence[Verifier]],
                 evidence_dir: str | Path | None = None):
        self.state_path = Path(state_path)
        self.signer = signer
        self.logs = {origin: list(keys) for origin, keys in logs.items()}
        for origin, keys in self.logs.items():
            if not keys:
                raise Malformed(f"witness: no key configured for log {origin!r}")
        self.evidence_dir = None if evidence_dir is None else Path(evidence_dir)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.state_path.parent.mkdir(parents=True, exist_ok=True)
        lock = self.state_path.with_name(self.state_path.name + ".lock")
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def state(self) -> dict[str, LogRecord]:
        return read_state(self.state_path)

    def cosign(self, signed_checkpoint: bytes, proof: Sequence[bytes] = (), old_size: int | None = None) -> Cosigned:
        """Check `signed_checkpoint` against the state and cosign it, or raise (see the module doc).

        `old_size` is the tlog-witness request's `old` line; None means "from what I cosigned"
        (the pull flow, where the witness fetches the checkpoint and the proof itself)."""
        if len(proof) > MAX_PROOF_LINES:
            raise BadRequest(f"a consistency proof has at most {MAX_PROOF_LINES} hashes, not {len(proof)}")
        origin = _origin_of(signed_checkpoint)
        keys = self.logs.get(origin)
        if keys is None:
            raise UnknownLog(f"the witness has no key for log {origin!r}")
        offered = open_checkpoint(signed_checkpoint, keys, origin=origin)
        with self._locked():
            logs = read_state(self.state_path)
            record = logs.get(origin)
            try:
                self._check(offered, record, list(proof), old_size)
            except Equivocation as refusal:
                self._write_evidence(refusal)
                raise
            line = _cosignature_line(self.signer, offered)
            stored = add_signature_lines(offered.raw, [line])
            logs[origin] = LogRecord(offered.size, offered.root_hash, stored)
            write_state(self.state_path, logs)
        return Cosigned(origin, offered.size, offered.root_hash, line, stored)

    def _check(self, offered: SignedCheckpoint, record: LogRecord | None, proof: list[bytes], old_size: int | None) -> None:
        cosigned_size = 0 if record is None else record.size
        if old_size is not None:
            # (old == cosigned > new size is a rollback, refused below with the evidence)
            if old_size < 0 or old_size > offered.size and old_size != cosigned_size:
                raise BadRequest(f"old size {old_size} is above the checkpoint's size {offered.size}")
            if old_size != cosigned_size:
                raise OldSizeConflict(f"old size {old_size} is not the size the witness cosigned, {cosigned_size}",
                                      cosigned_size=cosigned_size)
        if offered.size == 0 and offered.root_hash != EMPTY_ROOT:  # pragma: no cover - parse_checkpoint refuses it
            raise Malformed("a checkpoint of size 0 must carry the empty tree's root")
        if record is None or record.size == 0:
            if proof:
                raise BadRequest("from size 0 the consistency proof must be empty")
            return
        evidence = {"origin": offered.origin, "cosigned": record.checkpoint, "offered": offered.raw, "proof": tuple(proof)}
        if offered.size < record.size:
            raise RollbackError(f"log {offered.origin!r} offered size {offered.size}, below the size {record.size} "
                                "the witness cosigned (rollback)", **evidence)
        if offered.size == record.size:
            if offered.root_hash != record.root_hash:
                raise ForkError(f"log {offered.origin!r} signed two different roots for size {record.size} (fork)",
                                **evidence)
            if proof:
                raise BadRequest("the checkpoint has the cosigned size: the consistency proof must be empty")
            return
        try:
            verify_consistency(record.size, offered.size, record.root_hash, offered.root_hash, proof)
        except ConsistencyProofError as e:
            raise ForkError(f"log {offered.origin!r}: size {offered.size} is not proven consistent with the cosigned "
                            f"size {record.size} ({e})", **evidence) from None

    def _write_evidence(self, refusal: Equivocation) -> None:
        if self.evidence_dir is None:
            return
        data = (json.dumps(refusal.evidence(), indent=2, sort_keys=True) + "\n").encode()
        origin = hashlib.sha256(refusal.origin.encode()).hexdigest()[:16]
        name = f"{type(refusal).__name__.lower()}-{origin}-{hashlib.sha256(data).hexdigest()[:16]}.json"
        self.evidence_dir.mkdir(parents=True, exist_ok=True)
        path = self.evidence_dir / name
        fd, tmp = tempfile.mkstemp(prefix=".evidence.", dir=self.evidence_dir)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            try:
                os.link(tmp, path)  # create-only: the same evidence twice is the same file
            except OSError as e:
                if e.errno != errno.EEXIST:
                    raise
        finally:
            os.unlink(tmp)
        _fsync_dir(self.evidence_dir)
        refusal.evidence_path = path  # type: ignore[attr-defined]


def _origin_of(signed_checkpoint: bytes) -> str:
    text, _ = split_note(signed_checkpoint)
    origin = text.split("\n", 1)[0]
    if not origin:
        raise Malformed("the checkpoint's origin line is empty")
    return origin


def _cosignature_line(signer: CosignatureSigner, checkpoint: SignedCheckpoint) -> str:
    return Signature(signer.name, signer.key_id, signer.sign(checkpoint.note.text.encode("utf-8"))).line
