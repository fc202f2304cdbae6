"""What an approval binds and `tcenter up` runs: the *subject* of a deployment (issue 31).

The program set is every file of the approved commit's tree except the top-level
`approvals/` folder (the signatures are committed after what they sign): `__main__.py`,
`components/`, `templates/`, `tcenter/`, `policy/`, `Pulumi.yaml`, `stacks/`,
`requirements.txt`, `pyproject.toml`, ... - everything the Pulumi program and its policy
packs can read from their project. `up` deploys a fresh copy of exactly those blobs (read
from git's object database, no checkout filters, no working-tree file), never the working
directory. Submodules and symlinks leaving the tree are refused: their content is not in it.

The subject, canonical JSON hashed into the approval's folder name:
  stack, programTree (git tree id of the program set), planDigest (the mock plan),
  configDigest (the stack's config as Pulumi reads it: Pulumi.yaml's `config` and the stack
  file's), policyPacks [{path, tree, enforcement: mandatory}], tool (tcenter's version and
  plan format), savedPlanDigest (a `pulumi preview --save-plan` file, or null) and base
  (the deployment record it was made against).

Config sources outside the tree are refused: PULUMI_CONFIG and PULUMI_CONFIG_<KEY>
environment variables (the Python SDK merges them into the program's config), ESC
`environment:` imports in the stack file, a `main:` other than the project root (the mock
engine plans `__main__.py` of the root), a `stackConfigDir` leaving the project.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Mapping

import yaml

from ..core.errors import GuardRefused, InputError, UsageError

APPROVALS_DIR = "approvals"
ALLOWED_CONFIG_ENV = ("PULUMI_CONFIG_PASSPHRASE", "PULUMI_CONFIG_PASSPHRASE_FILE")
"""The secrets provider's passphrase: not config the program reads."""
STACK_FILE_KEYS = {"config", "secretsprovider", "encryptedkey", "encryptionsalt"}
"""Top-level keys of a stack file that hold no config from outside it."""
ENFORCEMENT = "mandatory"
"""Every policy of every pack runs at this level: `--policy-pack-config` {"all": "mandatory"}
overrides the levels the pack declares (no remediation changes what was approved)."""


def config_environment_problems(environ: Mapping[str, str]) -> list[str]:
    return sorted(name for name in environ
                  if (name == "PULUMI_CONFIG" or name.startswith("PULUMI_CONFIG_")) and name not in ALLOWED_CONFIG_ENV)


def refuse_config_from_environment(environ: Mapping[str, str]) -> None:
    names = config_environment_problems(environ)
    if names:
        raise GuardRefused(f"refusing: {', '.join(names)} set in the environment would add config the approvals do not "
                           "cover (the Pulumi SDK merges it into the program's config); unset it")


def _git(repo: Path, *args: str, data: bytes | None = None) -> bytes:
    try:
        done = subprocess.run(["git", *args], cwd=repo, input=data, capture_output=True, check=False)
    except FileNotFoundError:
        raise InputError("git is not installed; tcenter deploys a commit of the project") from None
    if done.returncode != 0:
        raise InputError(f"git {' '.join(args[:3])} failed in {repo}: {done.stderr.decode(errors='replace').strip()}")
    return done.stdout


def git_location(project_dir: Path) -> tuple[Path, str]:
    """(the repository's top folder, the project's path inside it: '' or 'organization/')."""
    top = _git(project_dir, "rev-parse", "--show-toplevel").decode().strip()
    prefix = _git(project_dir, "rev-parse", "--show-prefix").decode().strip()
    return Path(top), prefix


def resolve_commit(repo: Path, revision: str) -> str:
    try:
        return _git(repo, "rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}").decode().strip()
    except InputError:
        raise InputError(f"unknown git revision {revision!r} in {repo} (--commit REV)") from None


def _entries(repo: Path, commit: str, recursive: bool) -> list[tuple[str, str, str, str]]:
    """(mode, type, object id, path) of the commit's tree, `approvals/` left out."""
    out = _git(repo, "ls-tree", "-z", "--full-tree", *(["-r"] if recursive else []), commit)
    entries = []
    for line in out.decode("utf-8", "surrogateescape").split("\0"):
        if not line:
            continue
        meta, _, path = line.partition("\t")
        mode, kind, oid = meta.split()
        if path == APPROVALS_DIR or path.startswith(APPROVALS_DIR + "/"):
            continue
        entries.append((mode, kind, oid, path))
    return entries


