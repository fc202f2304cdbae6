"""M-of-N approval of collection rule sets by reviewer organizations, and the published bundle.

A reviewer organization approves a rule set by signing its canonical bytes with `ssh-keygen -Y
sign -n transparency-center-intake-rules@v1` (the plan approvals' mechanism, tcenter/approvals.py,
with a namespace of its own: a plan approval can never count as a rule-set approval, nor the
reverse). Signatures live in `approvals/intake-rules/<hex digest>/<org>.sig`. The organizations
and their keys are the stack's `approvals` section, the quorum is `intake.ruleSetQuorum`, both
read at the BASE revision (as for plans: a change cannot add its own approver).

The bundle is what the approval pipeline publishes to `rules/approved.json` of the intake bucket
(`tcenter intake publish`), what the broker reads and what a product holds:

    {"format": "transparency-center-intake-rules-bundle", "version": 1,
     "ruleSet": {...}, "digest": "sha256:<hex of the canonical bytes>",
     "approvals": {"<org>": "-----BEGIN SSH SIGNATURE-----..."}, "quorum": 2,
     "log": null}

`log` is where the transparency log's inclusion proof of the digest goes (not yet: the log is
being built in parallel; docs/intake.md says what remains).
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..core.errors import InputError, ToolMissing, VerificationFailed
from . import rules

NAMESPACE = "transparency-center-intake-rules@v1"
APPROVALS_SUBDIR = Path("approvals") / "intake-rules"
BUNDLE_FORMAT = "transparency-center-intake-rules-bundle"
BUNDLE_VERSION = 1


@dataclass
class Verdict:
    organization: str
    valid: bool
    reason: str


@dataclass
class RuleSetQuorum:
    digest: str
    quorum: int
    counted: list[str] = field(default_factory=list)
    invalid: list[Verdict] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)

    @property
    def met(self) -> bool:
        return self.quorum >= 1 and len(self.counted) >= self.quorum

    def refusal(self) -> str | None:
        if self.met:
            return None
        invalid = "; ".join(f"{v.organization}: {v.reason}" for v in self.invalid)
        return (f"rule set {self.digest} has {len(self.counted)} of {self.quorum} approvals "
                f"(missing: {', '.join(self.missing) or 'nobody left'})" + (f"; not counted: {invalid}" if invalid else ""))


def _ssh_keygen(*args: str, stdin: bytes) -> Any:
    """tcenter.approvals' ssh-keygen runner, with its error turned into the tcenter error types."""
    from .. import approvals

    try:
        return approvals._ssh_keygen(*args, stdin=stdin)
    except Exception as error:  # noqa: BLE001 - tcenter.approvals raises tcenter.cli.CliError
        if type(error).__name__ == "CliError":
            raise ToolMissing(str(error)) from None
        raise


def _allowed_signers(approvers: Any, revoked: bool) -> str:
    lines = [f'{org.name} namespaces="{NAMESPACE}" {key.key}'
             for org in approvers.organizations for key in org.keys if key.revoked == revoked]
    return "\n".join(lines) + "\n"


