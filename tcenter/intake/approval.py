"""M-of-N approval of collection rule sets by reviewer organizations (docs/intake.md), on the plan
approvals' signing and verification (tcenter/supply/approvals.py) and with the same ideas:

- a reviewer organization signs a *statement* about the set, never bare bytes:
  `approvals/intake-rules/<stack>/<hex digest>/<org>.json` (canonical JSON) and `<org>.sig`
  (`ssh-keygen -Y sign -n transparency-center-intake-rules@v1`: a namespace of its own, so a plan
  approval never counts for a rule set, nor the reverse). The statement names the stack, the
  organization, the set (digest, version, rule ids), the *base* it was made against and its
  validity (`issuedAt`, `expires`, at most the base config's `approvals.expiryDays`);
- approvers, keys and quorum come from the base, never from the change or the caller: with a
  deployment ledger (`--ledger URL` or TCENTER_LEDGER), the deployed record's approvals section
  and the deployed commit's `intake.ruleSetQuorum`; without one (dev, tests), the stack file at
  a git revision (`--base REV`, default HEAD). A prod stack needs the ledger, and at least
  PROD_MIN_ORGANIZATIONS whatever any config says;
- one key, one organization (the approvals config refuses a key listed twice; `-I ORG` binds a
  signature to the organization the key is listed under); a revoked key counts for nobody.

The bundle a product holds, and how it proves the set is in the transparency log, is
tcenter/intake/bundle.py.
"""

from __future__ import annotations

import base64
import datetime
import json
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..core.errors import GuardRefused, InputError
from ..supply import approvals as plan_approvals
from . import rules

NAMESPACE = "transparency-center-intake-rules@v1"
STATEMENT_TYPE = "transparency-center-rule-set-approval/v1"
APPROVALS_SUBDIR = Path("approvals") / "intake-rules"


def statement_bytes(statement: dict[str, Any]) -> bytes:
    """What is signed and logged: canonical JSON (sorted keys, no white space, UTF-8)."""
    return rules.canonical_json(statement)


@dataclass(frozen=True)
class Base:
    """Who approves a stack's rule sets, as the deployed base says."""

    stack: str
    base: dict[str, Any]
    """{"sequence", "record", "commit"}: the ledger's head (sequence 0 and record None: a git revision)."""
    approvers: Any
    """components.config.approvals.ApprovalsConfig of the base."""
    quorum: int
    environment: str
    config: Any
    """components.config.CenterConfig of the base (intake sample size, transparency witnesses)."""

    @property
    def intake(self) -> Any:
        return self.config.intake

    def lint_context(self) -> rules.LintContext:
        return rules.LintContext(self.intake.sample_size.max_bytes)


def rule_set_quorum(configured: int, environment: str, stack: str) -> int:
    """`intake.ruleSetQuorum`, and in prod never fewer than the plan approvals' floor."""
    from components.config.approvals import PROD_MIN_ORGANIZATIONS

    prod = environment == "prod" or plan_approvals.is_prod_stack(stack)
    return max(configured, PROD_MIN_ORGANIZATIONS if prod else 1)


def _git_show(repo: Path, commit: str, path: str) -> str:
    done = subprocess.run(["git", "show", f"{commit}:{path}"], cwd=repo, capture_output=True, check=False)
    if done.returncode != 0:
        raise InputError(f"the base commit {commit[:12]} has no {path} in {repo}: "
                         f"{done.stderr.decode(errors='replace').strip()}")
    return done.stdout.decode()


def _config_at(project_dir: Path, stack: str, commit: str, where: str) -> Any:
    from components.config import ConfigError, load_config

    from ..core.stackfiles import stack_file_relpath, values_of_stack_file
    from ..supply.subject import git_location

    repo, prefix = git_location(project_dir)
    text = _git_show(repo, commit, f"{prefix}{stack_file_relpath(stack, project_dir)}")
    try:
        config = load_config(values_of_stack_file(text, where), stack)
    except ConfigError as error:
        raise InputError(f"{where}: {' '.join(line.strip() for line in str(error).splitlines())}") from None
    if config.intake is None:
        raise InputError(f"{where} declares no transparency-center:intake: no rule set can be approved")
    return config


