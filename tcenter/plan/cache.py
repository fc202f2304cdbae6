"""The plan cache: plans of git revisions, keyed by everything a plan depends on.

A revision's plan is a function of
- the program at that revision: the git object ids (tree or blob) of the project's top-level
  entries that make the program (`__main__.py`, `Pulumi.yaml`, `components/`, `templates/`,
  `pyproject.toml`, ...: every entry but `NOT_PROGRAM`), and of the repository root's when the
  project is a folder inside it (the organization project imports the kit's `components`);
- the stack's config at that revision: the blob id of its stack file;
- the tcenter that plans it (this checkout's): its version and a digest of the sources that make
  plans (`PLAN_SOURCES`: the engine and its stand-in values, the plan format, the stack file reader);
- the Python that runs it and the installed packages (the names of the `*.dist-info` folders
  next to pulumi and pulumi-aws: pulumi, pulumi-aws, pydantic, jinja2, PyYAML and the rest).
Change any of these and the key changes: a fresh plan. Git object ids are content hashes, so
the same key means the same inputs in any checkout; entries live in tcenter.core.cachedir
(content-addressed, written atomically) and are safe to share.

Two revisions whose program and stack file are the same have the same plan: `same_program`
answers that from the object ids alone, without planning.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from ..core import cachedir

KIND = "plans"
ENTRY_FORMAT = "tcenter-plan-cache/1"
NOT_PROGRAM = frozenset({".ci", ".github", ".gitignore", ".tcenter-cache", "bench", "docs", "organization", "policy",
                         "scripts", "tcenter", "tests", "checkov-suppressions.yaml", "validation-suppressions.yaml"})
"""Top-level entries of the kit that the program never reads (documentation, tests, tcenter itself,
the policy pack, the other Pulumi project). Markdown files are left out too. Everything else counts."""
PLAN_SOURCES = ("tcenter/__init__.py", "tcenter/core", "tcenter/plan", "components/awsfacts.py")
"""The parts of this checkout that make a plan of any revision (relative to tcenter's root)."""
PACKAGE_MODULES = ("pulumi", "pulumi_aws", "pydantic", "jinja2", "yaml")


def _git(repo: Path, *args: str) -> str | None:
    done = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=False)
    return done.stdout if done.returncode == 0 else None


def _entries(repo: Path, commit: str, folder: str) -> dict[str, str]:
    """{name: object id} of FOLDER's entries at COMMIT ('' for the root)."""
    listing = _git(repo, "ls-tree", "-z", commit, "--", f"{folder}/" if folder else ".") or ""
    out = {}
    for line in filter(None, listing.split("\0")):
        meta, _, path = line.partition("\t")
        out[path.rsplit("/", 1)[-1]] = meta.split()[2]
    return out


def _program(entries: dict[str, str], stack_folder: str) -> dict[str, str]:
    return {name: oid for name, oid in sorted(entries.items())
            if name not in NOT_PROGRAM and not name.endswith(".md") and name != stack_folder.split("/")[0]}


@functools.lru_cache(maxsize=64)
def program_key(repo: Path, commit: str, inside: str, stack: str) -> dict[str, Any] | None:
    """What the plan of STACK at COMMIT depends on in the repository (object ids); None when the
    stack has no file at that revision."""
    import yaml

    folder = "" if inside in ("", ".") else inside.rstrip("/")
    settings = _git(repo, "show", f"{commit}:{folder + '/' if folder else ''}Pulumi.yaml")
    if settings is None:
        return None
    try:
        stack_folder = str((yaml.safe_load(settings) or {}).get("stackConfigDir", ".")).strip("/") or "."
    except yaml.YAMLError:
        stack_folder = "."
    stack_path = "/".join(p for p in (folder, "" if stack_folder == "." else stack_folder, f"Pulumi.{stack}.yaml") if p)
    stack_blob = _entries(repo, commit, stack_path.rsplit("/", 1)[0] if "/" in stack_path else "").get(f"Pulumi.{stack}.yaml")
    if stack_blob is None:
        return None
    key = {"stack": stack, "stack_file": stack_blob, "program": _program(_entries(repo, commit, folder), stack_folder)}
    if folder:
        key["repository"] = _program(_entries(repo, commit, ""), "stacks")
    return key


def _digest_files(root: Path, relative: tuple[str, ...]) -> str:
    h = hashlib.sha256()
    for part in relative:
        path = root / part
        files = sorted(path.rglob("*.py")) if path.is_dir() else [path]
        for file in files:
            if file.is_file() and "__pycache__" not in file.parts:
                h.update(str(file.relative_to(root)).encode() + b"\0" + file.read_bytes() + b"\0")
    return h.hexdigest()


@functools.cache
def environment(tcenter_root: Path) -> dict[str, Any]:
    """The planning tcenter, Python and packages."""
    from .. import __version__

    folders = set()
    for module in PACKAGE_MODULES:
        spec = importlib.util.find_spec(module)
        if spec is not None and spec.submodule_search_locations:
            folders.add(Path(list(spec.submodule_search_locations)[0]).parent)
    packages = sorted(name for folder in folders for name in os.listdir(folder) if name.endswith(".dist-info"))
    return {"python": sys.version, "implementation": sys.implementation.name, "packages": packages,
            "tcenter": __version__, "tcenter_sources": _digest_files(tcenter_root, PLAN_SOURCES)}


def key(program: dict[str, Any], tcenter_root: Path) -> str:
    return cachedir.digest({"entry": ENTRY_FORMAT, "program": program, "environment": environment(tcenter_root)})


def load(digest: str) -> dict[str, Any] | None:
    data = cachedir.read(KIND, digest)
    if data is None:
        return None
    try:
        return json.loads(data)
    except ValueError:
        return None  # a damaged entry is no entry: planned again, and written whole


def store(digest: str, plan_text: str) -> None:
    cachedir.write(KIND, digest, plan_text.encode("utf-8"))
