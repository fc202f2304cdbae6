"""The plan cache (tcenter/plan/cache.py), on a clone of the kit with commits of its own: a
revision is planned once, then read back; every input of a plan changes its key (a fresh plan);
entries are shared between checkouts; two revisions are planned at the same time; two revisions
with the same program and stack file are "no change" without planning."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tcenter.core import cachedir
from tcenter.core.stackfiles import PROJECT_ROOT
from tcenter.plan import cache
from tcenter.plan.workspace import Workspace

STACK = "dev"


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", *args], cwd=cwd,
                          check=True, capture_output=True, text=True).stdout.strip()


def _commit(root: Path, path: str, text: str, message: str) -> str:
    (root / path).parent.mkdir(parents=True, exist_ok=True)
    with open(root / path, "a", encoding="utf-8") as handle:
        handle.write(text)
    _git(root, "add", path)
    _git(root, "commit", "-qm", message)
    return _git(root, "rev-parse", "HEAD")


@pytest.fixture(scope="module")
def kit(tmp_path_factory) -> dict:
    """A repository holding this checkout's tracked files; its first commit planned once (cold)."""
    root = tmp_path_factory.mktemp("cache-clone") / "kit"
    root.mkdir()
    files = subprocess.run(["git", "ls-files", "-z"], cwd=PROJECT_ROOT, capture_output=True, check=True).stdout
    for name in filter(None, files.decode().split("\0")):
        if (PROJECT_ROOT / name).is_file():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(PROJECT_ROOT / name, root / name)
    # the cache is shared: another clone of the same files (test_workspace's) has the same key;
    # a program of its own makes this one's first plan a cold one
    with open(root / "components" / "layout.py", "a", encoding="utf-8") as handle:
        handle.write(f"\n# {root.parent.name}\n")
    _git(root, "init", "-q")
    _git(root, "add", "-A")
    _git(root, "commit", "-qm", "the kit")
    first = _git(root, "rev-parse", "HEAD")
    pending = Workspace(root).start_plan_at(first, STACK)
    assert not pending.from_cache and pending.running
    plan = pending.result()
    return {"root": root, "first": first, "plan": plan}


def _fresh(root: Path, revision: str) -> bool:
    """Whether planning REVISION would plan (not read the cache); the plan started is stopped."""
    pending = Workspace(root).start_plan_at(revision, STACK)
    fresh = not pending.from_cache
    pending.cancel()
    return fresh


def test_a_revision_is_planned_once_then_read_back(kit):
    again = Workspace(kit["root"]).start_plan_at(kit["first"], STACK)
    assert again.from_cache and not again.running
    assert again.result() == kit["plan"]
    assert len(kit["plan"]["resources"]) > 300


def test_the_cache_is_shared_between_checkouts(kit, tmp_path):
    other = tmp_path / "other-checkout"
    subprocess.run(["git", "clone", "-q", str(kit["root"]), str(other)], check=True)
    pending = Workspace(other).start_plan_at(kit["first"], STACK)
    assert pending.from_cache and pending.result() == kit["plan"]


def test_a_change_to_the_program_or_the_stack_file_is_planned_afresh(kit):
    root = kit["root"]
    program = _commit(root, "components/layout.py", "\n# a change to the program\n", "program")
    assert _fresh(root, program)
    stack_file = _commit(root, f"stacks/Pulumi.{STACK}.yaml", "\n# a change to the stack's config\n", "config")
    assert _fresh(root, stack_file)
    assert not _fresh(root, kit["first"])


@pytest.mark.parametrize("what", ["tcenter-version", "tcenter-sources", "python", "packages"])
def test_a_change_to_the_planning_environment_is_planned_afresh(kit, what, monkeypatch, tmp_path):
    root, first = kit["root"], kit["first"]
    assert not _fresh(root, first)
    cache.environment.cache_clear()
    if what == "tcenter-version":
        import tcenter

        monkeypatch.setattr(tcenter, "__version__", tcenter.__version__ + ".post1")
    elif what == "tcenter-sources":
        copy = tmp_path / "tcenter-root"
        for part in cache.PLAN_SOURCES:
            source, target = PROJECT_ROOT / part, copy / part
            if source.is_dir():
                shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, target)
        program = cache.program_key(root, first, ".", STACK)
        assert cache.key(program, copy) == cache.key(program, PROJECT_ROOT), "the same sources, the same key"
        with open(copy / "tcenter" / "plan" / "engine.py", "a", encoding="utf-8") as handle:
            handle.write("\n# the engine changed\n")
        cache.environment.cache_clear()
        assert cache.key(program, copy) != cache.key(program, PROJECT_ROOT)
        monkeypatch.setattr("tcenter.plan.workspace.TCENTER_ROOT", copy)
    elif what == "python":
        monkeypatch.setattr(sys, "version", sys.version + " (another build)")
    else:
        site = tmp_path / "site"
        (site / "fakeprovider").mkdir(parents=True)
        (site / "fakeprovider" / "__init__.py").write_text("")
        (site / "fakeprovider-1.0.dist-info").mkdir()
        monkeypatch.syspath_prepend(str(site))
        monkeypatch.setattr(cache, "PACKAGE_MODULES", cache.PACKAGE_MODULES + ("fakeprovider",))
        cache.environment.cache_clear()
        before = cache.environment(PROJECT_ROOT)
        (site / "fakeprovider-1.0.dist-info").rename(site / "fakeprovider-1.1.dist-info")
        cache.environment.cache_clear()
        assert cache.environment(PROJECT_ROOT) != before
    cache.environment.cache_clear()
    try:
        assert _fresh(root, first)
    finally:
        monkeypatch.undo()
        cache.environment.cache_clear()
    assert not _fresh(root, first)


def test_two_uncached_revisions_are_planned_at_the_same_time(kit):
    root = kit["root"]
    a = _commit(root, "components/layout.py", "\n# parallel a\n", "a")
    b = _commit(root, "components/layout.py", "\n# parallel b\n", "b")
    pending = [Workspace(root).start_plan_at(revision, STACK) for revision in (a, b)]
    try:
        assert all(p.running for p in pending), "both subprocesses started before either is awaited"
    finally:
        for p in pending:
            p.cancel()


def test_the_same_program_at_two_revisions_is_no_change_without_planning(kit):
    root = kit["root"]
    before = _git(root, "rev-parse", "HEAD")
    after = _commit(root, "docs/notes.md", "\nnot the program\n", "docs only")
    workspace = Workspace(root)
    assert workspace.same_program([before, after], STACK)
    entries = sorted((Path(cachedir.root()) / cache.KIND).glob("*.json"))
    run = subprocess.run([sys.executable, "-m", "tcenter", "-C", str(root), "diff", "--git", before, "--git", after,
                          "-s", STACK], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0 and "No changes" in run.stdout, run.stdout + run.stderr
    assert sorted((Path(cachedir.root()) / cache.KIND).glob("*.json")) == entries, "nothing was planned"
    changed = _commit(root, "components/layout.py", "\n# the program again\n", "program")
    assert not workspace.same_program([after, changed], STACK)


def test_a_damaged_entry_is_planned_again(kit):
    program = cache.program_key(kit["root"], kit["first"], ".", STACK)
    entry = Path(cachedir.root()) / cache.KIND / f"{cache.key(program, PROJECT_ROOT)}.json"
    text = entry.read_text()
    try:
        entry.write_text(text[: len(text) // 2])
        assert cache.load(entry.stem) is None
        assert _fresh(kit["root"], kit["first"])
    finally:
        entry.write_text(text)
    assert json.loads(entry.read_text()) == kit["plan"]