def program_tree(repo: Path, commit: str) -> str:
    """The git tree id of the commit's root tree without `approvals/`, computed as git
    computes tree objects (nothing is written to the repository)."""
    entries = _entries(repo, commit, recursive=False)

    def order(entry: tuple[str, str, str, str]) -> bytes:
        name = entry[3].encode("utf-8", "surrogateescape")
        return name + b"/" if entry[1] == "tree" else name

    body = b"".join(f"{mode.lstrip('0') if mode == '040000' else mode} ".encode() + path.encode("utf-8", "surrogateescape")
                    + b"\0" + bytes.fromhex(oid) for mode, _, oid, path in sorted(entries, key=order))
    algorithm = "sha1" if not entries or len(entries[0][2]) == 40 else "sha256"
    return hashlib.new(algorithm, b"tree %d\0" % len(body) + body).hexdigest()


def materialize(repo: Path, commit: str, destination: Path) -> None:
    """Write the program set of COMMIT into DESTINATION from git's objects."""
    entries = _entries(repo, commit, recursive=True)
    refused = [path for mode, kind, _, path in entries if kind == "commit"]
    if refused:
        raise GuardRefused(f"refusing: the tree has submodules {refused[:3]}: their content is not in the approved tree")
    blobs = [(mode, oid, path) for mode, kind, oid, path in entries if kind == "blob"]
    batch = _git(repo, "cat-file", "--batch", data="".join(f"{oid}\n" for _, oid, _ in blobs).encode())
    offset = 0
    for mode, _oid, path in blobs:
        header_end = batch.index(b"\n", offset)
        size = int(batch[offset:header_end].split()[2])
        content = batch[header_end + 1:header_end + 1 + size]
        offset = header_end + 1 + size + 1
        target = destination / path
        target.parent.mkdir(parents=True, exist_ok=True)
        if mode == "120000":
            link = PurePosixPath(content.decode("utf-8", "surrogateescape"))
            resolved = os.path.normpath(PurePosixPath(path).parent / link)
            if link.is_absolute() or resolved == ".." or resolved.startswith("../"):
                raise GuardRefused(f"refusing: the symlink {path} -> {link} leaves the approved tree")
            target.symlink_to(str(link))
            continue
        target.write_bytes(content)
        target.chmod(0o755 if mode == "100755" else 0o644)


def _yaml(path: Path, what: str) -> Any:
    try:
        return yaml.safe_load(path.read_text()) or {}
    except (OSError, yaml.YAMLError) as error:
        raise InputError(f"{what} {path.name} cannot be read: {error}") from None


def _inside(root: Path, relative: str) -> bool:
    resolved = os.path.normpath(root / relative)
    return resolved == str(root) or resolved.startswith(str(root) + os.sep)


