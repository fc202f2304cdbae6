"""M-of-N plan approvals with real keys from ssh-keygen and OpenSSH's own verifier (issue 15)."""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tcenter.supply import approvals
from tcenter.cli import main
from tcenter.core.errors import ExitCode, InputError
from tcenter.plan.workspace import Workspace
from tcenter.live import lifecycle

pytestmark = pytest.mark.skipif(shutil.which("ssh-keygen") is None and not os.environ.get("CI"),
                                reason="ssh-keygen (openssh-client) is not installed; scripts/bootstrap.sh installs it")

STACK = "zurich-prod"
PLAN = {"version": 1, "stack": STACK, "resources": [{"urn": "urn:a", "type": "aws:s3/bucket:Bucket",
                                                      "inputs": {"bucket": "tc-a"}}]}


def _key(tmp: Path, name: str, kind: str = "ed25519") -> tuple[Path, str]:
    path = tmp / f"key-{name}"
    extra = ["-b", "256"] if kind == "ecdsa" else []
    subprocess.run(["ssh-keygen", "-q", "-t", kind, *extra, "-N", "", "-C", name, "-f", str(path)], check=True)
    return path, Path(f"{path}.pub").read_text().strip()


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-c", "user.email=t@t", "-c", "user.name=t", *args], cwd=repo,
                          check=True, capture_output=True, text=True).stdout.strip()


def _commit_stack(repo: Path, approvals_section: dict) -> str:
    (repo / "stacks").mkdir(exist_ok=True)
    (repo / "Pulumi.yaml").write_text("name: transparency-center\nruntime: python\nstackConfigDir: stacks\n")
    document = {"config": {"transparency-center:environment": "prod",
                           "transparency-center:approvals": approvals_section}}
    (repo / "stacks" / f"Pulumi.{STACK}.yaml").write_text(yaml.safe_dump(document))
    _git(repo, "add", "stacks", "Pulumi.yaml")
    _git(repo, "commit", "-q", "-m", "stack")
    return _git(repo, "rev-parse", "HEAD")


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    keys = {name: _key(tmp_path, name, kind) for name, kind in
            (("lab", "ed25519"), ("cert", "ecdsa"), ("third", "ed25519"), ("old", "ed25519"), ("stranger", "ed25519"))}
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q")
    section = {"quorum": 2, "organizations": [
        {"name": "lab", "keys": [{"key": keys["lab"][1]}, {"key": keys["old"][1], "revoked": True}]},
        {"name": "cert", "keys": [{"key": keys["cert"][1]}]},
        {"name": "third", "keys": [{"key": keys["third"][1]}]},
    ]}
    base = _commit_stack(repo, section)
    # The repository holds only the stack file: every plan of the stack is PLAN.
    monkeypatch.setattr(Workspace, "plan_for", lambda self, target: copy.deepcopy(PLAN))
    monkeypatch.setattr(Workspace, "plan", lambda self, stack: copy.deepcopy(PLAN))
    return {"keys": keys, "repo": repo, "base": base, "section": section}


def approve(world, org: str, key: str, plan=PLAN) -> None:
    signature = approvals.sign_approval(world["repo"], STACK, copy.deepcopy(plan), org, str(world["keys"][key][0]),
                                        world["base"])
    assert signature.is_file()


def state(world, plan=PLAN):
    config = approvals.approvals_config_at(STACK, world["base"], world["repo"])
    return approvals.quorum_state(STACK, approvals.plan_digest(plan), config, world["repo"])


def test_quorum_met_allows(world):
    approve(world, "lab", "lab")
    approve(world, "cert", "cert")
    result = state(world)
    assert result.met and sorted(result.counted) == ["cert", "lab"] and result.invalid == []


def test_one_short_is_refused_naming_missing_orgs(world):
    approve(world, "lab", "lab")
    message = approvals.refusal(state(world))
    assert message and "1 of 2" in message and "cert" in message and "third" in message


def test_approval_of_a_different_plan_does_not_count(world):
    changed = copy.deepcopy(PLAN)
    changed["resources"][0]["inputs"]["bucket"] = "tc-b"
    approve(world, "lab", "lab", plan=changed)
    approve(world, "cert", "cert", plan=changed)
    assert not state(world).met
    assert state(world, plan=changed).met


def test_same_org_twice_counts_once(world):
    approve(world, "lab", "lab")
    directory = world["repo"] / "approvals" / STACK / approvals.plan_digest(PLAN)
    # The same organization's signature under a second file name claiming another org.
    shutil.copy(directory / "lab.sig", directory / "cert.sig")
    shutil.copy(directory / "lab.json", directory / "cert.json")
    result = state(world)
    assert result.counted == ["lab"] and not result.met
    assert any(v.org == "cert" for v in result.invalid)


def test_unknown_key_does_not_count(world):
    approve(world, "cert", "stranger")
    result = state(world)
    assert result.counted == [] and "not listed" in result.invalid[0].reason


def test_revoked_key_does_not_count(world):
    approve(world, "lab", "old")
    result = state(world)
    assert result.counted == [] and "revoked" in result.invalid[0].reason


def test_wrong_namespace_does_not_count(world, tmp_path):
    approve(world, "lab", "lab")
    directory = world["repo"] / "approvals" / STACK / approvals.plan_digest(PLAN)
    message = tmp_path / "m"
    shutil.copy(directory / "lab.json", message)
    subprocess.run(["ssh-keygen", "-Y", "sign", "-f", str(world["keys"]["lab"][0]), "-n", "git", str(message)],
                   check=True, capture_output=True)
    shutil.copy(f"{message}.sig", directory / "lab.sig")
    result = state(world)
    assert result.counted == [] and "namespace" in result.invalid[0].reason


