"""One error hierarchy and one table of exit codes for every tcenter command.

Library code raises a `TcenterError` (or a subclass); only `tcenter.cli` turns it into a
one-line message and the exit code it carries. Nothing else calls `sys.exit`.
"""

from __future__ import annotations

import enum


class ExitCode(enum.IntEnum):
    """Every exit code any tcenter command returns (docs/review.md prints this table)."""

    OK = 0
    """success; no changes (diff); no violations (check); verified (verify)"""
    CHANGES = 1
    """the plans differ, nothing dangerous (diff, comment); a rule is violated (check)"""
    DANGEROUS = 2
    """a dangerous change (diff), or a dangerous change or violation (comment)"""
    ERROR = 3
    """the input could not be read or planned, or a guard refused"""
    DRIFT = 4
    """the live account differs from the plan (attest)"""
    NOT_APPROVED = 5
    """approvals: the quorum of signed approvals is not met for what would be deployed"""
    RELEASE_SIGNATURE = 10
    """verify: the signature over the release does not verify with the class's key"""
    WRONG_KEY_CLASS = 11
    """verify: signed with the other class's key"""
    ENVELOPE_SIGNATURE = 12
    """verify: the provenance envelope is unsigned or not signed by the class's key"""
    SUBJECT = 13
    """verify: the provenance is about another file, or is not SLSA provenance"""
    BUILDERS = 14
    """verify: too few distinct builder identities of the pool agreed"""
    SOURCE_REVISION = 15
    """verify: the provenance's source revision is not the reviewed one"""
    SBOM = 16
    """verify: the SBOM is missing or not the one the provenance names"""
    NOT_LOGGED = 17
    """verify, log: the transparency-log proof does not verify (not logged, or tampered)"""
    WITNESSES = 18
    """verify, log: fewer than the required organizations' witnesses cosigned the checkpoint"""
    ROLLBACK = 19
    """verify: the release is older than --not-older-than or than the last version seen (--state)"""
    EQUIVOCATION = 20
    """witness: the log showed two views that cannot both be honest (fork or rollback)"""
    TUF_METADATA = 21
    """update, tuf: the TUF metadata does not verify (rollback, freeze, mix-and-match, threshold, hashes)"""
    NOT_REBUILT = 22
    """update: a product without the vendor's and a reviewer organization's signatures and rebuild attestation"""
    USAGE = 64
    """wrong usage of a command (argparse, conflicting options)"""
    UNAVAILABLE = 69
    """a tool the command needs is not installed (the Pulumi CLI, Graphviz's dot)"""
    INTERRUPTED = 130
    """interrupted (Ctrl-C)"""


class TcenterError(Exception):
    """A problem the user can act on: printed as one line, exit `exit_code`."""

    exit_code: ExitCode = ExitCode.ERROR

    def __init__(self, message: str, *, exit_code: ExitCode | None = None):
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code


class UsageError(TcenterError):
    """Wrong usage: a missing or conflicting option (exit 64)."""

    exit_code = ExitCode.USAGE


class InputError(TcenterError):
    """An input that cannot be read, parsed or planned: a file, a stack, a revision (exit 3)."""


class GuardRefused(TcenterError):
    """A guard refused to go on: approvals missing, a prod destroy not confirmed (exit 3)."""


class ToolMissing(TcenterError):
    """A program the command needs is not installed (exit 69)."""

    exit_code = ExitCode.UNAVAILABLE


class VerificationFailed(TcenterError):
    """Something offered as genuine did not verify; `exit_code` names the check that failed."""
