"""The transparency log's errors: one small hierarchy under `tcenter.core.errors`.

Two families, so a caller can tell "the input is not in the format" from "the input is in the
format and does not verify":

    TlogError (TcenterError)
    ├── Malformed (+ InputError)          a note, checkpoint, proof, tile, entry or key that breaks its format
    ├── BadRequest                        a request that cannot be answered (index past the tree, sizes reversed)
    ├── StorageError                      the log's storage failed or holds something unexpected
    │   ├── AlreadyExists                 a create-only path already holds other bytes
    │   └── ChangedConcurrently           the checkpoint changed since it was read (compare-and-swap lost)
    ├── TileMissing                       a tile or entry bundle the client needs is not served
    └── WitnessRefused                    the witness will not cosign (it carries `http_status`)
        ├── UnknownLog                    no key configured for the checkpoint's origin (404)
        ├── OldSizeConflict               the caller's old size is not the witness's (409)
        ├── RollbackError  (+ Equivocation) the checkpoint is older than the one cosigned (evidence)
        └── ForkError      (+ Equivocation) not consistent with what was cosigned (evidence)

    VerificationFailed (TcenterError)
    └── TlogVerificationFailed
        ├── NotLogged                     the release is not proven to be in the log
        ├── ProofError
        │   ├── InclusionProofError       the inclusion path does not lead to the root
        │   └── ConsistencyProofError     the consistency path does not join the two roots
        ├── TileMismatch                  tiles fetched from the log do not hash to the checkpoint
        ├── SignatureError                a signature from a known key does not verify
        ├── UnverifiedNote                no signature from a known key (carries the parsed note)
        └── PolicyNotMet                  fewer than k organizations' witnesses cosigned

Exit codes (`tcenter.core.errors.ExitCode`): verification failures exit NOT_LOGGED (17),
PolicyNotMet WITNESSES (18), Equivocation EQUIVOCATION (20); everything else ERROR (3).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tcenter.core.errors import ExitCode, InputError, TcenterError, VerificationFailed

if TYPE_CHECKING:  # pragma: no cover
    from .note import Note


class TlogError(TcenterError):
    """Base of the transparency log's errors that are not verification failures."""


class Malformed(TlogError, InputError):
    """Input that breaks its format (signed note, checkpoint, tlog-proof, tile path, entry, key)."""


class BadRequest(TlogError):
    """A request the log cannot answer: an index past the tree, sizes in the wrong order."""


class StorageError(TlogError):
    """The log's storage failed, or holds bytes that contradict the log's state."""


class AlreadyExists(StorageError):
    """A create-only write found other bytes at its path (the path names it)."""

    def __init__(self, path: str):
        super().__init__(f"{path} already exists with other content; the log never overwrites a tile, bundle or record")
        self.path = path


class ChangedConcurrently(StorageError):
    """A conditional write of the checkpoint failed: it changed since this process read it
    (another sequencer, or a writer the log does not expect). Nothing was overwritten."""

    def __init__(self, path: str):
        super().__init__(f"{path} changed since it was read (If-Match failed): another writer? nothing was overwritten")
        self.path = path


class TileMissing(TlogError):
    """The log does not serve a tile or entry bundle that the tree size requires."""

    def __init__(self, path: str):
        super().__init__(f"the log does not serve {path}")
        self.path = path


class TlogVerificationFailed(VerificationFailed):
    """Base of everything in the log that was offered as genuine and did not verify."""

    exit_code = ExitCode.NOT_LOGGED


class NotLogged(TlogVerificationFailed):
    """The release (or entry) is not proven to be in the log: no proof, a proof of another
    entry, or a proof that does not verify (exit NOT_LOGGED)."""


class ProofError(TlogVerificationFailed):
    """A Merkle proof does not verify."""


class InclusionProofError(ProofError):
    """The inclusion path does not lead from the leaf to the root (RFC 9162, 2.1.3.2)."""


class ConsistencyProofError(ProofError):
    """The consistency path does not join the old root to the new one (RFC 9162, 2.1.4.2)."""


class TileMismatch(TlogVerificationFailed):
    """Tiles fetched from the log do not hash to the checkpoint the client trusts."""


class SignatureError(TlogVerificationFailed):
    """A signature line from a known key does not verify: the whole note is rejected."""

    def __init__(self, message: str, *, name: str = "", key_id: int = 0):
        super().__init__(message)
        self.name = name
        self.key_id = key_id


class UnverifiedNote(TlogVerificationFailed):
    """The note parsed, but no signature from a known key is on it; `note` holds what parsed."""

    def __init__(self, message: str, note: Note):
        super().__init__(message)
        self.note = note


class PolicyNotMet(TlogVerificationFailed):
    """Fewer than `quorum` distinct organizations' witnesses cosigned the checkpoint."""

    exit_code = ExitCode.WITNESSES

    def __init__(self, message: str, *, quorum: int, organizations: tuple[str, ...], ignored: tuple[str, ...]):
        super().__init__(message)
        self.quorum = quorum
        self.organizations = organizations
        self.ignored = ignored


class WitnessRefused(TlogError):
    """The witness does not cosign; `http_status` is the tlog-witness status for the refusal."""

    http_status = 400


class UnknownLog(WitnessRefused):
    """The witness has no key for the checkpoint's origin (tlog-witness: 404)."""

    http_status = 404


class OldSizeConflict(WitnessRefused):
    """The caller's old size is not the size the witness last cosigned (tlog-witness: 409)."""

    http_status = 409

    def __init__(self, message: str, *, cosigned_size: int):
        super().__init__(message)
        self.cosigned_size = cosigned_size


class Equivocation(WitnessRefused):
    """The log showed the witness two views that cannot both be honest; carries the evidence.

    `cosigned` is the signed checkpoint the witness cosigned before (bytes, verbatim),
    `offered` the new signed checkpoint, `proof` the consistency proof offered with it.
    """

    http_status = 409
    exit_code = ExitCode.EQUIVOCATION

    def __init__(self, message: str, *, origin: str, cosigned: bytes, offered: bytes, proof: tuple[bytes, ...] = ()):
        super().__init__(message)
        self.origin = origin
        self.cosigned = cosigned
        self.offered = offered
        self.proof = proof

    def evidence(self) -> dict[str, Any]:
        """The evidence as JSON-ready data (what `Witness` writes to its evidence directory)."""
        import base64

        return {
            "kind": type(self).__name__,
            "reason": str(self),
            "origin": self.origin,
            "cosignedCheckpoint": self.cosigned.decode("utf-8"),
            "offeredCheckpoint": self.offered.decode("utf-8"),
            "consistencyProof": [base64.b64encode(h).decode() for h in self.proof],
        }


class RollbackError(Equivocation):
    """The offered checkpoint is smaller than the one the witness already cosigned."""


class ForkError(Equivocation):
    """The offered checkpoint is not consistent with the one the witness cosigned (fork, 422)."""

    http_status = 422