def test_change_adding_its_own_approver_does_not_count(world):
    _, newcomer_key = world["keys"]["stranger"]
    section = copy.deepcopy(world["section"])
    section["organizations"].append({"name": "newcomer", "keys": [{"key": newcomer_key}]})
    _commit_stack(world["repo"], section)  # the change under review adds its own approver
    approve(world, "lab", "lab")
    with pytest.raises(InputError, match="not an approver"):
        approve(world, "newcomer", "stranger")
    directory = world["repo"] / "approvals" / STACK / approvals.plan_digest(PLAN)
    # Even a hand-made signature by the newcomer is judged against the base's approvers.
    message = directory / "newcomer.json"
    body = json.loads((directory / "lab.json").read_text()) | {"organization": "newcomer"}
    message.write_text(json.dumps(body))
    subprocess.run(["ssh-keygen", "-Y", "sign", "-f", str(world["keys"]["stranger"][0]), "-n", approvals.NAMESPACE,
                    str(message)], check=True, capture_output=True)
    shutil.move(f"{message}.sig", directory / "newcomer.sig")
    result = state(world)
    assert result.counted == ["lab"] and not result.met


def test_corrupted_signature_is_one_line_refusal_exit_3(world, capsys, monkeypatch, tmp_path):
    approve(world, "lab", "lab")
    approve(world, "cert", "cert")
    directory = world["repo"] / "approvals" / STACK / approvals.plan_digest(PLAN)
    (directory / "cert.sig").write_text("-----BEGIN SSH SIGNATURE-----\ngarbage\n-----END SSH SIGNATURE-----\n")
    calls = _fake_pulumi(monkeypatch, tmp_path)
    code = main(["-C", str(world["repo"]), "up", STACK, "--base", world["base"]])
    err = capsys.readouterr().err
    assert code == 3 and "Traceback" not in err and "cert" in err and "1 of 2" in err
    assert not calls.exists()


def _fake_pulumi(monkeypatch, tmp_path: Path) -> Path:
    """A `pulumi` on PATH that records any call; and no real stack selection either."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    calls = tmp_path / "pulumi-calls"
    fake = bin_dir / "pulumi"
    fake.write_text(f"#!/bin/sh\necho \"$@\" >> {calls}\nexit 1\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    return calls


def test_up_refused_before_pulumi_is_touched(world, capsys, monkeypatch, tmp_path):
    approve(world, "lab", "lab")
    calls = _fake_pulumi(monkeypatch, tmp_path)
    selected = []
    monkeypatch.setattr(lifecycle, "select_stack", lambda *a, **k: selected.append(a))
    assert main(["-C", str(world["repo"]), "up", STACK, "--base", world["base"]]) == 3
    assert "refusing to deploy" in capsys.readouterr().err
    assert not calls.exists() and selected == []


def test_up_with_quorum_reaches_pulumi(world, monkeypatch, tmp_path):
    approve(world, "lab", "lab")
    approve(world, "third", "third")
    _fake_pulumi(monkeypatch, tmp_path)
    ups = []

    class Stack:
        def up(self, **kwargs):
            ups.append(kwargs)

    monkeypatch.setattr(lifecycle, "select_stack", lambda *a, **k: Stack())
    assert main(["-C", str(world["repo"]), "up", STACK, "--base", world["base"]]) == 0
    assert len(ups) == 1


def test_prod_config_needs_two_organizations():
    from components.config import ConfigError, load_config
    from tcenter.core.stackfiles import load_stack_values

    values = load_stack_values("zurich-prod")
    assert load_config(values, "zurich-prod").approvals.quorum >= 2
    values["transparency-center:approvals"] = {"quorum": 1, "organizations": [
        {"name": "solo", "keys": [{"key": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOtAwwqUdCR8EGttkDKM4kO39OovbQdiyScBmAUzWbuy"}]}]}
    with pytest.raises(ConfigError, match=r"transparency-center:approvals\.quorum"):
        load_config(values, "zurich-prod")


def test_altered_statement_does_not_count(world):
    approve(world, "lab", "lab")
    directory = world["repo"] / "approvals" / STACK / approvals.plan_digest(PLAN)
    statement = json.loads((directory / "lab.json").read_text())
    (directory / "lab.json").write_text(json.dumps(statement | {"head": "0" * 40}, indent=2, sort_keys=True) + "\n")
    result = state(world)
    assert result.counted == [] and result.invalid and result.invalid[0].org == "lab"


def test_approvals_command_reports_state(world, capsys):
    approve(world, "lab", "lab")
    approve(world, "cert", "old")  # lab's revoked key, claiming cert
    capsys.readouterr()
    assert main(["-C", str(world["repo"]), "approvals", "p.json", "--stack", STACK, "--base", world["base"]]) == 0
    out = capsys.readouterr().out
    assert "1 of 2" in out and "approved: lab" in out and "missing: cert" in out and "invalid: cert" in out


def test_no_pulumi_cli_is_exit_69(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # no pulumi, nothing else either
    assert main(["preview", "dev"]) == ExitCode.UNAVAILABLE == 69


def test_approve_command_prints_the_summary_and_signs(world, capsys):
    key = str(world["keys"]["lab"][0])
    assert main(["-C", str(world["repo"]), "approve", "p.json", "--stack", STACK, "--key", key, "--org", "lab",
                     "--base", world["base"]]) == 0
    out = capsys.readouterr().out
    assert "resources per zone" in out and "<rich.table.Table object" not in out
    assert state(world).counted == ["lab"]
