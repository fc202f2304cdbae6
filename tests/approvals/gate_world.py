"""A small world for attacking the approval gate: a git repository holding a Pulumi project
with a prod stack, real ssh-keygen keys for the approving organizations, a deployment
ledger (a directory, written here by hand in the documented record format, not by the
code under test), and a fake `pulumi` on PATH that records every call: its arguments, the
directory it ran in, the config variables in its environment and the project files it
could read there (Pulumi.yaml, __main__.py, the policy-pack config and saved plan it was
handed). A bypass is a call of `pulumi up` that no quorum approved."""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

STACK = "zurich-prod"
"""Every revision's program here declares nothing on the mock engine, so every revision has the
same mock plan: the mock plan cannot tell them apart, exactly as it cannot see a program that
behaves differently under the real engine."""
PROJECT_MARKER = "the attacked project"
ORGS = ("lab", "cert", "third")
OUTSIDERS = ("evil1", "evil2")

FAKE_PULUMI = r'''#!{python}
import json, os, sys
argv = sys.argv[1:]
record = {{"argv": argv, "cwd": os.getcwd(),
          "config_env": {{k: v for k, v in os.environ.items()
                         if k.startswith("PULUMI_CONFIG") and not k.startswith("PULUMI_CONFIG_PASSPHRASE")}},
          "files": {{}}}}
for name in ("Pulumi.yaml", "__main__.py"):
    if os.path.isfile(name):
        record["files"][name] = open(name).read()
for flag in ("--policy-pack-config", "--plan", "--save-plan"):
    if flag in argv:
        path = argv[argv.index(flag) + 1]
        record["files"][flag] = open(path).read() if os.path.isfile(path) else None
with open({log!r}, "a") as log:
    log.write(json.dumps(record) + "\n")
if "--event-log" in argv:  # the Automation API waits for the engine's summary in its event log
    with open(argv[argv.index("--event-log") + 1], "a") as events:
        events.write(json.dumps({{"sequence": 0, "timestamp": 0, "summaryEvent": {{"resourceChanges": {{}}}}}}) + "\n")
        events.write(json.dumps({{"sequence": 1, "timestamp": 0, "cancelEvent": {{}}}}) + "\n")
if argv[:1] == ["version"]:
    print("v3.200.0")  # file event logs (newer versions stream them over gRPC)
elif "output" in argv:
    print("{{}}")
elif "history" in argv:
    print(json.dumps([{{"version": 1, "kind": "update", "startTime": "2025-01-01T00:00:00.000Z",
                       "endTime": "2025-01-01T00:00:01.000Z", "message": "", "environment": {{}}, "config": {{}},
                       "result": "succeeded", "resourceChanges": {{}}}}]))
elif "--save-plan" in argv:
    with open(argv[argv.index("--save-plan") + 1], "w") as plan:
        plan.write(json.dumps({{"resourcePlans": {{}}, "fake": True}}))
'''


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-c", "user.email=t@t", "-c", "user.name=t", *args], cwd=repo,
                          check=True, capture_output=True, text=True).stdout.strip()


def ssh_key(folder: Path, name: str) -> tuple[Path, str]:
    path = folder / f"key-{name}"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", str(path)], check=True)
    return path, Path(f"{path}.pub").read_text().strip()


def approvals_section(keys: dict[str, tuple[Path, str]], orgs=ORGS, quorum: int = 2) -> dict[str, Any]:
    return {"quorum": quorum, "organizations": [{"name": org, "keys": [{"key": keys[org][1]}]} for org in orgs]}


