"""M-of-N SSH-signed approvals of the exact plan (issue 15, docs/reviewer-access.md).

    tcenter approve PLAN --key KEY --org ORG [--base REV]   sign the plan's digest
    tcenter approvals STACK|PLAN [--base REV]               quorum state

An approval is `approvals/<stack>/<digest>/<org>.json` (the statement) and `<org>.sig`
(`ssh-keygen -Y sign -n transparency-center-plan@v1` over the statement's bytes). Approvers
and quorum come from the stack config at the BASE revision (default: merge-base with
origin/main, else HEAD~1), so a change cannot add its own approver.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

NAMESPACE = "transparency-center-plan@v1"
APPROVALS_DIR = "approvals"


def _cli() -> Any:
    from . import cli

    return cli


def plan_digest(plan: dict[str, Any]) -> str:
    from .plan import dumps

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
        raise _cli().CliError("no base revision: give --base REV (the approvers are read from the config there)")
    return base


def approvals_config_at(stack: str, base: str, repo: Path) -> Any:
    """The approvals section of the stack file at the BASE revision."""
    from components.config import ApprovalsConfig
    from components.config.base import PROJECT

    text = _git(repo, "show", f"{base}:stacks/Pulumi.{stack}.yaml")
    if text is None:
        raise _cli().CliError(f"stacks/Pulumi.{stack}.yaml does not exist at base revision {base!r} (--base REV)")
    values = (yaml.safe_load(text) or {}).get("config") or {}
    environment = values.get(f"{PROJECT}:environment", "prod")
    try:
        return ApprovalsConfig.model_validate(values.get(f"{PROJECT}:approvals") or {},
                                              context={"environment": environment})
    except Exception as error:  # noqa: BLE001 - pydantic's message, one line
        first = str(error).splitlines()
        raise _cli().CliError(f"{PROJECT}:approvals at base {base}: {' '.join(first[1:3]) or first[0]}") from None


def _ssh_keygen(*args: str, stdin: bytes) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(["ssh-keygen", *args], input=stdin, capture_output=True, check=False)
    except FileNotFoundError:
        raise _cli().CliError("ssh-keygen is not installed (apt-get install openssh-client)") from None


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
        raise _cli().CliError(message)
    return state


# --- commands -----------------------------------------------------------------------------------

def configure_approve(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("plan", metavar="PLAN|STACK")
    parser.add_argument("--key", required=True, help="your private SSH key (ssh-ed25519 or ecdsa-sha2-nistp256)")
    parser.add_argument("--org", required=True, help="your organization's name in the approvals config")
    parser.add_argument("--stack", help="the stack, when PLAN is a file")
    parser.add_argument("--base", help="base revision (default: merge-base with origin/main, else HEAD~1)")


def configure_approvals(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("target", metavar="STACK|PLAN")
    parser.add_argument("--stack", help="the stack, when the target is a plan file")
    parser.add_argument("--base", help="base revision (default: merge-base with origin/main, else HEAD~1)")
    parser.add_argument("--format", choices=("text", "markdown"), default="text")


def _repo() -> Path:
    cli = _cli()
    return cli._project_dir or cli.TCENTER_ROOT


def _plan_and_stack(target: str, stack: str | None) -> tuple[dict[str, Any], str]:
    cli = _cli()
    plan = cli.plan_for(target)
    name = stack or (plan.get("stack") if isinstance(plan, dict) else None)
    if not isinstance(name, str):
        raise cli.UsageError("give --stack STACK: the plan file does not name its stack")
    return plan, name


def run_approve(args: argparse.Namespace) -> int:
    cli = _cli()
    repo = _repo()
    plan, stack = _plan_and_stack(args.plan, args.stack)
    digest = plan_digest(plan)
    base = args.base or default_base(repo)
    config = approvals_config_at(stack, base, repo)
    if config.organization(args.org) is None:
        raise cli.CliError(f"--org {args.org!r} is not an approver of {stack} at base {base} "
                           f"(approvers: {[o.name for o in config.organizations]})")
    cli._console().print(cli.summary(plan))
    print(f"approving plan {digest} of stack {stack} as {args.org}")
    statement = {"stack": stack, "planDigest": digest, "base": base,
                 "head": _git(repo, "rev-parse", "HEAD") or "unknown", "organization": args.org,
                 "time": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                 "namespace": NAMESPACE}
    body = (json.dumps(statement, indent=2, sort_keys=True) + "\n").encode()
    directory = repo / APPROVALS_DIR / stack / digest
    directory.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        message = Path(tmp) / "statement"
        message.write_bytes(body)
        done = _ssh_keygen("-Y", "sign", "-f", args.key, "-n", NAMESPACE, str(message), stdin=b"")
        if done.returncode != 0:
            raise cli.CliError(f"ssh-keygen could not sign with {args.key}: {done.stderr.decode(errors='replace').strip()}")
        (directory / f"{args.org}.json").write_bytes(body)
        (directory / f"{args.org}.sig").write_bytes((Path(tmp) / "statement.sig").read_bytes())
    print(f"wrote {directory / (args.org + '.sig')}")
    return 0


def run_approvals(args: argparse.Namespace) -> int:
    repo = _repo()
    plan, stack = _plan_and_stack(args.target, args.stack)
    base = args.base or default_base(repo)
    config = approvals_config_at(stack, base, repo)
    state = quorum_state(stack, plan_digest(plan), config, repo)
    bullet = "- " if args.format == "markdown" else "  "
    print(f"{'**Approvals**' if args.format == 'markdown' else 'approvals'} for {stack}, plan {state.digest} "
          f"(approvers from {base[:12]}): {len(state.counted)} of {state.quorum} "
          f"{'- quorum met' if state.met else '- NOT met'}")
    for org in state.counted:
        print(f"{bullet}approved: {org}")
    for org in state.missing:
        print(f"{bullet}missing: {org}")
    for verdict in state.invalid:
        print(f"{bullet}invalid: {verdict.org}: {verdict.reason}")
    return 0