def base_of(project_dir: Path, stack: str, ledger_url: str | None = None, revision: str | None = None) -> Base:
    """The approvers of STACK's rule sets: from the deployment ledger's head, else from the stack
    file at git REVISION (default HEAD); a prod stack needs the ledger."""
    from ..supply import ledger as ledgers
    from ..supply.subject import git_location, resolve_commit

    ledger = ledgers.open_ledger(ledger_url)
    repo, _ = git_location(project_dir)
    if ledger is not None:
        if revision:
            raise GuardRefused("refusing --base with a deployment ledger: approvers come from what is deployed")
        head = ledger.head(stack)
        if head is None:
            raise GuardRefused(f"refusing: the ledger {ledger.url} holds no deployment of {stack}, so nothing names "
                               "the approvers of its rule sets (deploy the stack first)")
        where = f"deployment record #{head.sequence} of {stack}"
        approvers = plan_approvals.approvers_from(head.approvals, head.environment, stack, where)
        config = _config_at(project_dir, stack, resolve_commit(repo, head.commit), f"{where} (commit {head.commit[:12]})")
        return Base(stack, head.base(), approvers.config,
                    rule_set_quorum(config.intake.rule_set_quorum, approvers.environment, stack),
                    approvers.environment, config)
    commit = resolve_commit(repo, revision or "HEAD")
    where = f"stacks of {stack} at {commit[:12]}"
    config = _config_at(project_dir, stack, commit, where)
    if config.environment == "prod" or plan_approvals.is_prod_stack(stack):
        raise GuardRefused(f"refusing: {stack} is a prod stack; its rule sets' approvers come from the deployment "
                           "ledger (--ledger URL or TCENTER_LEDGER), never from a revision the caller names")
    approvers = config.approvals
    return Base(stack, {"sequence": 0, "record": None, "commit": commit}, approvers,
                rule_set_quorum(config.intake.rule_set_quorum, config.environment, stack), config.environment, config)


# --- statements ---------------------------------------------------------------------------------

def rule_set_claim(rule_set: rules.RuleSet) -> dict[str, Any]:
    return {"digest": rules.digest(rule_set), "version": rule_set.version,
            "ruleIds": sorted({rule.id for rule in rule_set.rules})}


def statement_problem(statement: Any, organization: str, stack: str, rule_set: rules.RuleSet,
                      base: dict[str, Any] | None, expiry_days: int, at: datetime.datetime) -> str | None:
    """Why STATEMENT is not ORGANIZATION's approval of exactly RULE_SET for STACK, valid at AT
    (None when it is). BASE None: any base (a product checks a published set, not a base)."""
    if not isinstance(statement, dict) or statement.get("type") != STATEMENT_TYPE:
        return f"not a {STATEMENT_TYPE} statement"
    if statement.get("namespace") != NAMESPACE or statement.get("stack") != stack:
        return "statement covers another stack or namespace"
    if statement.get("organization") != organization:
        return f"statement names organization {statement.get('organization')!r}"
    if statement.get("ruleSet") != rule_set_claim(rule_set):
        return "statement covers another rule set"
    if base is not None and statement.get("base") != base:
        return "made against another base (a deployment happened since; approve again)"
    return plan_approvals.validity_problem(statement, expiry_days, at)


@dataclass
class Verdict:
    organization: str
    valid: bool
    reason: str


@dataclass
class Approval:
    """One organization's signed statement, as stored, logged and bundled."""

    organization: str
    statement: bytes
    signature: str

    def as_entry(self) -> dict[str, str]:
        return {"organization": self.organization, "statement": base64.b64encode(self.statement).decode("ascii"),
                "signature": self.signature}

    @classmethod
    def from_entry(cls, data: Any) -> "Approval":
        if not isinstance(data, dict) or set(data) != {"organization", "statement", "signature"} or \
                not all(isinstance(v, str) and v for v in data.values()):
            raise ValueError("an approval is {organization, statement (base64), signature}")
        return cls(data["organization"], base64.b64decode(data["statement"], validate=True), data["signature"])


def check(approval: Approval, stack: str, rule_set: rules.RuleSet, approvers: Any, base: dict[str, Any] | None,
          at: datetime.datetime, workdir: Path) -> Verdict:
    org = approval.organization
    if approvers.organization(org) is None:
        return Verdict(org, False, "not an approving organization of the stack")
    try:
        statement = json.loads(approval.statement)
    except ValueError:
        return Verdict(org, False, "statement is not JSON")
    if not isinstance(statement, dict) or statement_bytes(statement) != approval.statement:
        return Verdict(org, False, "statement is not a JSON object in canonical form")
    problem = statement_problem(statement, org, stack, rule_set, base, approvers.expiry_days, at)
    if problem:
        return Verdict(org, False, problem)
    signature = workdir / f"{org}.sig"
    signature.write_text(approval.signature)
    verdict = plan_approvals.verify_signature(approval.statement, signature, org, approvers, workdir, NAMESPACE)
    return Verdict(org, verdict.valid, verdict.reason)


