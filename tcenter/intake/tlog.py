"""Where collection rule sets meet the transparency log (issue 25's library as it is on main).

Two functions are the seam; the sequencer/witness/S3 flow re-points them when it lands:

    submit(entry, ...)                 put the entry on its way into the log
    prove(entry, log, verifier, ...)   the tlog-proof of an entry already in the log, or None

A log is a `Storage` (tcenter.transparency.log): a local directory (`file:///PATH`) or the log
bucket of components/transparency.py (`s3://BUCKET[/PREFIX]`, `S3Storage` below). Only the
sequencer writes the log in a deployed stack (its bucket policy names it alone), so there
`submit` writes the entry, create-only, to the intake bucket's `rules/log-pending/<hex digest>.entry`
(which only the rule publisher role writes and the sequencer role reads: components/intake.py),
and the sequencer appends it; the witnesses cosign; `tcenter intake publish`, run again, finds
it and proves it. With a note signer key (dev and tests: `--log-signer FILE`), `submit` appends
to the log itself, exactly as the sequencer does (`TransparencyLog.append`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

from ..core.errors import InputError, UsageError
from ..transparency.checkpoint import open_checkpoint
from ..transparency.cosignature import WitnessPolicy, parse_witness_key
from ..transparency.errors import AlreadyExists, StorageError, TileMissing
from ..transparency.log import CHECKPOINT, LocalDirectoryStorage, Storage, TransparencyLog
from ..transparency.note import Signer, Verifier
from ..transparency.proof import TlogProof
from ..transparency.proof import prove as prove_inclusion
from ..transparency.tiles import ENTRIES, TILE_HEIGHT, TILE_WIDTH, Tile, TileHashReader, decode_entry_bundle

PENDING_PREFIX = "rules/log-pending/"
"""Entries waiting for the sequencer, in the intake bucket (components/intake.py grants it)."""
MAX_SCAN_BUNDLES = 4096
"""How far back `prove` looks for an entry: 4,096 entry bundles, the newest million entries."""


class S3Storage:
    """The log's Storage on an S3 bucket (and prefix): create-only writes are conditional PUTs
    (`If-None-Match: *`), as the log bucket's policy requires of everything but the checkpoint."""

    def __init__(self, bucket: str, prefix: str = "", client: Any = None):
        self.bucket, self.prefix, self._client = bucket, prefix, client

    def client(self) -> Any:
        if self._client is None:
            import boto3

            from components.awsfacts import REGION

            self._client = boto3.client("s3", region_name=REGION)
        return self._client

    def get(self, path: str) -> bytes | None:
        try:
            return self.client().get_object(Bucket=self.bucket, Key=self.prefix + path)["Body"].read()
        except Exception as error:  # noqa: BLE001 - botocore raises one class per code
            if _code(error) in ("NoSuchKey", "404", "NotFound"):
                return None
            raise StorageError(f"cannot read s3://{self.bucket}/{self.prefix}{path}: {_code(error) or error}") from None

    def put(self, path: str, data: bytes, create_only: bool) -> None:
        extra = {"IfNoneMatch": "*"} if create_only else {}
        try:
            self.client().put_object(Bucket=self.bucket, Key=self.prefix + path, Body=data, **extra)
        except Exception as error:  # noqa: BLE001
            if create_only and _code(error) in ("PreconditionFailed", "412"):
                if self.get(path) != data:
                    raise AlreadyExists(path) from None
                return
            raise StorageError(f"cannot write s3://{self.bucket}/{self.prefix}{path}: {_code(error) or error}") from None


def _code(error: Exception) -> str:
    return str((getattr(error, "response", None) or {}).get("Error", {}).get("Code", ""))


