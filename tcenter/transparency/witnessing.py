"""A reviewer organization's witness, pulling (`tcenter witness`): what the organization runs on
its own machine, with its own key, on a timer.

One run:
 1. fetch the log's newest `checkpoint` (from its public URL over HTTPS, or from the bucket with
    the organization's witness role: any `log.Storage`) and open it with the log's key;
 2. if it is the checkpoint the witness already cosigned, only make sure the cosignature is
    uploaded; otherwise compute the consistency proof from the size it last cosigned, from the
    log's tiles (`tiles.TileHashReader`: every tile is authenticated against the new
    checkpoint's root before a hash of it is used);
 3. `witness.Witness.cosign`: the C2SP tlog-witness checks against its state (a smaller size
    is a rollback, another root at the same size or a proof that does not verify is a fork:
    both refused, both signed checkpoints written to the evidence directory, exit
    EQUIVOCATION), then cosign and record atomically;
 4. upload the cosignature line to `cosignatures/<org>/<size>` (create-only). If the object
    already holds a valid cosignature of this checkpoint by the organization's key (an earlier
    run, a restored machine), that is success.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .checkpoint import open_checkpoint
from .cosignature import CosignatureSigner
from .cosigned import cosignature_path, encode_lines, parse_lines, verified_lines
from .errors import AlreadyExists, StorageError, TlogError
from .log import CHECKPOINT, Storage
from .merkle import prove_consistency
from .note import Verifier, parse_signature_line, split_note
from .tiles import TileHashReader
from .witness import Witness


@dataclass(frozen=True)
class WitnessRun:
    origin: str
    size: int
    previous_size: int
    cosigned: bool
    """A new cosignature was made (False: the checkpoint is the one cosigned before)."""
    path: str | None
    """Where the cosignature was uploaded (None without an upload target)."""
    bytes_fetched: int


def _own_line(signed: bytes, signer: CosignatureSigner) -> str | None:
    for sig in split_note(signed)[1]:
        if sig.name == signer.name and sig.key_id == signer.key_id:
            return sig.line
    return None


def upload_cosignature(upload: Storage, organization: str, size: int, line: str, checkpoint: bytes,
                       signer: CosignatureSigner) -> str:
    """Put `line` at `cosignatures/<org>/<size>` (create-only); an object already there that
    holds a valid cosignature of `checkpoint` by this witness's key counts as uploaded."""
    path = cosignature_path(organization, size)
    data = encode_lines([line])
    try:
        upload.put(path, data, create_only=True)
    except AlreadyExists:
        existing = upload.get(path)
        try:
            ours = existing is not None and verified_lines(checkpoint, parse_lines(existing), [signer.verifier()])
        except TlogError:
            ours = False
        if not ours:
            raise StorageError(f"{path} holds something that is not this witness's cosignature of size {size}") from None
    return path


def run_witness(witness: Witness, organization: str, source: Storage | Callable[[str], bytes | None],
                log_keys: Sequence[Verifier], origin: str, upload: Storage | None = None) -> WitnessRun:
    """One pull-witness run (see the module doc). `source` is where the log is read: a storage
    (`s3.S3Storage` with the witness role, `s3.HttpsStorage` for the public URL) or any
    `fetch(path) -> bytes | None`. Raises `Equivocation` (fork, rollback) after writing the
    evidence, `TlogVerificationFailed` for a bad signature or tiles that do not match the
    checkpoint, `StorageError` when the log cannot be read or the upload fails."""
    fetch = source.get if hasattr(source, "get") else source
    raw = fetch(CHECKPOINT)
    if raw is None:
        raise StorageError(f"{source!r} serves no checkpoint")
    offered = open_checkpoint(raw, list(log_keys), origin=origin)
    record = witness.state().get(origin)
    previous = 0 if record is None else record.size
    fetched = len(raw)
    if record is not None and record.size == offered.size and record.root_hash == offered.root_hash:
        line = _own_line(record.checkpoint, witness.signer)
        if line is None:  # pragma: no cover - the state always holds our line
            raise StorageError("the witness state holds a checkpoint without this witness's cosignature")
        parse_signature_line(line.rstrip("\n"))
        path = None if upload is None else upload_cosignature(upload, organization, offered.size, line,
                                                             record.checkpoint, witness.signer)
        return WitnessRun(origin, offered.size, previous, False, path, fetched)
    proof: list[bytes] = []
    if record is not None and 0 < record.size < offered.size:
        reader = TileHashReader(offered.size, offered.root_hash, fetch)
        proof = prove_consistency(record.size, offered.size, reader)
        fetched += reader.bytes_fetched
    cosigned = witness.cosign(raw, proof)
    path = None if upload is None else upload_cosignature(upload, organization, cosigned.size, cosigned.line,
                                                         cosigned.checkpoint, witness.signer)
    return WitnessRun(origin, cosigned.size, previous, True, path, fetched)
