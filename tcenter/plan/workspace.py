"""Where plans come from: the Pulumi project to plan (this checkout, or `tcenter -C DIR`),
its stacks, a stack's plan now or at a git revision, and plan files.

Commands get a `Workspace` from the CLI (`args.workspace`); nothing here is global."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..core.errors import ExitCode, InputError, TcenterError
from ..core.output import progress
from ..core.stackfiles import PROJECT_ROOT, project_settings, stack_names
from . import format as plan_format

TCENTER_ROOT = PROJECT_ROOT
"""The checkout tcenter's own code comes from: a revision's plan is made with this tcenter."""
ISOLATED_ENV = ("PATH", "HOME", "LANG", "TMPDIR", "TZ", "SYSTEMROOT", "TCENTER_DEBUG")
"""What a separately planned program sees of the environment (no credentials, no PULUMI_*)."""


def program_failure(error: BaseException, stack: str) -> TcenterError:
    """What the program raised, as one readable error."""
    if isinstance(error, TcenterError):
        return InputError(str(error))
    if type(error).__name__ == "ConfigError" and hasattr(error, "problems"):
        return InputError(str(error))
    where = ""
    tb = error.__traceback__
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if "/site-packages/" not in filename and "/tcenter/" not in filename:
            where = f" (at {Path(filename).name}:{tb.tb_lineno})"
        tb = tb.tb_next
    return InputError(f"the program failed for stack {stack!r}: {type(error).__name__}: {error}{where}")


_REVISION_RUNNER = r"""
import json, sys
from pathlib import Path
tcenter_root, project_dir, stack, out = sys.argv[1:5]
sys.path.insert(0, tcenter_root)
from tcenter.core.errors import TcenterError
from tcenter.plan.workspace import Workspace
from tcenter.plan.format import save
try:
    plan = Workspace(Path(project_dir)).plan(stack)
except TcenterError as error:
    print(str(error), file=sys.stderr)
    sys.exit(3)
save(plan, out)
"""


def _git(*args: str, cwd: Path) -> Any:
    import subprocess

    try:
        return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise InputError("git is not installed; plan the revisions yourself and pass plan files") from None


def empty_plan(stack: str) -> dict[str, Any]:
    """The plan of a stack that does not exist (yet): everything in a diff against it is new."""
    return {"format": plan_format.FORMAT, "version": plan_format.VERSION, "project": "transparency-center",
            "stack": stack, "resources": [], "outputs": {}}


def is_plan_file(arg: str) -> bool:
    """A command's STACK|PLAN argument names a plan file (else a stack)."""
    return arg.endswith(".json") or os.sep in arg or Path(arg).is_file()


PROJECT_NAME = "transparency-center"
"""The `name:` in Pulumi.yaml of the projects tcenter plans (the center's, and copies of it)."""


def discover(start: Path) -> Path | None:
    """The project directory START is in: the nearest folder at or above it whose Pulumi.yaml
    names the center's project (a checkout of the kit), or None."""
    for folder in [start, *start.parents]:
        settings = folder / "Pulumi.yaml"
        if settings.is_file():
            try:
                name = project_settings(folder).get("name")
            except Exception:  # noqa: BLE001 - an unreadable Pulumi.yaml is not ours
                name = None
            if name == PROJECT_NAME:
                return folder
    return None