def sign(message: bytes, key: Path) -> str:
    """An SSH signature (armored text) over `message` in the rule-set namespace."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "ruleset"
        path.write_bytes(message)
        done = _ssh_keygen("-Y", "sign", "-f", str(key), "-n", NAMESPACE, str(path), stdin=b"")
        if done.returncode != 0:
            raise InputError(f"ssh-keygen could not sign with {key}: {done.stderr.decode(errors='replace').strip()}")
        return (Path(tmp) / "ruleset.sig").read_text()


def verify(message: bytes, signature: str, organization: str, approvers: Any) -> Verdict:
    if approvers.organization(organization) is None:
        return Verdict(organization, False, "not an approving organization of the stack")
    with tempfile.TemporaryDirectory() as tmp:
        sig = Path(tmp) / "signature"
        sig.write_text(signature)
        for revoked in (False, True):
            signers = Path(tmp) / ("revoked" if revoked else "allowed")
            signers.write_text(_allowed_signers(approvers, revoked))
            done = _ssh_keygen("-Y", "verify", "-f", str(signers), "-I", organization, "-n", NAMESPACE,
                               "-s", str(sig), stdin=message)
            if done.returncode == 0:
                return Verdict(organization, not revoked, "valid" if not revoked else "signed with a revoked key")
        check = _ssh_keygen("-Y", "check-novalidate", "-n", NAMESPACE, "-s", str(sig), stdin=message)
    if check.returncode != 0:
        text = (check.stderr.decode(errors="replace").strip().splitlines() or ["?"])[-1]
        return Verdict(organization, False, f"signature does not cover this rule set, or is in another namespace ({text})")
    return Verdict(organization, False, f"signed by a key not listed for {organization}")


def quorum_state(rule_set: rules.RuleSet, signatures: dict[str, str], approvers: Any, quorum: int) -> RuleSetQuorum:
    message = rules.canonical_bytes(rule_set)
    state = RuleSetQuorum(rules.digest(rule_set), quorum)
    for organization, signature in sorted(signatures.items()):
        verdict = verify(message, signature, organization, approvers)
        if verdict.valid and organization not in state.counted:
            state.counted.append(organization)
        elif not verdict.valid:
            state.invalid.append(verdict)
    state.missing = [o.name for o in approvers.organizations if o.name not in state.counted and o.active_keys]
    return state


def approvals_directory(root: Path, digest: str) -> Path:
    return Path(root) / APPROVALS_SUBDIR / digest.removeprefix("sha256:")


def read_signatures(root: Path, digest: str) -> dict[str, str]:
    directory = approvals_directory(root, digest)
    return {p.stem: p.read_text() for p in sorted(directory.glob("*.sig"))} if directory.is_dir() else {}


def make_bundle(rule_set: rules.RuleSet, signatures: dict[str, str], quorum: int) -> dict[str, Any]:
    return {"format": BUNDLE_FORMAT, "version": BUNDLE_VERSION, "ruleSet": rules.as_document(rule_set),
            "digest": rules.digest(rule_set), "approvals": dict(sorted(signatures.items())), "quorum": quorum,
            "log": None}


def verify_bundle(bundle: Any, approvers: Any, quorum: int,
                  context: rules.LintContext = rules.LintContext()) -> rules.RuleSet:
    """The rule set of a bundle, after checking its format, digest, lints and a quorum of valid
    signatures (the caller's approvers and quorum, never the bundle's own claims)."""
    if not isinstance(bundle, dict) or bundle.get("format") != BUNDLE_FORMAT or bundle.get("version") != BUNDLE_VERSION:
        raise VerificationFailed(f"not a {BUNDLE_FORMAT} version {BUNDLE_VERSION} document")
    rule_set = rules.parse(bundle.get("ruleSet"), "bundle ruleSet", context)
    if rules.digest(rule_set) != bundle.get("digest"):
        raise VerificationFailed(f"bundle digest {bundle.get('digest')!r} is not its rule set's {rules.digest(rule_set)}")
    signatures = bundle.get("approvals")
    if not isinstance(signatures, dict) or not all(isinstance(v, str) for v in signatures.values()):
        raise VerificationFailed("bundle approvals must map organizations to SSH signatures")
    state = quorum_state(rule_set, signatures, approvers, max(1, quorum))
    if not state.met:
        raise VerificationFailed(f"not approved: {state.refusal()}")
    return rule_set


# --- the stack's approvers and quorum at a base revision ------------------------------------------

@dataclass(frozen=True)
class StackApprovers:
    stack: str
    base: str
    approvers: Any
    """components.config.ApprovalsConfig at BASE."""
    quorum: int
    max_bytes: int


def stack_approvers(stack: str, base: str | None, repo: Path) -> StackApprovers:
    """Organizations and keys (approvals section) and the rule-set quorum and size cap (intake
    section) of the stack file at BASE."""
    from components.config.base import PROJECT
    from components.config.intake import IntakeConfig

    from .. import approvals

    try:
        base = base or approvals.default_base(repo)
        approvers = approvals.approvals_config_at(stack, base, repo)
    except Exception as error:  # noqa: BLE001 - tcenter.approvals raises tcenter.cli.CliError
        if type(error).__name__ == "CliError":
            raise InputError(str(error)) from None
        raise
    text = approvals._git(repo, "show", f"{base}:stacks/Pulumi.{stack}.yaml") or ""
    values = (yaml.safe_load(text) or {}).get("config") or {}
    section = values.get(f"{PROJECT}:intake")
    if not isinstance(section, dict):
        raise InputError(f"stacks/Pulumi.{stack}.yaml declares no {PROJECT}:intake at base {base}: no rule set can be approved")
    environment = values.get(f"{PROJECT}:environment", "prod")
    try:
        intake = IntakeConfig.model_validate(section, context={"environment": environment})
    except Exception as error:  # noqa: BLE001 - pydantic's message, one line
        lines = str(error).splitlines()
        raise InputError(f"{PROJECT}:intake at base {base}: {' '.join(lines[1:3]) or lines[0]}") from None
    return StackApprovers(stack, base, approvers, intake.rule_set_quorum, intake.sample_size.max_bytes)
