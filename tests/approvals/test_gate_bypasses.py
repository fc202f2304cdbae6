"""Attacks on the approval gate (issue 31): each one reached `pulumi up` with a change no quorum
approved before the gate bound what will run; each must now be refused before the Pulumi CLI
updates anything. The honest path is shown to reach Pulumi, so a refusal means something.

World: gate_world.py (a project repository, real ssh-keygen keys, a deployment ledger and
a fake `pulumi` recording its calls). Commit 1 is deployed (the ledger says so), commit 2 is
the change under review; the organizations lab, cert and third approve with quorum 2."""

from __future__ import annotations

import datetime
import json
import os
import shutil

import pytest

from tcenter.cli import main

from .gate_world import OUTSIDERS, PROJECT_MARKER, STACK, approvals_section, git, make_world

pytestmark = pytest.mark.skipif(shutil.which("ssh-keygen") is None and not os.environ.get("CI"),
                                reason="ssh-keygen (openssh-client) is not installed; scripts/bootstrap.sh installs it")


@pytest.fixture
def world(tmp_path, monkeypatch):
    return make_world(tmp_path, monkeypatch)


def cli(*argv: str) -> int:
    try:
        return main(list(argv))
    except SystemExit as exit:  # argparse: an option tcenter does not have
        return int(exit.code)


def approve(world, org: str, key: str | None = None, *extra: str) -> int:
    return cli("-C", str(world.repo), "approve", STACK, "--key", str(world.keys[key or org][0]), "--org", org, *extra)


def up(world, *extra: str) -> int:
    return cli("-C", str(world.repo), "up", STACK, *extra)


def quorum(world, *extra: str) -> None:
    assert approve(world, "lab", None, *extra) == 0
    assert approve(world, "cert", None, *extra) == 0


def attempt_quorum(world) -> None:
    """Reviewers sign whatever tcenter lets them (refusing to sign is refusing too)."""
    approve(world, "lab")
    approve(world, "cert")


def refused(world, code: int, capsys) -> str:
    err = capsys.readouterr().err
    assert world.ups() == [], f"pulumi up was reached: {world.ups()[0]['argv']}"
    assert code != 0 and "Traceback" not in err
    return err


# --- the honest path -----------------------------------------------------------------------

def test_an_approved_change_reaches_pulumi_in_a_clean_copy_of_the_approved_commit(world):
    quorum(world)
    (world.repo / "__main__.py").write_text("# an uncommitted edit after the approvals\n")
    assert up(world) == 0
    [call] = world.ups()
    # Pulumi ran in the approved commit of the -C project: not tcenter's checkout, not the working tree.
    assert PROJECT_MARKER in call["files"]["Pulumi.yaml"]
    assert call["files"]["__main__.py"] == "# the program under review, version 2\n"
    assert call["cwd"] != str(world.repo)


# --- approve what will run -------------------------------------------------------------------

def test_pulumi_config_in_the_environment_is_refused(world, capsys, monkeypatch):
    quorum(world)
    monkeypatch.setenv("PULUMI_CONFIG", json.dumps({"transparency-center:environment": "dev"}))
    err = refused(world, up(world), capsys)
    assert "PULUMI_CONFIG" in err


def test_one_config_key_in_the_environment_is_refused(world, capsys, monkeypatch):
    quorum(world)
    monkeypatch.setenv("PULUMI_CONFIG_TRANSPARENCY_CENTER_ENVIRONMENT", "dev")
    err = refused(world, up(world), capsys)
    assert "PULUMI_CONFIG_TRANSPARENCY_CENTER_ENVIRONMENT" in err


def test_config_imported_from_an_esc_environment_is_refused(world, capsys):
    world.write_stack(approvals_section(world.keys), extra={"environment": ["vendor/zurich-prod-overrides"]})
    world.commit("config from outside the tree")
    attempt_quorum(world)
    err = refused(world, up(world), capsys)
    assert "environment" in err


def test_a_main_that_the_mock_engine_does_not_plan_is_refused(world, capsys):
    (world.repo / "real").mkdir()
    (world.repo / "real" / "__main__.py").write_text("# what the real engine would run instead\n")
    text = (world.repo / "Pulumi.yaml").read_text()
    (world.repo / "Pulumi.yaml").write_text(text + "main: real/\n")
    world.commit("main points elsewhere")
    attempt_quorum(world)
    err = refused(world, up(world), capsys)
    assert "main" in err


def test_another_commit_with_the_same_mock_plan_is_not_approved(world, capsys):
    """The program can tell the real engine from the mock one: the approvals bind the tree."""
    quorum(world)
    (world.repo / "__main__.py").write_text("import pulumi\nif not pulumi.runtime.is_dry_run(): pass  # do harm\n")
    world.commit("behaves differently under the real engine")
    err = refused(world, up(world), capsys)
    assert "0 of 2" in err


def test_a_policy_pack_outside_the_approved_tree_is_refused(world, capsys, tmp_path):
    quorum(world)
    pack = tmp_path / "remediating-pack"
    pack.mkdir()
    (pack / "PulumiPolicy.yaml").write_text("runtime: python\n")
    err = refused(world, up(world, "--policy-pack", str(pack)), capsys)
    assert "policy pack" in err


def test_a_policy_pack_the_approvals_do_not_name_is_refused(world, capsys):
    (world.repo / "remediate").mkdir()
    (world.repo / "remediate" / "PulumiPolicy.yaml").write_text("runtime: python\n")
    world.commit("a second pack")
    quorum(world)  # approved with the default pack set
    err = refused(world, up(world, "--policy-pack", "remediate"), capsys)
    assert "policy pack" in err