@dataclass
class RuleSetQuorum:
    digest: str
    quorum: int
    counted: list[Approval] = field(default_factory=list)
    invalid: list[Verdict] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)

    @property
    def met(self) -> bool:
        return len(self.counted) >= self.quorum >= 1

    @property
    def organizations(self) -> list[str]:
        return [a.organization for a in self.counted]

    def refusal(self) -> str | None:
        if self.met:
            return None
        invalid = "; ".join(f"{v.organization}: {v.reason}" for v in self.invalid)
        return (f"rule set {self.digest} has {len(self.counted)} of {self.quorum} approvals "
                f"(missing: {', '.join(self.missing) or 'nobody left'})" + (f"; not counted: {invalid}" if invalid else ""))


def count(approvals: list[Approval], stack: str, rule_set: rules.RuleSet, approvers: Any, quorum: int,
          base: dict[str, Any] | None, at: datetime.datetime) -> RuleSetQuorum:
    """Distinct organizations with a valid approval of exactly RULE_SET (each counts once)."""
    state = RuleSetQuorum(rules.digest(rule_set), quorum)
    with tempfile.TemporaryDirectory() as tmp:
        for approval in sorted(approvals, key=lambda a: a.organization):
            if approval.organization in state.organizations:
                continue
            verdict = check(approval, stack, rule_set, approvers, base, at, Path(tmp))
            if verdict.valid:
                state.counted.append(approval)
            else:
                state.invalid.append(verdict)
    state.invalid = [v for v in state.invalid if v.organization not in state.organizations]
    state.missing = [o.name for o in approvers.organizations if o.name not in state.organizations and o.active_keys]
    return state


# --- the approvals folder -----------------------------------------------------------------------

def approvals_directory(root: Path, stack: str, digest: str) -> Path:
    return Path(root) / APPROVALS_SUBDIR / stack / digest.removeprefix("sha256:")


def read_approvals(root: Path, stack: str, digest: str) -> list[Approval]:
    directory = approvals_directory(root, stack, digest)
    found = []
    for signature in sorted(directory.glob("*.sig")) if directory.is_dir() else []:
        statement = signature.with_suffix(".json")
        if statement.is_file():
            found.append(Approval(signature.stem, statement.read_bytes(), signature.read_text()))
    return found


def quorum_state(root: Path, base: Base, rule_set: rules.RuleSet, now: datetime.datetime | None = None) -> RuleSetQuorum:
    return count(read_approvals(root, base.stack, rules.digest(rule_set)), base.stack, rule_set, base.approvers,
                 base.quorum, base.base, now or plan_approvals.utcnow())


def make_approval(stack: str, base: dict[str, Any], rule_set: rules.RuleSet, organization: str, key: str, days: int,
                  issued: datetime.datetime | None = None) -> Approval:
    """ORGANIZATION's statement about RULE_SET for STACK against BASE, valid DAYS from ISSUED
    (default now), signed with the SSH private KEY."""
    issued = (issued or plan_approvals.utcnow()).replace(microsecond=0)
    statement = {"type": STATEMENT_TYPE, "namespace": NAMESPACE, "stack": stack, "organization": organization,
                 "ruleSet": rule_set_claim(rule_set), "base": base, "issuedAt": plan_approvals.stamp(issued),
                 "expires": plan_approvals.stamp(issued + datetime.timedelta(days=days))}
    body = statement_bytes(statement)
    return Approval(organization, body, plan_approvals.sign_bytes(body, key, NAMESPACE).decode("ascii"))


def sign(root: Path, base: Base, rule_set: rules.RuleSet, organization: str, key: str,
         valid_days: int | None = None) -> Path:
    """ORGANIZATION's approval of RULE_SET against BASE, signed with the SSH private KEY; returns
    the signature file written under approvals/intake-rules/STACK/DIGEST/ (the statement beside it)."""
    if base.approvers.organization(organization) is None:
        raise InputError(f"--org {organization!r} is not an approving organization of {base.stack} at its base "
                         f"(approvers: {[o.name for o in base.approvers.organizations]})")
    plan_approvals.check_key_is_listed(key, organization, base.approvers.organization(organization))
    days = base.approvers.expiry_days if valid_days is None else valid_days
    if not 0 < days <= base.approvers.expiry_days:
        raise InputError(f"--valid-days must be 1..{base.approvers.expiry_days} (the base config's approvals.expiryDays)")
    made = make_approval(base.stack, base.base, rule_set, organization, key, days)
    directory = approvals_directory(root, base.stack, rules.digest(rule_set))
    directory.mkdir(parents=True, exist_ok=True)
    (directory / f"{organization}.json").write_bytes(made.statement)
    (directory / f"{organization}.sig").write_text(made.signature)
    return directory / f"{organization}.sig"
