"""The distribution's errors. Everything an update client refuses is an `UpdateRefused`
(a `VerificationFailed`) whose exit code names the check that failed:

    MetadataRefused   TUF_METADATA (21)   rollback, freeze, mix-and-match, threshold, hash, length, size
    NotRebuilt        NOT_REBUILT (22)    a product not signed by the vendor and a reviewer, or with no
                                          valid rebuild attestation of the very file and commit
    ProvenanceRefused ENVELOPE_SIGNATURE (12), SUBJECT (13), BUILDERS (14), SOURCE_REVISION (15)
    NotLogged         NOT_LOGGED (17)     no proof, or a proof that does not verify
    TooFewWitnesses   WITNESSES (18)      fewer than k organizations cosigned the checkpoint

Malformed local input (a key file, a root file, a URL) is an `InputError` (exit 3).
"""

from __future__ import annotations

from tcenter.core.errors import ExitCode, InputError, TcenterError, VerificationFailed


class DistributionError(TcenterError):
    """A repository operation that cannot be done (exit 3)."""


class BadInput(DistributionError, InputError):
    """A key, metadata file, policy or URL that is not in its format (exit 3)."""


class NotListed(DistributionError, InputError):
    """The repository's (verified) metadata lists no such target (exit 3)."""


class UpdateRefused(VerificationFailed):
    """An update did not verify; nothing was installed and the client's state is unchanged."""

    exit_code = ExitCode.TUF_METADATA

    def __init__(self, message: str, *, exit_code: ExitCode | None = None, check: str = ""):
        super().__init__(message, exit_code=exit_code)
        self.check = check


class MetadataRefused(UpdateRefused):
    exit_code = ExitCode.TUF_METADATA


class NotRebuilt(UpdateRefused):
    exit_code = ExitCode.NOT_REBUILT


class ProvenanceRefused(UpdateRefused):
    """The vendor's provenance does not verify (exit code: which check)."""


class NotLogged(UpdateRefused):
    exit_code = ExitCode.NOT_LOGGED


class TooFewWitnesses(UpdateRefused):
    exit_code = ExitCode.WITNESSES