@dataclass(frozen=True)
class Workspace:
    """The project tcenter plans (a directory holding Pulumi.yaml and its stack files), and
    the git repository it is in: plans now, at a revision, or from a file, all of THIS project."""

    project_dir: Path = PROJECT_ROOT

    @classmethod
    def resolve(cls, project_dir: str | None, cwd: Path | None = None) -> "Workspace":
        """`-C DIR` when given; else the checkout of the kit the working directory is in; else
        the checkout tcenter itself comes from."""
        if project_dir:
            return cls(Path(project_dir).resolve())
        return cls(discover((cwd or Path.cwd()).resolve()) or PROJECT_ROOT)

    def repository(self) -> tuple[Path, Path]:
        """(the git work tree holding the project, the project's path inside it)."""
        done = _git("rev-parse", "--show-toplevel", cwd=self.project_dir)
        if done.returncode != 0:
            raise InputError(f"{self.project_dir} is not in a git repository: --git needs one "
                             "(or plan the revisions yourself and pass plan files)")
        top = Path(done.stdout.strip()).resolve()
        return top, self.project_dir.resolve().relative_to(top)

    def stacks(self) -> list[str]:
        return stack_names(self.project_dir)

    def plan(self, stack: str) -> dict[str, Any]:
        """The stack's plan from the project's working tree, on the mock engine."""
        try:
            with progress(f"planning stack {stack} on the mock engine..."):
                return plan_format.plan_stack(stack, project_dir=self.project_dir)
        except KeyboardInterrupt:
            raise
        except BaseException as error:  # noqa: BLE001 - the program may raise anything
            if os.environ.get("TCENTER_DEBUG"):
                raise
            raise program_failure(error, stack) from None

    def _commit(self, repo: Path, revision: str) -> str:
        resolved = _git("rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}", cwd=repo)
        if resolved.returncode != 0:
            raise InputError(f"unknown git revision {revision!r} in {repo}")
        return resolved.stdout.strip()

    def same_program(self, revisions: list[str], stack: str) -> bool:
        """Whether the program and the stack's file are the same at every revision (git object ids
        alone, nothing planned): then so are their plans."""
        from . import cache

        repo, inside = self.repository()
        keys = [cache.program_key(repo, self._commit(repo, r), str(inside), stack) for r in revisions]
        return all(k == keys[0] for k in keys)

    def plan_at(self, revision: str, stack: str) -> dict[str, Any]:
        """Plan `stack` as of git `revision` of this project's repository (tcenter/plan/cache.py
        first), in a temporary copy, in a subprocess: see `start_plan_at`."""
        return self.start_plan_at(revision, stack).result()

    def plans_at(self, revisions: list[str], stack: str) -> list[dict[str, Any]]:
        """The plans of several revisions, the uncached ones planned at the same time."""
        pending = [self.start_plan_at(revision, stack) for revision in revisions]
        return [p.result() for p in pending]

    def start_plan_at(self, revision: str, stack: str) -> "PendingPlan":
        """Start planning `stack` as of git `revision`; `.result()` waits for the plan.

        A plan in the cache (keyed by the revision's program and stack file, this tcenter, Python
        and the packages: tcenter/plan/cache.py) is used as is. Otherwise the program runs in a
        subprocess: this process has already imported the working tree's `components`, and the
        revision must use its own. The copy comes from `git archive`, which reads the repository
        without changing it (no worktree entry, no lock), so parallel runs and other people's
        checkouts are left alone. tcenter itself comes from this checkout, so both plans have the
        same format."""
        from . import cache

        repo, inside = self.repository()
        commit = self._commit(repo, revision)
        program = cache.program_key(repo, commit, str(inside), stack)
        if program is None:
            return PendingPlan(plan=empty_plan(stack))  # a stack new in HEAD: everything shows as created
        digest = cache.key(program, TCENTER_ROOT)
        cached = cache.load(digest)
        if cached is not None:
            return PendingPlan(plan=cached, from_cache=True)
        return PendingPlan(revision=revision, run=_start_revision(repo, inside, commit, revision, stack), digest=digest)

    def plan_isolated(self, stack: str, environ: dict[str, str] | None = None) -> dict[str, Any]:
        """The stack's plan from a separate process whose environment holds only ISOLATED_ENV:
        the program (not yet trusted: the deploy gate plans a change before it lets Pulumi run
        it) can neither touch the caller's memory nor read its credentials."""
        import subprocess
        import tempfile

        source = os.environ if environ is None else environ
        env = {k: v for k, v in source.items() if k in ISOLATED_ENV or k.startswith("LC_")}
        with tempfile.TemporaryDirectory(prefix="tcenter-plan-") as tmp:
            out = Path(tmp) / "plan.json"
            with progress(f"planning stack {stack} in a separate process on the mock engine..."):
                run = subprocess.run([sys.executable, "-c", _REVISION_RUNNER, str(TCENTER_ROOT), str(self.project_dir),
                                      stack, str(out)], cwd=self.project_dir, env=env, capture_output=True, text=True)
            if run.returncode != 0:
                lines = run.stderr.strip().splitlines() or ["no message"]
                raise InputError(f"planning {stack} failed: {lines[-1] if run.returncode != ExitCode.ERROR else ' '.join(lines)}")
            return plan_format.load(out)

    def plan_for(self, arg: str) -> dict[str, Any]:
        """A STACK name (planned now) or a plan file."""
        return load_plan(arg) if is_plan_file(arg) else self.plan(arg)