def open_storage(url: str, *, endpoint_url: str | None = None) -> Storage:
    """`file:///PATH` or `s3://BUCKET[/PREFIX]`."""
    parsed = urlparse(url)
    if parsed.scheme == "file" and parsed.path:
        return LocalDirectoryStorage(parsed.path, fsync=False)
    if parsed.scheme == "s3" and parsed.netloc:
        prefix = parsed.path.lstrip("/")
        client = None
        if endpoint_url:
            import boto3

            from components.awsfacts import REGION

            client = boto3.client("s3", region_name=REGION, endpoint_url=endpoint_url)
        return S3Storage(parsed.netloc, prefix if not prefix or prefix.endswith("/") else prefix + "/", client)
    raise UsageError(f"--log takes file:///PATH or s3://BUCKET[/PREFIX], not {url!r}")


def witness_policy(transparency: Any) -> WitnessPolicy:
    """Whose cosignatures a rule set's checkpoint needs: the stack's witness organizations
    (`transparency.witnesses`), as many as the strictest release class needs
    (`transparency.verification`: a rule set is held to what a release is)."""
    if not transparency.enabled or not transparency.witnesses:
        raise InputError("the stack has no transparency log witnesses: no rule set can be shown to be logged")
    k = max(transparency.verification.values())
    return WitnessPolicy(k, {w.organization: [parse_witness_key(key) for key in w.keys] for w in transparency.witnesses})


@dataclass(frozen=True)
class Submitted:
    index: int | None
    """The entry's index when appended now; None when left for the sequencer."""
    where: str


def find(entry: bytes, storage: Storage, size: int, max_bundles: int = MAX_SCAN_BUNDLES) -> int | None:
    """The newest index of ENTRY in the log's first SIZE entries (entry bundles read newest first)."""
    last = (size - 1) >> TILE_HEIGHT if size else -1
    for n in range(last, max(-1, last - max_bundles), -1):
        width = min(TILE_WIDTH, size - (n << TILE_HEIGHT))
        bundle = Tile(ENTRIES, n, width)
        data = storage.get(bundle.path)
        if data is not None:
            entries = decode_entry_bundle(data, width)
        elif bundle.partial and (full := storage.get(bundle.full().path)) is not None:
            entries = decode_entry_bundle(full)[:width]
        else:
            raise TileMissing(bundle.path)
        for offset in range(len(entries) - 1, -1, -1):
            if entries[offset] == entry:
                return (n << TILE_HEIGHT) + offset
    return None


def prove(entry: bytes, storage: Storage, verifier: Verifier, origin: str | None = None) -> TlogProof | None:
    """A tlog-proof of ENTRY against the log's published checkpoint (with whatever cosignatures it
    carries), or None when the entry is not (yet) in the log. Every hash comes from tiles
    authenticated against the checkpoint's root; the caller checks the witnesses."""
    raw = storage.get(CHECKPOINT)
    if raw is None:
        return None
    signed = open_checkpoint(raw, [verifier], origin=origin)
    index = find(entry, storage, signed.size)
    if index is None:
        return None
    reader = TileHashReader(signed.size, signed.root_hash, storage.get)
    if reader.entry(index) != entry:  # pragma: no cover - entry() raises on a mismatch first
        return None
    return prove_inclusion(index, raw, reader)


def submit(entry: bytes, *, log: Storage, origin: str, signer: Signer | None = None, verifier: Verifier | None = None,
           pending: Storage | None = None, name: str = "") -> Submitted:
    """Append ENTRY now (SIGNER: the sequencer's step, dev and tests), or leave it create-only in
    PENDING as NAME for the sequencer (a deployed stack)."""
    if signer is not None:
        if verifier is None:
            raise UsageError("appending to the log needs its verifier key too")
        appended = TransparencyLog(log, origin, signer, verifier).append([entry])
        return Submitted(appended.first_index, f"appended as entry {appended.first_index} (size {appended.size})")
    if pending is None:
        raise UsageError("give --log-signer (a log you sequence yourself) or --bucket (the sequencer's pending entries)")
    pending.put(name, entry, create_only=True)
    return Submitted(None, f"left for the sequencer as {name}")
