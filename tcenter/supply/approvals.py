"""M-of-N SSH-signed approvals of the exact plan (issue 15, docs/reviewer-access.md).

    tcenter approve PLAN --key KEY --org ORG [--base REV]   sign the plan's digest
    tcenter approvals STACK|PLAN [--base REV]               quorum state

An approval is `approvals/<stack>/<digest>/<org>.json` (the statement) and `<org>.sig`
(`ssh-keygen -Y sign -n transparency-center-plan@v1` over the statement's bytes). Approvers
and quorum come from the stack config at the BASE revision (default: merge-base with
origin/main, else HEAD~1), so a change cannot add its own approver.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..core.errors import GuardRefused, InputError
from ..core.stackfiles import stack_file_relpath, values_of_stack_file
from ..plan.format import dumps

NAMESPACE = "transparency-center-plan@v1"
APPROVALS_DIR = "approvals"


def plan_digest(plan: dict[str, Any]) -> str:
    return hashlib.sha256(dumps(plan).encode()).hexdigest()


def _git(repo: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def default_base(repo: Path) -> str:
    base = _git(repo, "merge-base", "HEAD", "origin/main") or _git(repo, "rev-parse", "HEAD~1")
    if not base:
        raise InputError("no base revision: give --base REV (the approvers are read from the config there)")
    return base


def approvals_config_at(stack: str, base: str, repo: Path) -> Any:
    """The approvals section of the stack file at the BASE revision."""
    from components.config import ConfigError, approvals_section

    relpath = stack_file_relpath(stack, repo)
    text = _git(repo, "show", f"{base}:{relpath}")
    if text is None:
        raise InputError(f"{relpath} does not exist at base revision {base!r} (--base REV)")
    try:
        return approvals_section(values_of_stack_file(text, f"{relpath} at {base}"), f"{stack}@{base}")
    except ConfigError as error:
        (key, message), *_ = error.problems
        raise InputError(f"{key} at base {base}: {message}") from None


def _ssh_keygen(*args: str, stdin: bytes) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(["ssh-keygen", *args], input=stdin, capture_output=True, check=False)
    except FileNotFoundError:
        raise InputError("ssh-keygen is not installed (apt-get install openssh-client)") from None


@dataclass
class Verdict:
    org: str
    valid: bool
    reason: str


@dataclass
class QuorumState:
    stack: str
    digest: str
    quorum: int
    counted: list[str] = field(default_factory=list)
    invalid: list[Verdict] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)

    @property
    def met(self) -> bool:
        return len(self.counted) >= self.quorum


def _allowed_signers(config: Any, revoked: bool) -> str:
    lines = []
    for org in config.organizations:
        for key in org.keys:
            if key.revoked == revoked:
                lines.append(f'{org.name} namespaces="{NAMESPACE}" {key.key}')
    return "\n".join(lines) + "\n"


def verify_one(statement_path: Path, signature_path: Path, org: str, stack: str, digest: str,
               config: Any, workdir: Path) -> Verdict:
    try:
        statement_bytes = statement_path.read_bytes()
        statement = json.loads(statement_bytes)
    except (OSError, ValueError):
        return Verdict(org, False, f"statement {statement_path} is missing or not JSON")
    if not isinstance(statement, dict) or statement.get("planDigest") != digest or statement.get("stack") != stack:
        return Verdict(org, False, "statement covers another stack or digest")
    if statement.get("organization") != org:
        return Verdict(org, False, f"statement names organization {statement.get('organization')!r}")
    if config.organization(org) is None:
        return Verdict(org, False, "organization is not an approver at the base revision")
    for revoked in (False, True):
        signers = workdir / ("revoked" if revoked else "allowed")
        signers.write_text(_allowed_signers(config, revoked))
        done = _ssh_keygen("-Y", "verify", "-f", str(signers), "-I", org, "-n", NAMESPACE,
                           "-s", str(signature_path), stdin=statement_bytes)
        if done.returncode == 0:
            return Verdict(org, not revoked, "valid" if not revoked else "signed with a revoked key")
    check = _ssh_keygen("-Y", "check-novalidate", "-n", NAMESPACE, "-s", str(signature_path), stdin=statement_bytes)
    if check.returncode != 0:
        text = (check.stderr.decode(errors="replace").strip().splitlines() or ["?"])[-1]
        return Verdict(org, False, f"signature unreadable, altered or in another namespace ({text})")
    return Verdict(org, False, f"signed by a key not listed for {org} at the base revision")


def quorum_state(stack: str, digest: str, config: Any, root: Path) -> QuorumState:
    state = QuorumState(stack, digest, config.quorum)
    directory = root / APPROVALS_DIR / stack / digest
    with tempfile.TemporaryDirectory() as tmp:
        for signature in sorted(directory.glob("*.sig")) if directory.is_dir() else []:
            org = signature.stem
            verdict = verify_one(signature.with_suffix(".json"), signature, org, stack, digest, config, Path(tmp))
            if verdict.valid and org not in state.counted:
                state.counted.append(org)
            elif not verdict.valid:
                state.invalid.append(verdict)
    state.missing = [o.name for o in config.organizations if o.name not in state.counted and o.active_keys]
    return state


def refusal(state: QuorumState) -> str | None:
    if state.met:
        return None
    need = state.quorum - len(state.counted)
    invalid = "; ".join(f"{v.org}: {v.reason}" for v in state.invalid)
    return (f"refusing to deploy {state.stack}: plan {state.digest[:16]} has {len(state.counted)} of {state.quorum} "
            f"approvals ({need} more needed from {', '.join(state.missing) or 'nobody left'})"
            + (f"; not counted: {invalid}" if invalid else "")
            + ". Approve with `tcenter approve PLAN --key KEY --org ORG` (docs/reviewer-access.md).")


def gate(stack: str, plan: dict[str, Any], base: str | None, repo: Path) -> QuorumState | None:
    """Raise CliError unless a quorum from the BASE config approved exactly this plan."""
    config = approvals_config_at(stack, base or default_base(repo), repo)
    if config.quorum == 0:
        return None
    state = quorum_state(stack, plan_digest(plan), config, repo)
    message = refusal(state)
    if message:
        raise GuardRefused(message)
    return state


def sign_approval(repo: Path, stack: str, plan: dict[str, Any], org: str, key: str, base: str) -> Path:
    """Sign PLAN's digest for ORG with the SSH private KEY; returns the signature file written
    under approvals/STACK/DIGEST/ (the statement beside it). The org must be an approver at BASE."""
    digest = plan_digest(plan)
    config = approvals_config_at(stack, base, repo)
    if config.organization(org) is None:
        raise InputError(f"--org {org!r} is not an approver of {stack} at base {base} "
                         f"(approvers: {[o.name for o in config.organizations]})")
    statement = {"stack": stack, "planDigest": digest, "base": base,
                 "head": _git(repo, "rev-parse", "HEAD") or "unknown", "organization": org,
                 "time": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                 "namespace": NAMESPACE}
    body = (json.dumps(statement, indent=2, sort_keys=True) + "\n").encode()
    directory = repo / APPROVALS_DIR / stack / digest
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