def load_plan(path: str | Path) -> dict[str, Any]:
    return plan_format.load(Path(path))


class PendingPlan:
    """A plan of a revision: known already (cache, or no such stack), or being made by a subprocess."""

    def __init__(self, plan: dict[str, Any] | None = None, revision: str = "", run: Any = None, digest: str = "",
                 from_cache: bool = False) -> None:
        self._plan, self._revision, self._run, self._digest = plan, revision, run, digest
        self.from_cache = from_cache
        """True when the plan came from the plan cache (nothing was planned)."""

    @property
    def running(self) -> bool:
        """A subprocess is planning it now."""
        return self._plan is None and self._run is not None and self._run[0].poll() is None

    def cancel(self) -> None:
        """Stop the subprocess (if any) and remove its temporary copy."""
        if self._plan is None and self._run is not None:
            self._run[0].kill()
            self._run[0].communicate()
            self._run[1].cleanup()
            self._run = None

    def result(self) -> dict[str, Any]:
        if self._plan is not None:
            return self._plan
        from . import cache

        process, tmp, out, commit, stack = self._run
        try:
            with progress(f"planning stack {stack} at {self._revision} ({commit[:10]}) on the mock engine..."):
                _, stderr = process.communicate()
            if process.returncode != 0:
                message_lines = stderr.strip().splitlines() or ["no message"]
                if process.returncode == ExitCode.ERROR:
                    raise InputError(f"at revision {self._revision}: " + "\n".join(message_lines))
                raise InputError(f"planning revision {self._revision} failed: {message_lines[-1]}")
            text = out.read_text(encoding="utf-8")
            self._plan = plan_format.load(out)
            cache.store(self._digest, text)
            return self._plan
        finally:
            tmp.cleanup()


def _start_revision(repo: Path, inside: Path, commit: str, revision: str, stack: str) -> tuple:
    """Extract COMMIT with `git archive` into a temporary folder and start planning STACK there."""
    import subprocess
    import tempfile

    tmp = tempfile.TemporaryDirectory(prefix="tcenter-rev-")
    try:
        tree = Path(tmp.name) / "tree"
        tree.mkdir()
        archive = subprocess.Popen(["git", "archive", "--format=tar", commit], cwd=repo, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE)
        unpack = subprocess.run(["tar", "-x", "-C", str(tree)], stdin=archive.stdout, capture_output=True)
        archive.stdout.close()  # type: ignore[union-attr]
        if archive.wait() != 0 or unpack.returncode != 0:
            message = archive.stderr.read().decode().strip()  # type: ignore[union-attr]
            raise InputError(f"could not extract revision {revision!r}: {message}")
        project = tree / inside
        out = Path(tmp.name) / "plan.json"
        env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
        process = subprocess.Popen([sys.executable, "-c", _REVISION_RUNNER, str(TCENTER_ROOT), str(project), stack,
                                    str(out)], cwd=project, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                   text=True)
    except BaseException:
        tmp.cleanup()
        raise
    return process, tmp, out, commit, stack
