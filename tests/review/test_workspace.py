"""Which project tcenter plans, walked as a new user would: a clone of the kit in a temporary
directory with a new stack committed there; tcenter run from inside it (cd), and from outside
with -C; `--git` against that clone's history, never tcenter's own checkout."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tcenter.core.stackfiles import PROJECT_ROOT

RUN = "import sys; sys.path.insert(0, {root!r}); from tcenter.cli import main; sys.exit(main(sys.argv[1:]))"


def tcenter(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    """This checkout's tcenter (not the clone's copy), run in CWD."""
    return subprocess.run([sys.executable, "-c", RUN.format(root=str(PROJECT_ROOT)), *args], cwd=cwd,
                          capture_output=True, text=True, timeout=600)


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", *args], cwd=cwd, check=True,
                   capture_output=True)


@pytest.fixture(scope="module")
def clone(tmp_path_factory) -> Path:
    """A copy of this checkout's tracked files as a repository of its own, plus a new stack `ux`."""
    root = tmp_path_factory.mktemp("clone") / "kit"
    root.mkdir()
    files = subprocess.run(["git", "ls-files", "-z"], cwd=PROJECT_ROOT, capture_output=True, check=True).stdout
    for name in filter(None, files.decode().split("\0")):
        source = PROJECT_ROOT / name
        if source.is_file():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, root / name)
    _git(root, "init", "-q")
    _git(root, "add", "-A")
    _git(root, "commit", "-qm", "the kit")
    shutil.copy(root / "stacks" / "Pulumi.dev.yaml", root / "stacks" / "Pulumi.ux.yaml")
    _git(root, "add", "stacks/Pulumi.ux.yaml")
    _git(root, "commit", "-qm", "a new stack")
    return root


def test_a_stack_of_the_checkout_the_user_is_in(clone):
    run = tcenter("plan", "ux", "-o", "ux.json", cwd=clone)
    assert run.returncode == 0, run.stderr
    assert (clone / "ux.json").is_file()


def test_a_missing_stack_names_the_folder_searched(clone):
    run = tcenter("plan", "nope", cwd=clone)
    assert run.returncode == 3 and str(clone / "stacks") in run.stderr, run.stderr


def test_git_revisions_come_from_the_project_given_with_C(clone, tmp_path):
    """Nothing changed between the clone's HEAD and its working tree: no changes, exit 0
    (tcenter's own checkout has no stack `ux`: reading its history would be '... to create')."""
    run = tcenter("-C", str(clone), "diff", "--git", "HEAD", "-s", "ux", cwd=tmp_path)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr
    assert "No changes" in run.stdout


def test_git_revisions_come_from_the_checkout_the_user_is_in(clone):
    run = tcenter("diff", "--git", "HEAD~1", "--git", "HEAD", "-s", "ux", "--format", "json", cwd=clone)
    assert run.returncode == 2, run.stderr  # the stack is new at HEAD: everything is created
    assert '"create": 0' not in run.stdout
