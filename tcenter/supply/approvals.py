"""M-of-N SSH-signed approvals of exactly what will run (issues 15 and 31, docs/reviewer-access.md).

    tcenter approve STACK --key KEY --org ORG [--commit REV] [--saved-plan FILE]   sign the subject
    tcenter approvals STACK [--commit REV] [--saved-plan FILE]                     quorum state (exit 5: not met)

An approval is `approvals/<stack>/<subject digest>/<org>.json` (the statement) and `<org>.sig`
(`ssh-keygen -Y sign -n transparency-center-plan@v1` over the statement's bytes). The subject
(tcenter/supply/subject.py) binds the program tree, the mock plan, the config, the policy
packs, the tool, an optional saved Pulumi plan and the deployed *base* (tcenter/supply/ledger.py).
Approvers, quorum and expiry come from the base: the config of the deployed revision as the
ledger recorded it, never from the change or the caller. A prod stack (by its name, by the
record or by the change) needs at least PROD_MIN_ORGANIZATIONS whatever any config says.
"""

from __future__ import annotations

import datetime
import json
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..core.errors import GuardRefused, InputError
from ..core.stackfiles import PROJECT_ROOT
from .subject import APPROVALS_DIR, Subject, plan_digest  # noqa: F401 - plan_digest: the approvals' API

NAMESPACE = "transparency-center-plan@v1"
STATEMENT_TYPE = "transparency-center-approval/v2"
PROD_STACK_SUFFIX = "-prod"
PROD_STACKS = ("zurich-prod",)
CLOCK_SKEW = datetime.timedelta(minutes=5)
GATE_ROOT = PROJECT_ROOT
"""Where the gate's own code comes from (tcenter's checkout). It must not be the project
being deployed, and must have no local changes: the deploy workflow runs tcenter from a
checkout of the deployed (protected) revision and deploys another checkout's commit."""
GATE_CODE = ("tcenter", "components")