def test_policy_packs_run_at_the_mandatory_level_only(world):
    quorum(world)
    assert up(world) == 0
    [call] = world.ups()
    assert call["argv"][call["argv"].index("--policy-pack") + 1].endswith("policy")
    assert json.loads(call["files"]["--policy-pack-config"]) == {"all": "mandatory"}


def test_minus_c_runs_pulumi_in_that_project_not_in_tcenters_checkout(world):
    from tcenter.core.stackfiles import PROJECT_ROOT

    quorum(world)
    assert up(world) == 0
    [call] = world.ups()
    assert call["cwd"] != str(PROJECT_ROOT) and PROJECT_MARKER in call["files"]["Pulumi.yaml"]


def test_the_gate_does_not_run_from_the_checkout_being_deployed(world, capsys, monkeypatch):
    from tcenter.supply import approvals

    quorum(world)
    monkeypatch.setattr(approvals, "GATE_ROOT", world.repo, raising=False)
    err = refused(world, up(world), capsys)
    assert "trusted" in err


# --- who approves is fixed before the change --------------------------------------------------

def _replace_approvers(world, **stack):
    section = approvals_section(world.keys, orgs=OUTSIDERS)
    world.write_stack(section, **stack)
    world.commit("the change brings its own approvers")
    for org in OUTSIDERS:
        # Signed by the change's own organizations, with whatever base makes tcenter accept them.
        approve(world, org, None, "--base", "HEAD")


def test_a_merged_change_cannot_bring_its_own_approvers(world, capsys):
    _replace_approvers(world)
    git(world.repo, "update-ref", "refs/remotes/origin/main", "HEAD")  # merged: merge-base is HEAD itself
    refused(world, up(world), capsys)


def test_a_callers_base_does_not_choose_the_approvers(world, capsys):
    _replace_approvers(world)
    refused(world, up(world, "--base", "HEAD"), capsys)


def test_switching_prod_to_staging_does_not_drop_the_quorum(world, capsys):
    world.write_stack({"quorum": 0, "organizations": []}, environment="staging")
    world.commit("zurich-prod is staging now")
    git(world.repo, "update-ref", "refs/remotes/origin/main", "HEAD")
    refused(world, up(world), capsys)


def test_a_deployed_record_saying_staging_does_not_drop_prods_quorum(world, capsys):
    world.record_deployed(world.commits[0], environment="staging", section={"quorum": 0, "organizations": []})
    refused(world, up(world), capsys)


def test_one_key_listed_under_two_organizations_counts_once(world, capsys):
    shared = world.keys["lab"][1]
    section = {"quorum": 2, "organizations": [{"name": "lab", "keys": [{"key": shared}]},
                                              {"name": "cert", "keys": [{"key": shared}]}]}
    world.write_stack(section)
    deployed = world.commit("one key, two organizations")
    world.record_deployed(deployed)
    (world.repo / "__main__.py").write_text("# a change approved by one key twice\n")
    world.commit("the change")
    approve(world, "lab", "lab")
    approve(world, "cert", "lab")
    refused(world, up(world), capsys)


# --- freshness -------------------------------------------------------------------------------

def test_approvals_expire(world, capsys, monkeypatch):
    from tcenter.supply import approvals

    quorum(world)
    later = datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=30)
    monkeypatch.setattr(approvals, "utcnow", lambda: later, raising=False)
    err = refused(world, up(world), capsys)
    assert "expired" in err


def test_approvals_cannot_be_replayed_onto_another_base(world, capsys):
    approved = world.commits[-1]
    quorum(world)
    # Something else is deployed after the approvals were made...
    (world.repo / "__main__.py").write_text("# version 3, deployed meanwhile\n")
    world.record_deployed(world.commit("deployed meanwhile"))
    # ...then the earlier approved commit is deployed again (a rollback nobody approved).
    git(world.repo, "checkout", "-q", approved)
    err = refused(world, up(world), capsys)
    assert "base" in err


# --- the result of `tcenter approvals` ----------------------------------------------------------

def test_quorum_not_met_is_a_non_zero_exit(world, capsys):
    from tcenter.core.errors import ExitCode

    assert approve(world, "lab") == 0
    assert main(["-C", str(world.repo), "approvals", STACK]) == ExitCode.NOT_APPROVED == 5
    assert approve(world, "cert") == 0
    assert main(["-C", str(world.repo), "approvals", STACK]) == 0


# --- the change's program runs only once approved, and never inside the gate -------------------

PATCHING_PROGRAM = '''import json, os, sys
gate = sys.modules.get("tcenter.supply.approvals")
if gate is not None:  # in the gate's own process: switch the gate off
    gate.refusal = lambda *args, **kwargs: None
with open({ran!r}, "w") as out:
    json.dump({{"aws": os.environ.get("AWS_SECRET_ACCESS_KEY"), "patched": gate is not None}}, out)
'''


def test_an_unapproved_program_never_runs_not_even_on_the_mock_engine(world, capsys, monkeypatch):
    ran = world.root / "ran.json"
    (world.repo / "__main__.py").write_text(PATCHING_PROGRAM.format(ran=str(ran)))
    world.commit("a program that switches the gate off and reads the deploy credentials")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "the-deploy-roles-secret")
    refused(world, up(world), capsys)
    assert not ran.exists(), f"the unapproved program ran inside the gate: {ran.read_text()}"


def test_an_approved_program_is_planned_without_the_gates_memory_or_credentials(world, monkeypatch):
    ran = world.root / "ran.json"
    (world.repo / "__main__.py").write_text(PATCHING_PROGRAM.format(ran=str(ran)))
    world.commit("an approved program")
    quorum(world)
    ran.unlink(missing_ok=True)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "the-deploy-roles-secret")
    assert up(world) == 0
    assert json.loads(ran.read_text()) == {"aws": None, "patched": False}
