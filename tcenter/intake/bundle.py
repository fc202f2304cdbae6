"""The published bundle of a collection rule set, and the check a product makes before it
uploads anything (docs/intake.md).

    {"format": "transparency-center-intake-rules-bundle", "version": 2, "stack": "zurich-prod",
     "ruleSet": {...}, "digest": "sha256:<hex of the canonical bytes>", "quorum": 2,
     "approvals": [{"organization", "statement": base64 of the signed statement, "signature"}],
     "log": {"proof": "c2sp.org/tlog-proof@v1\\n..."}}

The set's transparency-log entry is not in the bundle: it is recomputed from it
(`log_entry`: tcenter.transparency.entries' `collection-rules` entry of the set's version,
SHA-256, rule ids and exactly the bundled approvals), so a proof of any other entry fails.

`verify_bundle` checks, with what the product was built with (`Trust`: the stack, its approvers
and quorum, the log's key and the witness policy), never the bundle's own claims: the format, the
set (lints, digest), that the entry is in the log by a tlog-proof whose checkpoint the log signed
and `k` witness organizations cosigned (else exit 17, or 18 for too few witnesses), and that a
quorum of distinct approving organizations signed statements about exactly this set that were
valid when it was logged (the earliest counted cosignature's time bounds that from above).
"""

from __future__ import annotations

import datetime
import hashlib
from dataclasses import dataclass
from typing import Any

from ..core.errors import ExitCode, VerificationFailed
from ..transparency import entries
from ..transparency.cosignature import WitnessPolicy
from ..transparency.note import Verifier, parse_verifier_key
from ..transparency.proof import TlogProof, VerifiedInclusion, verify_inclusion_bundle
from . import approval, rules

BUNDLE_FORMAT = "transparency-center-intake-rules-bundle"
BUNDLE_VERSION = 2


@dataclass(frozen=True)
class Trust:
    """What a product is built with: never read from a bundle."""

    stack: str
    approvers: Any
    """components.config.approvals.ApprovalsConfig: organizations, their keys, expiryDays."""
    quorum: int
    log_verifier: Verifier
    witnesses: WitnessPolicy
    origin: str | None = None
    context: rules.LintContext = rules.LintContext()


def trust_of(base: approval.Base, log_key: str, origin: str | None = None) -> Trust:
    """The trust of a stack's base (tcenter commands): its approvers and quorum, its witnesses,
    and the log's verifier key (`tcenter keys`: the checkpoint key's public half)."""
    from .tlog import witness_policy

    return Trust(base.stack, base.approvers, base.quorum, parse_verifier_key(log_key), witness_policy(base.config.transparency),
                 origin, base.lint_context())


def log_entry(rule_set: rules.RuleSet, approvals: list[approval.Approval]) -> bytes:
    """The canonical `collection-rules` entry of RULE_SET with exactly APPROVALS."""
    entry = entries.collection_rules_entry(
        version=rule_set.version, rules_sha256=hashlib.sha256(rules.canonical_bytes(rule_set)).hexdigest(),
        rule_ids=[rule.id for rule in rule_set.rules], approvals=[a.as_entry() for a in approvals])
    return entries.encode_entry(entry)


def make_bundle(stack: str, rule_set: rules.RuleSet, approvals: list[approval.Approval], quorum: int,
                proof: TlogProof) -> dict[str, Any]:
    return {"format": BUNDLE_FORMAT, "version": BUNDLE_VERSION, "stack": stack, "ruleSet": rules.as_document(rule_set),
            "digest": rules.digest(rule_set), "quorum": quorum,
            "approvals": [a.as_entry() for a in sorted(approvals, key=lambda a: a.organization)],
            "log": {"proof": proof.encode().decode("utf-8")}}


@dataclass(frozen=True)
class Verified:
    rule_set: rules.RuleSet
    organizations: tuple[str, ...]
    logged: VerifiedInclusion
    logged_by: datetime.datetime
    """The earliest counted witness cosignature: the set was in the log by then."""


def _refuse(message: str, code: ExitCode = ExitCode.ERROR) -> VerificationFailed:
    return VerificationFailed(message, exit_code=code)


def verify_bundle(bundle: Any, trust: Trust, now: datetime.datetime | None = None) -> Verified:
    """The rule set of BUNDLE after every check in the module doc; raises VerificationFailed
    (tcenter.transparency's errors for the log: exit 17 not logged, 18 too few witnesses)."""
    if not isinstance(bundle, dict) or bundle.get("format") != BUNDLE_FORMAT or bundle.get("version") != BUNDLE_VERSION:
        raise _refuse(f"not a {BUNDLE_FORMAT} version {BUNDLE_VERSION} document")
    if bundle.get("stack") != trust.stack:
        raise _refuse(f"the bundle is for stack {bundle.get('stack')!r}, not {trust.stack!r}")
    rule_set = rules.parse(bundle.get("ruleSet"), "bundle ruleSet", trust.context)
    if rules.digest(rule_set) != bundle.get("digest"):
        raise _refuse(f"bundle digest {bundle.get('digest')!r} is not its rule set's {rules.digest(rule_set)}")
    raw = bundle.get("approvals")
    try:
        approvals = [approval.Approval.from_entry(a) for a in raw] if isinstance(raw, list) else None
    except ValueError as error:
        raise _refuse(f"bundle approvals: {error}") from None
    if not approvals:
        raise _refuse("the bundle carries no approvals", ExitCode.NOT_APPROVED)
    log = bundle.get("log")
    if not isinstance(log, dict) or not isinstance(log.get("proof"), str):
        raise _refuse(f"rule set {rules.digest(rule_set)} is not logged: the bundle has no transparency-log proof",
                      ExitCode.NOT_LOGGED)
    moment = now or datetime.datetime.now(datetime.UTC)
    logged = verify_inclusion_bundle(log_entry(rule_set, approvals), log["proof"].encode("utf-8"), trust.log_verifier,
                                     trust.witnesses, origin=trust.origin, now=int(moment.timestamp()))
    assert logged.witnesses is not None  # a policy was given
    counted = [c.timestamp for c in logged.witnesses.cosignatures]
    logged_by = datetime.datetime.fromtimestamp(min(counted), datetime.UTC)
    state = approval.count(approvals, trust.stack, rule_set, trust.approvers, trust.quorum, None, logged_by)
    if not state.met:
        raise _refuse(f"not approved when logged: {state.refusal()}", ExitCode.NOT_APPROVED)
    return Verified(rule_set, tuple(state.organizations), logged, logged_by)