def utcnow() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def _stamp(moment: datetime.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_stamp(text: Any) -> datetime.datetime | None:
    try:
        return datetime.datetime.strptime(str(text), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.UTC)
    except ValueError:
        return None


def is_prod_stack(stack: str) -> bool:
    return stack in PROD_STACKS or stack.endswith(PROD_STACK_SUFFIX)


@dataclass(frozen=True)
class Approvers:
    """Who approves STACK's next change, and for how long an approval lives."""

    config: Any  # components.config.approvals.ApprovalsConfig
    environment: str
    source: str

    @property
    def quorum(self) -> int:
        from components.config.approvals import PROD_MIN_ORGANIZATIONS

        return max(self.config.quorum, PROD_MIN_ORGANIZATIONS) if self.environment == "prod" else self.config.quorum


def approvers_from(section: Any, environment: str, stack: str, where: str, change_environment: str | None = None) -> Approvers:
    """The approvals SECTION validated as prod when the stack's name, the deployed record or
    the change says prod: switching the environment away never lowers the bar."""
    from components.config import ConfigError, approvals_section

    prod = "prod" in (environment, change_environment) or is_prod_stack(stack)
    effective = "prod" if prod else environment
    try:
        config = approvals_section({"transparency-center:environment": effective,
                                    "transparency-center:approvals": section}, where)
    except ConfigError as error:
        (key, message), *_ = error.problems
        raise InputError(f"{key} in {where}: {message}") from None
    return Approvers(config, effective, where)


@dataclass
class Verdict:
    org: str
    valid: bool
    reason: str


@dataclass
class QuorumState:
    subject: Subject
    approvers: Approvers
    counted: list[str] = field(default_factory=list)
    invalid: list[Verdict] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    ignored: tuple[str, ...] = ()

    @property
    def quorum(self) -> int:
        return self.approvers.quorum

    @property
    def met(self) -> bool:
        return len(self.counted) >= self.quorum


def _ssh_keygen(*args: str, stdin: bytes) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(["ssh-keygen", *args], input=stdin, capture_output=True, check=False)
    except FileNotFoundError:
        raise InputError("ssh-keygen is not installed (apt-get install openssh-client)") from None


def _allowed_signers(config: Any, revoked: bool) -> str:
    lines = [f'{org.name} namespaces="{NAMESPACE}" {key.key}'
             for org in config.organizations for key in org.keys if key.revoked == revoked]
    return "\n".join(lines) + "\n"


def statement_problem(statement: Any, org: str, subject: Subject, approvers: Approvers,
                      now: datetime.datetime, ignore: tuple[str, ...] = ()) -> str | None:
    if not isinstance(statement, dict) or statement.get("type") != STATEMENT_TYPE:
        return f"not a {STATEMENT_TYPE} statement"
    if statement.get("organization") != org:
        return f"statement names organization {statement.get('organization')!r}"
    if statement.get("namespace") != NAMESPACE or statement.get("stack") != subject.stack:
        return "statement covers another stack or namespace"
    theirs = statement.get("subject")
    if not isinstance(theirs, dict) or theirs.get("base") != subject.base:
        return "made against another base (another deployment happened since; approve again)"
    ours = subject.as_dict()
    changed = sorted(k for k in set(ours) | set(theirs) if k not in ignore and theirs.get(k) != ours.get(k))
    if changed:
        return f"statement covers another subject (its {', '.join(FIELD_NAMES.get(k, k) for k in changed)} differ)"
    issued, expires = _parse_stamp(statement.get("issuedAt")), _parse_stamp(statement.get("expires"))
    if issued is None or expires is None:
        return "statement has no issuedAt/expires"
    if expires - issued > datetime.timedelta(days=approvers.config.expiry_days) + CLOCK_SKEW:
        return f"valid for longer than the {approvers.config.expiry_days} days the base config allows"
    if issued > now + CLOCK_SKEW:
        return f"issued in the future ({statement.get('issuedAt')})"
    if now >= expires:
        return f"expired at {statement.get('expires')}"
    return None


def verify_one(statement_path: Path, signature_path: Path, org: str, subject: Subject, approvers: Approvers,
               workdir: Path, now: datetime.datetime, ignore: tuple[str, ...] = ()) -> Verdict:
    try:
        statement_bytes = statement_path.read_bytes()
        statement = json.loads(statement_bytes)
    except (OSError, ValueError):
        return Verdict(org, False, f"statement {statement_path} is missing or not JSON")
    if approvers.config.organization(org) is None:
        return Verdict(org, False, "organization is not an approver of the deployed base")
    problem = statement_problem(statement, org, subject, approvers, now, ignore)
    if problem:
        return Verdict(org, False, problem)
    for revoked in (False, True):
        signers = workdir / ("revoked" if revoked else "allowed")
        signers.write_text(_allowed_signers(approvers.config, revoked))
        done = _ssh_keygen("-Y", "verify", "-f", str(signers), "-I", org, "-n", NAMESPACE,
                           "-s", str(signature_path), stdin=statement_bytes)
        if done.returncode == 0:
            return Verdict(org, not revoked, "valid" if not revoked else "signed with a revoked key")
    check = _ssh_keygen("-Y", "check-novalidate", "-n", NAMESPACE, "-s", str(signature_path), stdin=statement_bytes)
    if check.returncode != 0:
        text = (check.stderr.decode(errors="replace").strip().splitlines() or ["?"])[-1]
        return Verdict(org, False, f"signature unreadable, altered or in another namespace ({text})")
    return Verdict(org, False, f"signed by a key not listed for {org} at the deployed base")


def quorum_state(subject: Subject, approvers: Approvers, root: Path, now: datetime.datetime | None = None,
                 ignore: tuple[str, ...] = ()) -> QuorumState:
    """Who approved exactly SUBJECT. With IGNORE (the deploy gate's first pass, before the
    program may run even on the mock engine): who approved it but for those fields, in any
    of the stack's approval folders."""
    now = now or utcnow()
    state = QuorumState(subject, approvers)
    stack_dir = root / APPROVALS_DIR / subject.stack
    folders = ([p for p in sorted(stack_dir.iterdir()) if p.is_dir()] if stack_dir.is_dir() else []) if ignore \
        else [stack_dir / subject.digest]
    with tempfile.TemporaryDirectory() as tmp:
        for directory in folders:
            for signature in sorted(directory.glob("*.sig")) if directory.is_dir() else []:
                org = signature.stem
                verdict = verify_one(signature.with_suffix(".json"), signature, org, subject, approvers, Path(tmp), now,
                                     ignore)
                if verdict.valid and org not in state.counted:
                    state.counted.append(org)
                elif not verdict.valid:
                    state.invalid.append(verdict)
    state.invalid = [v for v in state.invalid if v.org not in state.counted]
    state.ignored = ignore
    state.missing = [o.name for o in approvers.config.organizations if o.name not in state.counted and o.active_keys]
    return state


def describe_base(base: dict[str, Any]) -> str:
    if base.get("record") is None:
        return "no deployment yet (bootstrap)"
    return f"deployed base #{base['sequence']} (commit {str(base['commit'])[:12]}, record {str(base['record'])[:12]})"


FIELD_NAMES = {"programTree": "program tree", "planDigest": "mock plan", "configDigest": "config",
               "policyPacks": "policy packs", "tool": "tool version", "savedPlanDigest": "saved plan",
               "base": "base (another deployment happened since)", "stack": "stack",
               "project": "project folder"}


def other_subjects(subject: Subject, root: Path) -> str | None:
    """What differs between SUBJECT and the newest approval made for another subject of its stack."""
    newest: tuple[str, dict[str, Any]] | None = None
    folder = root / APPROVALS_DIR / subject.stack
    for path in folder.glob("*/*.json") if folder.is_dir() else []:
        if path.parent.name == subject.digest:
            continue
        try:
            statement = json.loads(path.read_bytes())
        except (OSError, ValueError):
            continue
        if isinstance(statement, dict) and isinstance(statement.get("subject"), dict):
            stamp = str(statement.get("issuedAt", ""))
            if newest is None or stamp > newest[0]:
                newest = (stamp, statement["subject"])
    if newest is None:
        return None
    ours = subject.as_dict()
    changed = [FIELD_NAMES.get(k, k) for k in sorted(ours) if newest[1].get(k) != ours[k]]
    return f"the newest approvals of {subject.stack} are for another subject: its {', '.join(changed)} differ"


def refusal(state: QuorumState, root: Path | None = None) -> str | None:
    if state.met:
        return None
    need = state.quorum - len(state.counted)
    invalid = "; ".join(f"{v.org}: {v.reason}" for v in state.invalid)
    subject = state.subject
    plan = "not run before the tree is approved" if "planDigest" in state.ignored else subject.planDigest[:12]
    return (f"refusing to deploy {subject.stack}: subject {subject.digest[:16]} (tree {subject.programTree[:12]}, "
            f"plan {plan}) against the {describe_base(subject.base)} has {len(state.counted)} of "
            f"{state.quorum} approvals ({need} more needed from {', '.join(state.missing) or 'nobody left'})"
            + (f"; not counted: {invalid}" if invalid else "")
            + (f"; {hint}" if (hint := other_subjects(subject, root) if root and not state.ignored else None) else "")
            + ". Approve with `tcenter approve STACK --key KEY --org ORG` (docs/reviewer-access.md).")


def gate_code_problems(gate_root: Path, project: Path) -> list[str]:
    """Why the code running this gate is not trusted code: it lies in the project being
    deployed, or is not a clean git checkout of tcenter (docs/lifecycle.md, the deploy workflow)."""
    gate, deployed = Path(gate_root).resolve(), Path(project).resolve()
    if gate == deployed or gate.is_relative_to(deployed) or deployed.is_relative_to(gate):
        return [f"the gate's code ({gate}) is the checkout being deployed ({deployed}); run tcenter from a trusted "
                "checkout of the deployed revision: `trusted/.venv/bin/tcenter -C CHANGE up STACK`"]
    done = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all", "--", *GATE_CODE], cwd=gate,
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        return [f"the gate's code ({gate}) is not a git checkout: its revision cannot be told, so it is not trusted code"]
    if done.stdout.strip():
        changed = ", ".join(line[3:] for line in done.stdout.splitlines()[:3])
        return [f"the gate's code ({gate}) has local changes ({changed}): not trusted code"]
    return []


def check_gate_code(gate_root: Path, project: Path) -> None:
    problems = gate_code_problems(gate_root, project)
    if problems:
        raise GuardRefused("refusing: " + "; ".join(problems))


def _public_key(private_key: str) -> str:
    """`type base64` of the public half of an SSH private key: KEY.pub when it is there (a key
    with a passphrase), else what `ssh-keygen -y` derives."""
    beside = Path(f"{private_key}.pub")
    if beside.is_file():
        text = beside.read_text(encoding="utf-8", errors="replace")
    else:
        done = _ssh_keygen("-y", "-P", "", "-f", private_key, stdin=b"")
        if done.returncode != 0:
            raise InputError(f"--key {private_key}: cannot read its public key (give it beside the key as "
                             f"{private_key}.pub): {done.stderr.decode(errors='replace').strip()}")
        text = done.stdout.decode()
    return " ".join(text.split()[:2])


def _check_key_is_listed(private_key: str, org: str, organization: Any) -> None:
    """Refuse to sign with a key the approvals config does not list (unrevoked) for ORG: such a
    signature could never count, and `approvals` would only say so later."""
    mine = _public_key(private_key)
    listed = {" ".join(k.key.split()[:2]): k.revoked for k in organization.keys}
    if mine not in listed:
        raise InputError(f"--key {private_key} is not one of {org}'s keys in the approvals config; its signature "
                         "would never count")
    if listed[mine]:
        raise InputError(f"--key {private_key} is a revoked key of {org}; its signature would never count")


def sign_approval(root: Path, subject: Subject, approvers: Approvers, org: str, key: str,
                  valid_days: int | None = None) -> Path:
    """Sign SUBJECT for ORG with the SSH private KEY; returns the signature file written under
    approvals/STACK/SUBJECT-DIGEST/ (the statement beside it)."""
    if approvers.config.organization(org) is None:
        raise InputError(f"--org {org!r} is not an approver of {subject.stack} at the {describe_base(subject.base)} "
                         f"(approvers: {[o.name for o in approvers.config.organizations]})")
    _check_key_is_listed(key, org, approvers.config.organization(org))
    days = approvers.config.expiry_days if valid_days is None else valid_days
    if not 0 < days <= approvers.config.expiry_days:
        raise InputError(f"--valid-days must be 1..{approvers.config.expiry_days} (the base config's expiryDays)")
    issued = utcnow().replace(microsecond=0)
    statement = {"type": STATEMENT_TYPE, "namespace": NAMESPACE, "stack": subject.stack, "organization": org,
                 "subject": subject.as_dict(), "commit": subject.commit,
                 "issuedAt": _stamp(issued), "expires": _stamp(issued + datetime.timedelta(days=days))}
    body = (json.dumps(statement, indent=2, sort_keys=True) + "\n").encode()
    directory = root / APPROVALS_DIR / subject.stack / subject.digest
    directory.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        message = Path(tmp) / "statement"
        message.write_bytes(body)
        done = _ssh_keygen("-Y", "sign", "-f", key, "-n", NAMESPACE, str(message), stdin=b"")
        if done.returncode != 0:
            raise InputError(f"ssh-keygen could not sign with {key}: {done.stderr.decode(errors='replace').strip()}")
        (directory / f"{org}.json").write_bytes(body)
        (directory / f"{org}.sig").write_bytes((Path(tmp) / "statement.sig").read_bytes())
    return directory / f"{org}.sig"