def project_files(export: Path, stack: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(Pulumi.yaml, the stack file) of the copy, refusing what the mock engine does not plan
    or config from outside the tree."""
    settings = _yaml(export / "Pulumi.yaml", "the project file")
    if not isinstance(settings, dict):
        raise InputError("Pulumi.yaml is not a mapping")
    main = settings.get("main")
    if main is not None and os.path.normpath(str(main)) != ".":
        raise GuardRefused(f"refusing: Pulumi.yaml sets main: {main!r}; the mock engine plans the project root's "
                           "__main__.py, so the approvals would not cover what Pulumi runs (remove `main:`)")
    folder = settings.get("stackConfigDir", ".")
    if not isinstance(folder, str) or not _inside(export, folder):
        raise GuardRefused(f"refusing: stackConfigDir {folder!r} leaves the project")
    stack_file = export / folder / f"Pulumi.{stack}.yaml"
    if not stack_file.is_file():
        raise InputError(f"no stack {stack!r}: {folder}/Pulumi.{stack}.yaml is not in the commit")
    document = _yaml(stack_file, "the stack file")
    outside = sorted(set(document) - STACK_FILE_KEYS) if isinstance(document, dict) else ["(not a mapping)"]
    if outside:
        raise GuardRefused(f"refusing: the stack file Pulumi.{stack}.yaml has {outside}: an ESC `environment` import "
                           "(or any key but config) brings config from outside the approved tree")
    return settings, document


def config_digest(settings: dict[str, Any], document: dict[str, Any]) -> str:
    """The stack's config as Pulumi reads it: project-level defaults, then the stack file's."""
    config = {"project": settings.get("config") or {}, "stack": document.get("config") or {}}
    return hashlib.sha256(json.dumps(config, sort_keys=True, separators=(",", ":"), default=str).encode()).hexdigest()


def policy_packs(repo: Path, commit: str, export: Path, paths: list[str], prefix: str = "") -> list[dict[str, str]]:
    packs = []
    for path in sorted(set(paths)):
        if os.path.isabs(path) or not _inside(export, path) or os.path.normpath(path) == ".":
            raise GuardRefused(f"refusing: policy pack {path!r} is not a folder inside the approved tree")
        relative = os.path.normpath(path)
        if not (export / relative / "PulumiPolicy.yaml").is_file():
            raise GuardRefused(f"refusing: policy pack {relative!r} has no PulumiPolicy.yaml in the approved tree")
        tree = _git(repo, "rev-parse", f"{commit}:{prefix}{relative}").decode().strip()
        packs.append({"path": relative, "tree": tree, "enforcement": ENFORCEMENT})
    return packs


def default_policy_packs(export: Path) -> list[str]:
    return ["policy"] if (export / "policy" / "PulumiPolicy.yaml").is_file() else []


def plan_digest(plan: dict[str, Any]) -> str:
    """SHA-256 of the canonical plan bytes (`tcenter plan STACK` writes the same bytes)."""
    from ..plan.format import dumps

    return hashlib.sha256(dumps(plan).encode()).hexdigest()


def tool_identity() -> dict[str, Any]:
    from importlib.metadata import PackageNotFoundError, version

    from ..plan import format as plan_format

    try:
        tcenter = version("transparency-center")
    except PackageNotFoundError:
        tcenter = "unknown"
    return {"tcenter": tcenter, "planFormat": plan_format.VERSION}


def file_digest(path: Path, what: str) -> str:
    digest = hashlib.sha256()
    try:
        with path.open("rb") as stream:
            for chunk in iter(lambda: stream.read(1 << 20), b""):
                digest.update(chunk)
    except OSError as error:
        raise InputError(f"cannot read {what} {path}: {error.strerror or error}") from None
    return digest.hexdigest()


@dataclass(frozen=True)
class Subject:
    stack: str
    project: str  # the project's folder in the tree ('.' for the top)
    programTree: str  # noqa: N815 - the statement's JSON names
    planDigest: str  # noqa: N815
    configDigest: str  # noqa: N815
    policyPacks: list[dict[str, str]]  # noqa: N815
    tool: dict[str, Any]
    savedPlanDigest: str | None  # noqa: N815
    base: dict[str, Any]
    commit: str = field(default="", compare=False)
    environment: str = field(default="", compare=False)

    def as_dict(self) -> dict[str, Any]:
        body = asdict(self)
        body.pop("commit")
        body.pop("environment")
        return body

    @property
    def digest(self) -> str:
        return hashlib.sha256(json.dumps(self.as_dict(), sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def build_subject(repo: Path, commit: str, export: Path, stack: str, plan: dict[str, Any] | None,
                  packs: list[str] | None, saved_plan: Path | None, base: dict[str, Any],
                  prefix: str = "") -> tuple[Subject, dict[str, Any]]:
    """(the subject, the stack file's config values) of COMMIT of the repository REPO, whose
    project (at PREFIX in the tree) is materialized in EXPORT; without PLAN (not made yet)
    its planDigest is empty."""
    settings, document = project_files(export, stack)
    if packs is not None and not packs:
        raise UsageError("give at least one --policy-pack, or none for the default")
    bound = policy_packs(repo, commit, export, default_policy_packs(export) if packs is None else packs, prefix)
    subject = Subject(stack=stack, project=prefix.rstrip("/") or ".", programTree=program_tree(repo, commit), planDigest=plan_digest(plan) if plan is not None else "",
                      configDigest=config_digest(settings, document), policyPacks=bound, tool=tool_identity(),
                      savedPlanDigest=file_digest(saved_plan, "the saved plan") if saved_plan else None,
                      base=base, commit=commit)
    return subject, document.get("config") or {}
