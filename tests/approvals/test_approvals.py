"""M-of-N approvals with real keys from ssh-keygen and OpenSSH's own verifier (issues 15, 31):
forged or misplaced signatures never count, the subject is what git and Pulumi see, the
saved Pulumi plan is wired through the Automation API, and the ledger records each deployment."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tcenter.cli import main
from tcenter.core.errors import ExitCode
from tcenter.supply import approvals, deployment, ledger, subject

from .gate_world import STACK, approvals_section, git, make_world

pytestmark = pytest.mark.skipif(shutil.which("ssh-keygen") is None and not os.environ.get("CI"),
                                reason="ssh-keygen (openssh-client) is not installed; scripts/bootstrap.sh installs it")


@pytest.fixture
def world(tmp_path, monkeypatch):
    return make_world(tmp_path, monkeypatch)


def cli(*argv: str) -> int:
    try:
        return main(list(argv))
    except SystemExit as exit:
        return int(exit.code)


def approve(world, org: str, key: str | None = None, *extra: str) -> int:
    return cli("-C", str(world.repo), "approve", STACK, "--key", str(world.keys[key or org][0]), "--org", org, *extra)


def up(world, *extra: str) -> int:
    return cli("-C", str(world.repo), "up", STACK, *extra)


def approval_dir(world) -> Path:
    [folder] = [p for p in (world.repo / "approvals" / STACK).iterdir() if p.is_dir()]
    return folder


def test_one_short_is_refused_naming_the_missing_organizations(world, capsys):
    assert approve(world, "lab") == 0
    capsys.readouterr()
    assert up(world) == ExitCode.ERROR
    err = capsys.readouterr().err
    assert "1 of 2" in err and "cert" in err and "third" in err and world.ups() == []


def test_the_same_organization_twice_counts_once(world, capsys):
    assert approve(world, "lab") == 0
    folder = approval_dir(world)
    shutil.copy(folder / "lab.sig", folder / "cert.sig")
    shutil.copy(folder / "lab.json", folder / "cert.json")
    capsys.readouterr()
    assert up(world) == ExitCode.ERROR
    err = capsys.readouterr().err
    assert "1 of 2" in err and "cert: statement names organization 'lab'" in err and world.ups() == []


def _forge(world, org: str, key: str) -> None:
    """An approval for ORG signed with KEY, made by hand (approve refuses to make it)."""
    folder = approval_dir(world)
    statement = json.loads((folder / "lab.json").read_text()) | {"organization": org}
    body = folder / f"{org}.json"
    body.write_text(json.dumps(statement, indent=2, sort_keys=True) + "\n")
    subprocess.run(["ssh-keygen", "-Y", "sign", "-f", str(world.keys[key][0]), "-n", approvals.NAMESPACE, str(body)],
                   check=True, capture_output=True)
    Path(f"{body}.sig").rename(folder / f"{org}.sig")


def test_approve_refuses_a_key_not_listed_for_the_organization(world, capsys):
    """It signed and exited 0 before; only a later `approvals` said the key was not listed."""
    assert approve(world, "cert", "evil1") == ExitCode.ERROR  # cert's name, an outsider's key
    assert "is not one of cert's keys" in capsys.readouterr().err
    assert not (world.repo / "approvals").exists() or not list((world.repo / "approvals").rglob("cert.sig"))


def test_a_key_not_listed_for_the_organization_does_not_count(world, capsys):
    assert approve(world, "lab") == 0
    _forge(world, "cert", "evil1")
    capsys.readouterr()
    assert up(world) == ExitCode.ERROR
    assert "signed by a key not listed for cert" in capsys.readouterr().err and world.ups() == []


def test_a_revoked_key_does_not_count(world, capsys):
    section = approvals_section(world.keys)
    section["organizations"][1]["keys"] = [{"key": world.keys["evil1"][1], "revoked": True},
                                           {"key": world.keys["cert"][1]}]
    world.record_deployed(world.commits[0], section=section)
    assert approve(world, "lab") == 0
    assert approve(world, "cert", "evil1") == ExitCode.ERROR  # approve refuses a revoked key
    assert "revoked key of cert" in capsys.readouterr().err
    _forge(world, "cert", "evil1")
    capsys.readouterr()
    assert up(world) == ExitCode.ERROR
    assert "cert: signed with a revoked key" in capsys.readouterr().err and world.ups() == []


def test_a_signature_in_another_namespace_does_not_count(world, capsys, tmp_path):
    assert approve(world, "lab") == 0
    assert approve(world, "cert") == 0
    folder = approval_dir(world)
    message = tmp_path / "m"
    shutil.copy(folder / "cert.json", message)
    subprocess.run(["ssh-keygen", "-Y", "sign", "-f", str(world.keys["cert"][0]), "-n", "git", str(message)],
                   check=True, capture_output=True)
    shutil.copy(f"{message}.sig", folder / "cert.sig")
    capsys.readouterr()
    assert up(world) == ExitCode.ERROR
    assert "namespace" in capsys.readouterr().err and world.ups() == []


def test_an_altered_statement_does_not_count(world, capsys):
    assert approve(world, "lab") == 0
    assert approve(world, "cert") == 0
    path = approval_dir(world) / "cert.json"
    statement = json.loads(path.read_text())
    statement["expires"] = "2999-01-01T00:00:00Z"
    path.write_text(json.dumps(statement, indent=2, sort_keys=True) + "\n")
    capsys.readouterr()
    assert up(world) == ExitCode.ERROR and world.ups() == []
    assert "cert:" in capsys.readouterr().err


def test_a_corrupted_signature_is_a_one_line_refusal(world, capsys):
    assert approve(world, "lab") == 0
    assert approve(world, "cert") == 0
    (approval_dir(world) / "cert.sig").write_text("-----BEGIN SSH SIGNATURE-----\ngarbage\n-----END SSH SIGNATURE-----\n")
    capsys.readouterr()
    assert up(world) == ExitCode.ERROR
    err = capsys.readouterr().err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1 and "1 of 2" in err and world.ups() == []


def test_an_organization_that_is_no_approver_of_the_base_cannot_sign(world, capsys):
    assert approve(world, "evil1") == ExitCode.ERROR
    assert "not an approver" in capsys.readouterr().err


def test_an_approval_lives_no_longer_than_the_base_allows(world, capsys):
    assert approve(world, "lab", None, "--valid-days", "30") == ExitCode.ERROR
    assert "1..3" in capsys.readouterr().err
    assert approve(world, "lab", None, "--valid-days", "1") == 0
    statement = json.loads((approval_dir(world) / "lab.json").read_text())
    assert statement["expires"] > statement["issuedAt"]


def test_the_approvals_command_reports_the_state(world, capsys):
    assert approve(world, "lab") == 0
    _forge(world, "cert", "evil1")
    capsys.readouterr()
    assert cli("-C", str(world.repo), "approvals", STACK) == ExitCode.NOT_APPROVED
    out = capsys.readouterr().out
    assert "1 of 2" in out and "approved: lab" in out and "missing: cert" in out and "invalid: cert" in out


def test_the_approve_command_prints_the_summary_and_what_it_signs(world, capsys):
    assert approve(world, "lab") == 0
    out = capsys.readouterr().out
    assert "resources per zone" in out and git(world.repo, "rev-parse", "HEAD") in out and "program tree" in out


def test_a_bypass_attempt_in_the_prod_config_itself_is_refused():
    from components.config import ConfigError, load_config
    from tcenter.core.stackfiles import load_stack_values

    values = load_stack_values("zurich-prod")
    assert load_config(values, "zurich-prod").approvals.quorum >= 2
    key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOtAwwqUdCR8EGttkDKM4kO39OovbQdiyScBmAUzWbuy"
    for section, message in (
            ({"quorum": 1, "organizations": [{"name": "solo", "keys": [{"key": key}]}]}, "at least 2"),
            ({"quorum": 2, "organizations": [{"name": "a", "keys": [{"key": key}]}, {"name": "b", "keys": [{"key": key}]}]},
             "one key, one organization"),
            ({"quorum": 2, "expiryDays": 30, "organizations": values["transparency-center:approvals"]["organizations"]},
             "within 7 days")):
        values["transparency-center:approvals"] = section
        with pytest.raises(ConfigError, match=message):
            load_config(values, "zurich-prod")


# --- the subject is what git and Pulumi see ------------------------------------------------

def test_the_program_tree_is_gits_tree_without_the_approvals_folder(world):
    repo = world.repo
    head = git(repo, "rev-parse", "HEAD")
    assert subject.program_tree(repo, head) == git(repo, "rev-parse", "HEAD^{tree}")
    (repo / "approvals" / STACK / "x").mkdir(parents=True)
    (repo / "approvals" / STACK / "x" / "lab.json").write_text("{}")
    with_approvals = world.commit("approvals committed after the approved commit", with_approvals=True)
    assert git(repo, "rev-parse", f"{with_approvals}^{{tree}}") != git(repo, "rev-parse", "HEAD~1^{tree}")
    assert subject.program_tree(repo, with_approvals) == subject.program_tree(repo, head)


def test_the_copy_holds_exactly_the_commits_blobs(world, tmp_path):
    repo = world.repo
    (repo / "run.sh").write_text("#!/bin/sh\n")
    (repo / "run.sh").chmod(0o755)
    (repo / "link").symlink_to("Pulumi.yaml")
    commit = world.commit("an executable and an inner link")
    (repo / "__main__.py").write_text("# uncommitted\n")
    destination = tmp_path / "copy"
    subject.materialize(repo, commit, destination)
    assert (destination / "__main__.py").read_text() == "# the program under review, version 2\n"
    assert os.access(destination / "run.sh", os.X_OK) and (destination / "link").is_symlink()
    assert git(repo, "ls-tree", "-r", "--name-only", commit).split() == sorted(
        str(p.relative_to(destination)) for p in destination.rglob("*") if p.is_file() or p.is_symlink())


def test_a_symlink_leaving_the_tree_is_refused(world, capsys):
    (world.repo / "secrets").symlink_to("/etc")
    world.commit("a link out of the tree")
    assert up(world) == ExitCode.ERROR
    assert "leaves the approved tree" in capsys.readouterr().err and world.ups() == []


def test_the_gate_code_must_be_a_clean_checkout_elsewhere(tmp_path):
    gate = tmp_path / "gate"
    (gate / "tcenter").mkdir(parents=True)
    (gate / "tcenter" / "x.py").write_text("x = 1\n")
    git(gate, "init", "-q")
    git(gate, "add", "-A")
    git(gate, "commit", "-q", "-m", "gate")
    project = tmp_path / "project"
    project.mkdir()
    assert approvals.gate_code_problems(gate, project) == []
    assert "checkout being deployed" in approvals.gate_code_problems(gate, gate)[0]
    (gate / "tcenter" / "x.py").write_text("x = 2  # patched\n")
    assert "local changes" in approvals.gate_code_problems(gate, project)[0]
    git(gate, "checkout", "-q", "--", ".")
    (gate / "tcenter" / "extra.py").write_text("")
    assert "local changes" in approvals.gate_code_problems(gate, project)[0]
    assert "not a git checkout" in approvals.gate_code_problems(tmp_path / "project", tmp_path / "elsewhere")[0]


# --- the saved Pulumi plan, through the Automation API ---------------------------------------

def test_preview_saves_a_plan_that_up_enforces_once_approved(world, tmp_path, capsys):
    saved = tmp_path / "saved-plan.json"
    assert cli("-C", str(world.repo), "preview", STACK, "--save-plan", str(saved)) == 0
    [preview] = [c for c in world.calls() if "preview" in c["argv"]]
    assert preview["argv"][preview["argv"].index("--save-plan") + 1] == str(saved) and saved.is_file()
    assert approve(world, "lab", None, "--saved-plan", str(saved)) == 0
    assert approve(world, "cert", None, "--saved-plan", str(saved)) == 0
    assert up(world) == ExitCode.ERROR and world.ups() == []  # approved with the saved plan, not without
    other = tmp_path / "other-plan.json"
    other.write_text(json.dumps({"resourcePlans": {"urn:extra": {}}}))
    capsys.readouterr()
    assert up(world, "--plan", str(other)) == ExitCode.ERROR and world.ups() == []
    assert "saved plan" in capsys.readouterr().err
    assert up(world, "--plan", str(saved)) == 0
    [call] = world.ups()
    assert call["argv"][call["argv"].index("--plan") + 1] == str(saved)
    assert call["files"]["--plan"] == saved.read_text()


# --- the deployment ledger --------------------------------------------------------------------

def test_a_successful_up_records_the_next_base(world, capsys):
    assert approve(world, "lab") == 0
    assert approve(world, "cert") == 0
    first = sorted((world.ledger / STACK).glob("*.json"))[-1]
    assert up(world) == 0
    records = sorted((world.ledger / STACK).glob("*.json"))
    assert [p.name for p in records] == ["00000001.json", "00000002.json"]
    record = json.loads(records[-1].read_text())
    import hashlib

    assert record["previous"] == hashlib.sha256(first.read_bytes()).hexdigest()
    assert record["commit"] == git(world.repo, "rev-parse", "HEAD") and record["approvedBy"] == ["cert", "lab"]
    assert record["environment"] == "prod" and record["approvals"]["quorum"] == 2
    # The same approvals do not deploy twice: the base moved.
    assert up(world) == ExitCode.ERROR and len(world.ups()) == 1


def test_the_first_deployment_needs_bootstrap_and_the_commits_own_quorum(world, capsys):
    shutil.rmtree(world.ledger)
    assert approve(world, "lab") == ExitCode.ERROR  # no base: nobody can say who approves
    assert approve(world, "lab", None, "--bootstrap") == 0
    assert approve(world, "cert", None, "--bootstrap") == 0
    capsys.readouterr()
    assert up(world) == ExitCode.ERROR and "--bootstrap" in capsys.readouterr().err and world.ups() == []
    assert up(world, "--bootstrap") == 0 and len(world.ups()) == 1
    assert json.loads((world.ledger / STACK / "00000001.json").read_text())["bootstrap"] is True
    assert up(world, "--bootstrap") == ExitCode.USAGE  # never twice


def test_a_gated_stack_without_a_ledger_is_refused(world, capsys, monkeypatch):
    monkeypatch.delenv("TCENTER_LEDGER")
    assert up(world) == ExitCode.ERROR and world.ups() == []
    assert "ledger" in capsys.readouterr().err


def test_the_s3_ledger_writes_create_only(tmp_path):
    boto3 = pytest.importorskip("boto3")
    moto = pytest.importorskip("moto")
    with moto.mock_aws():
        client = boto3.client("s3", region_name="eu-central-2")
        client.create_bucket(Bucket="archive", CreateBucketConfiguration={"LocationConstraint": "eu-central-2"})
        s3 = ledger.S3Ledger("archive", "deployments/", client)
        assert s3.head(STACK) is None
        entry = ledger.new_record(STACK, None, commit="c1", tree="t1", environment="prod",
                                  approvals={"quorum": 2}, extra={})
        written = s3.append(STACK, entry)
        head = s3.head(STACK)
        assert head is not None and head.digest == written.digest and head.sequence == 1
        with pytest.raises(Exception, match="PreconditionFailed|412"):
            s3.append(STACK, dict(entry, commit="c2"))  # never overwritten
        second = s3.append(STACK, ledger.new_record(STACK, head, commit="c2", tree="t2", environment="prod",
                                                    approvals={"quorum": 2}, extra={}))
        assert s3.head(STACK).sequence == 2 and second.data["previous"] == head.digest


def test_no_pulumi_cli_is_exit_69(monkeypatch, tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "git").symlink_to(shutil.which("git"))  # git only: the commit is read, Pulumi is missing
    monkeypatch.setenv("PATH", str(bin_dir))

    def planned(*args, **kwargs):
        raise AssertionError("planned before saying that the Pulumi CLI is missing")

    monkeypatch.setattr(deployment, "prepare", planned)
    assert cli("preview", "dev") == ExitCode.UNAVAILABLE == 69


def test_a_project_in_a_subfolder_runs_there_and_needs_its_own_approvals(world, capsys):
    sub = world.repo / "infra"
    (sub / "stacks").mkdir(parents=True)
    (sub / "Pulumi.yaml").write_text("name: infra\ndescription: the sub project\nruntime: python\nstackConfigDir: stacks\n")
    (sub / "__main__.py").write_text("# the sub project\n")
    shutil.copy(world.repo / "stacks" / f"Pulumi.{STACK}.yaml", sub / "stacks")
    world.commit("a second project in a subfolder")
    assert approve(world, "lab") == 0 and approve(world, "cert") == 0  # the top project, same tree
    assert cli("-C", str(sub), "up", STACK) == ExitCode.ERROR and world.ups() == []
    assert "project folder" in capsys.readouterr().err
    for org in ("lab", "cert"):
        assert cli("-C", str(sub), "approve", STACK, "--key", str(world.keys[org][0]), "--org", org) == 0
    assert cli("-C", str(sub), "up", STACK) == 0
    [call] = world.ups()
    assert call["cwd"].endswith("/infra") and "the sub project" in call["files"]["Pulumi.yaml"]
    assert len([p for p in (world.repo / "approvals" / STACK).iterdir()]) == 2  # at the repository's top
