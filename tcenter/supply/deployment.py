"""One deployment, prepared the same way for `approve`, `approvals`, `preview`, `up` and
`destroy`: the commit is resolved, its program set written to a fresh directory (never the
working tree), planned there on the mock engine, its subject built against the deployed base
from the ledger, and its approvers taken from that base (docs/lifecycle.md)."""

from __future__ import annotations

import contextlib
import dataclasses
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from ..core.errors import GuardRefused, InputError, UsageError
from . import approvals, ledger as ledgers, subject as subjects


@dataclass(frozen=True)
class Prepared:
    repo: Path  # the repository's top folder (its approvals/ folder, its tree)
    stack: str
    commit: str
    export: Path  # the project in the fresh copy of the commit: where Pulumi runs
    subject: subjects.Subject
    approvers: approvals.Approvers | None  # None for preview and destroy: nothing is gated
    head: ledgers.Record | None
    ledger: ledgers.Ledger | None
    values: dict[str, Any]
    bootstrap: bool
    plan: dict[str, Any]

    @property
    def gated(self) -> bool:
        return self.approvers is not None and self.approvers.quorum > 0


def _change_environment(values: dict[str, Any]) -> str | None:
    from components.config import declared_environment

    return declared_environment(values)


def approvers_for(stack: str, head: ledgers.Record | None, values: dict[str, Any], bootstrap: bool) -> approvals.Approvers:
    change = _change_environment(values)
    if head is not None:
        if bootstrap:
            raise UsageError(f"--bootstrap is for a stack's first deployment; the ledger has record #{head.sequence}")
        return approvals.approvers_from(head.approvals, head.environment, stack,
                                        f"deployment record #{head.sequence} of {stack}", change)
    own = approvals.approvers_from(values.get("transparency-center:approvals") or {}, change or "prod", stack,
                                   f"the commit's config of {stack} (bootstrap)", change)
    if own.quorum > 0 and not bootstrap:
        raise GuardRefused(f"refusing: the ledger holds no deployment of {stack}, so nothing names its approvers; "
                           "give --ledger URL (or TCENTER_LEDGER), or --bootstrap for the first deployment "
                           "(docs/lifecycle.md)")
    return own


@contextlib.contextmanager
def prepare(repo: Path, stack: str, revision: str | None, packs: list[str] | None, saved_plan: Path | None,
            ledger_url: str | None, bootstrap: bool = False, base_record: Path | None = None,
            require_base: bool = True, gate_first: bool = False) -> Iterator[Prepared]:
    """REQUIRE_BASE: the subject must name the deployed base (approve, approvals, up); preview
    and destroy gate nothing and run without a ledger. GATE_FIRST (up): trusted code, and a
    quorum for everything but the mock plan, before the change's program runs at all; the
    program is then planned in a separate process without the caller's environment."""
    import os

    from ..plan.workspace import Workspace

    subjects.refuse_config_from_environment(os.environ)
    repo, prefix = subjects.git_location(repo)  # the repository's top: its tree, its approvals/
    commit = subjects.resolve_commit(repo, revision or "HEAD")
    ledger = ledgers.open_ledger(ledger_url)
    head = ledgers.read_record_file(base_record, stack) if base_record else (ledger.head(stack) if ledger else None)
    with tempfile.TemporaryDirectory(prefix="tcenter-deploy-") as tmp:
        tree = Path(tmp) / "tree"
        tree.mkdir()
        subjects.materialize(repo, commit, tree)
        export = tree / prefix
        if not (export / "Pulumi.yaml").is_file():
            raise InputError(f"commit {commit[:12]} has no Pulumi project at {prefix or 'its top'} (no Pulumi.yaml)")
        skeleton, values = subjects.build_subject(repo, commit, export, stack, None, packs, saved_plan,
                                                  head.base() if head else dict(ledgers.NO_BASE), prefix)
        found = approvers_for(stack, head, values, bootstrap) if require_base else None
        if found is not None and found.quorum > 0 and ledger is None and base_record is None:
            raise GuardRefused(f"refusing: {stack} needs approvals and no deployment ledger is named "
                               "(--ledger URL or TCENTER_LEDGER)")
        if gate_first and found is not None and found.quorum > 0:
            approvals.check_gate_code(approvals.GATE_ROOT, repo)
            approved = approvals.quorum_state(skeleton, found, repo, ignore=("planDigest",))
            message = approvals.refusal(approved, repo)
            if message:
                raise GuardRefused(message)
        plan = Workspace(export).plan_isolated(stack)
        subject = dataclasses.replace(skeleton, planDigest=subjects.plan_digest(plan))
        yield Prepared(repo, stack, commit, export, subject, found, head, ledger, values, bootstrap, plan)


def gate(prepared: Prepared) -> approvals.QuorumState | None:
    """Raise GuardRefused unless trusted code finds a quorum for exactly this subject."""
    if not prepared.gated:
        return None
    approvals.check_gate_code(approvals.GATE_ROOT, prepared.repo)
    assert prepared.approvers is not None  # gated
    state = approvals.quorum_state(prepared.subject, prepared.approvers, prepared.repo)
    message = approvals.refusal(state, prepared.repo)
    if message:
        raise GuardRefused(message)
    return state


def record(prepared: Prepared, state: approvals.QuorumState | None) -> ledgers.Record | None:
    """After a successful `up`: the next change's base (its approvers are this config's)."""
    if prepared.ledger is None:
        return None
    import subprocess

    gate_commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=approvals.GATE_ROOT, capture_output=True,
                                 text=True, check=False).stdout.strip()
    environment = _change_environment(prepared.values) or "prod"
    if approvals.is_prod_stack(prepared.stack) or (prepared.head and prepared.head.environment == "prod"):
        environment = "prod"
    entry = ledgers.new_record(
        prepared.stack, prepared.head, commit=prepared.commit, tree=prepared.subject.programTree, environment=environment,
        approvals=prepared.values.get("transparency-center:approvals") or {},
        extra={"project": prepared.subject.project, "subjectDigest": prepared.subject.digest, "planDigest": prepared.subject.planDigest,
               "approvedBy": sorted(state.counted) if state else [], "bootstrap": prepared.bootstrap,
               "gate": {"commit": gate_commit or None, "tool": prepared.subject.tool}})
    return prepared.ledger.append(prepared.stack, entry)