@dataclass
class World:
    root: Path
    repo: Path
    ledger: Path
    log: Path
    keys: dict[str, tuple[Path, str]]
    commits: list[str] = field(default_factory=list)

    # --- the project -------------------------------------------------------------------
    def write_stack(self, section: dict[str, Any] | None = None, environment: str = "prod",
                    extra: dict[str, Any] | None = None) -> None:
        config = {"transparency-center:environment": environment}
        if section is not None:
            config["transparency-center:approvals"] = section
        document = {"config": config, **(extra or {})}
        (self.repo / "stacks" / f"Pulumi.{STACK}.yaml").write_text(yaml.safe_dump(document))

    def commit(self, message: str, with_approvals: bool = False) -> str:
        """Commit the project; signatures stay in the working tree unless asked for (as in a
        deploy checkout, where approvals/ arrives after the commit it approves)."""
        git(self.repo, "add", "-A", "--", ".", *([] if with_approvals else [":!approvals"]))
        git(self.repo, "commit", "-q", "--allow-empty", "-m", message)
        sha = git(self.repo, "rev-parse", "HEAD")
        self.commits.append(sha)
        return sha

    # --- the deployment ledger (the documented record format, written independently) --
    def record_deployed(self, commit: str, environment: str | None = None,
                        section: dict[str, Any] | None = None) -> Path:
        """What the last successful `up` wrote: the deployed commit and its approvers."""
        text = git(self.repo, "show", f"{commit}:stacks/Pulumi.{STACK}.yaml")
        config = yaml.safe_load(text)["config"]
        folder = self.ledger / STACK
        folder.mkdir(parents=True, exist_ok=True)
        existing = sorted(folder.glob("*.json"))
        previous = hashlib.sha256(existing[-1].read_bytes()).hexdigest() if existing else None
        record = {
            "format": "transparency-center-deployment", "version": 1, "stack": STACK,
            "sequence": len(existing) + 1, "previous": previous,
            "commit": commit, "tree": git(self.repo, "rev-parse", f"{commit}^{{tree}}"),
            "environment": environment or config["transparency-center:environment"],
            "approvals": section if section is not None else config.get("transparency-center:approvals", {}),
            "deployedAt": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        path = folder / f"{record['sequence']:08d}.json"
        path.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n")
        return path

    # --- what pulumi was asked to do ----------------------------------------------------
    def calls(self) -> list[dict[str, Any]]:
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text().splitlines()]

    def ups(self) -> list[dict[str, Any]]:
        return [c for c in self.calls() if "up" in c["argv"]]


def make_world(tmp_path: Path, monkeypatch) -> World:
    keys = {name: ssh_key(tmp_path, name) for name in (*ORGS, *OUTSIDERS)}
    repo = tmp_path / "repo"
    (repo / "stacks").mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    world = World(tmp_path, repo, tmp_path / "ledger", tmp_path / "pulumi-calls", keys)
    (repo / "Pulumi.yaml").write_text(
        f"name: transparency-center\ndescription: {PROJECT_MARKER}\nruntime: python\nstackConfigDir: stacks\n")
    (repo / "__main__.py").write_text("# the deployed program, version 1\n")
    (repo / "policy").mkdir()
    (repo / "policy" / "PulumiPolicy.yaml").write_text("runtime: python\n")
    (repo / "policy" / "__main__.py").write_text("# the invariants pack\n")
    world.write_stack(approvals_section(keys))
    deployed = world.commit("deployed baseline")
    world.record_deployed(deployed)
    (repo / "__main__.py").write_text("# the program under review, version 2\n")
    world.commit("the change under review")

    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "pulumi"
    fake.write_text(FAKE_PULUMI.format(python=sys.executable, log=str(world.log)))
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("PULUMI_BACKEND_URL", f"file://{tmp_path / 'state'}")
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", "test")
    monkeypatch.setenv("TCENTER_LEDGER", f"file://{world.ledger}")
    for name in [n for n in os.environ if n.startswith("PULUMI_CONFIG") and not n.startswith("PULUMI_CONFIG_PASS")]:
        monkeypatch.delenv(name)

    # The gate's own code: a clean checkout that is not the project being deployed.
    trusted = tmp_path / "trusted"
    trusted.mkdir()
    git(trusted, "init", "-q")
    git(trusted, "commit", "-q", "--allow-empty", "-m", "trusted gate")
    from tcenter.supply import approvals

    monkeypatch.setattr(approvals, "GATE_ROOT", trusted, raising=False)
    return world
