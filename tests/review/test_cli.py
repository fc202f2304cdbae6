"""The `tcenter` command: what a new user runs first, and its errors (one clear message,
an exit code, never a traceback)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tcenter.cli import main
from tcenter.core.errors import ExitCode
from tcenter.plan.workspace import Workspace
from tcenter.render import diagram
from tcenter.core.stackfiles import PROJECT_ROOT


def _run(*args: str, cwd: Path = PROJECT_ROOT) -> subprocess.CompletedProcess:
    """The installed entry point's code, as a user runs it (a fresh interpreter)."""
    return subprocess.run([sys.executable, "-m", "tcenter", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300)


def _no_traceback(run: subprocess.CompletedProcess) -> None:
    assert "Traceback" not in run.stderr + run.stdout


def test_review_writes_plan_reachability_and_diagram(tmp_path, capsys):
    out = tmp_path / "dev"
    assert main(["review", "dev", "--out-dir", str(out)]) == 0
    printed = capsys.readouterr().out
    plan = json.loads((out / "plan.json").read_text())
    assert plan["stack"] == "dev" and plan["resources"]
    assert "Reachability of dev" in printed and "resources per zone" in printed
    assert json.loads((out / "reach.json").read_text())["sources"]
    if shutil.which("dot"):
        assert (out / "architecture.png").stat().st_size > 0 and (out / "architecture.svg").stat().st_size > 0


def test_review_without_graphviz_says_how_to_install_it_and_renders_the_rest(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(diagram.shutil, "which", lambda name: None)
    assert main(["review", "dev", "--out-dir", str(tmp_path)]) == 0
    captured = capsys.readouterr()
    assert "apt-get install graphviz" in captured.err
    assert (tmp_path / "plan.json").exists() and not (tmp_path / "architecture.png").exists()
    assert main(["diagram", str(tmp_path / "plan.json"), "--out-dir", str(tmp_path)]) == ExitCode.UNAVAILABLE


def test_unknown_stack_is_one_message():
    run = _run("plan", "no-such-stack")
    assert run.returncode == ExitCode.ERROR
    assert "no stack 'no-such-stack'" in run.stderr and "dev" in run.stderr
    _no_traceback(run)


def _project_copy(tmp_path: Path) -> Path:
    """The project with its own stacks/ folder, so a broken stack file stays out of the repo."""
    project = tmp_path / "project"
    project.mkdir()
    for name in ("Pulumi.yaml", "__main__.py", "components", "templates"):
        if (PROJECT_ROOT / name).exists():
            (project / name).symlink_to(PROJECT_ROOT / name)
    (project / "stacks").mkdir()
    return project


def test_broken_config_prints_the_config_error_lines(tmp_path):
    project = _project_copy(tmp_path)
    document = yaml.safe_load((PROJECT_ROOT / "stacks" / "Pulumi.dev.yaml").read_text())
    document["config"]["transparency-center:network"]["supernet"] = "10.40.0.0/33"
    document["config"]["transparency-center:colour"] = "blue"
    (project / "stacks" / "Pulumi.broken.yaml").write_text(yaml.safe_dump(document))
    run = _run("-C", str(project), "plan", "broken")
    assert run.returncode == ExitCode.ERROR
    assert "transparency-center:colour" in run.stderr
    _no_traceback(run)


def test_invalid_yaml_is_one_message(tmp_path):
    project = _project_copy(tmp_path)
    (project / "stacks" / "Pulumi.bad.yaml").write_text("config: [unclosed\n")
    run = _run("-C", str(project), "reach", "bad")
    assert run.returncode == ExitCode.ERROR and "not valid YAML" in run.stderr
    _no_traceback(run)


def test_unknown_git_revision_is_one_message():
    run = _run("diff", "--git", "no-such-revision-42", "--stack", "dev")
    assert run.returncode == ExitCode.ERROR
    assert "unknown git revision 'no-such-revision-42'" in run.stderr
    _no_traceback(run)


def test_not_a_plan_file_and_usage_errors(tmp_path):
    bogus = tmp_path / "bogus.json"
    bogus.write_text(json.dumps({"hello": "world"}))
    run = _run("diff", str(bogus), str(bogus))
    assert run.returncode == ExitCode.ERROR and "not a transparency-center-plan" in run.stderr
    _no_traceback(run)
    assert _run("diff").returncode == ExitCode.USAGE
    assert _run("export", "dev", "--format", "cloudformation").returncode == ExitCode.USAGE
    assert _run("frobnicate").returncode == ExitCode.USAGE


@pytest.mark.slow
def test_diff_of_a_git_revision_against_the_working_tree(tmp_path):
    """The committed HEAD, planned in a temporary copy, against the working tree."""
    if subprocess.run(["git", "rev-parse", "HEAD"], cwd=PROJECT_ROOT, capture_output=True).returncode != 0:
        pytest.skip("not a git checkout with commits")
    run = _run("diff", "--git", "HEAD", "--stack", "dev", "--format", "json")
    _no_traceback(run)
    if run.returncode == ExitCode.ERROR and "at revision HEAD" in run.stderr:
        # A developer's HEAD may predate a fix; CI's HEAD is the commit under test and must plan.
        if os.environ.get("CI") == "true":
            pytest.fail(f"HEAD's own program does not plan: {run.stderr.strip()[:300]}")
        pytest.skip(f"HEAD's own program does not plan: {run.stderr.strip()[:300]}")
    assert run.returncode in (0, 1, 2), run.stderr
    report = json.loads(run.stdout)
    assert report["base"] == "dev@HEAD" and report["head"] == "dev (working tree)"
    assert report["exitCode"] == run.returncode


def test_export_writes_a_terraform_plan(tmp_path, plan_of):
    source = tmp_path / "plan.json"
    source.write_text(json.dumps(plan_of("dev")))
    target = tmp_path / "tf.json"
    assert main(["export", str(source), "--format", "terraform-plan", "-o", str(target)]) == 0
    assert json.loads(target.read_text())["planned_values"]["root_module"]["resources"]


def test_a_crashing_program_is_one_message_naming_where(tmp_path):
    project = _project_copy(tmp_path)
    (project / "__main__.py").unlink()
    (project / "__main__.py").write_text("raise RuntimeError('planted failure')\n")
    shutil.copy(PROJECT_ROOT / "stacks" / "Pulumi.dev.yaml", project / "stacks" / "Pulumi.dev.yaml")
    run = _run("-C", str(project), "plan", "dev")
    assert run.returncode == ExitCode.ERROR
    assert "RuntimeError: planted failure" in run.stderr and "__main__.py:1" in run.stderr
    _no_traceback(run)


def test_two_git_revisions_of_the_same_commit_have_no_changes():
    if subprocess.run(["git", "rev-parse", "HEAD"], cwd=PROJECT_ROOT, capture_output=True).returncode != 0:
        pytest.skip("not a git checkout with commits")
    run = _run("diff", "--git", "HEAD", "--git", "HEAD", "--stack", "dev")
    _no_traceback(run)
    if run.returncode == ExitCode.ERROR and "at revision HEAD" in run.stderr:
        # A developer's HEAD may predate a fix; CI's HEAD is the commit under test and must plan.
        if os.environ.get("CI") == "true":
            pytest.fail(f"HEAD's own program does not plan: {run.stderr.strip()[:300]}")
        pytest.skip(f"HEAD's own program does not plan: {run.stderr.strip()[:300]}")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "No changes" in run.stdout


def _git_in(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", *args], cwd=repo, check=True,
                   capture_output=True)


def test_a_revision_is_planned_with_its_own_components(tmp_path):
    """A change in component code (not config) shows in `diff --git`: the revision's program
    runs with the revision's `components`, not with the copy tcenter itself imported."""
    repo = tmp_path / "repo"
    repo.mkdir()
    archive = subprocess.run(["git", "archive", "--format=tar", "HEAD"], cwd=PROJECT_ROOT, capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", str(repo)], input=archive.stdout, check=True)
    _git_in(repo, "init", "-q")
    _git_in(repo, "add", "-A")
    _git_in(repo, "commit", "-qm", "base")
    audit = repo / "components" / "audit.py"
    text = audit.read_text()
    planted = "a planted description only this revision has"
    assert ': audit logs, flow logs, session logs, CloudTrail"' in text
    audit.write_text(text.replace(': audit logs, flow logs, session logs, CloudTrail"', f': {planted}"'))
    _git_in(repo, "commit", "-qam", "change a component")
    descriptions = {}
    for revision in ("HEAD~1", "HEAD"):
        plan = Workspace(repo).plan_at(revision, "dev")
        (key,) = [r for r in plan["resources"] if r["type"] == "aws:kms/key:Key" and r["name"] == "tc-audit-key-key"]
        descriptions[revision] = key["inputs"]["description"]
    assert planted not in descriptions["HEAD~1"]
    assert planted in descriptions["HEAD"]


def test_the_documented_exit_codes_are_the_exit_code_table():
    """docs/review.md's table lists every code of tcenter.core.errors.ExitCode, and no other."""
    import re

    text = (PROJECT_ROOT / "docs" / "review.md").read_text()
    table = text[text.index("## Exit codes"):text.index("\n## ", text.index("## Exit codes") + 5)]
    documented = set()
    for cell in re.findall(r"^\| ([\d-]+) \|", table, re.M):
        low, _, high = cell.partition("-")
        documented |= set(range(int(low), int(high or low) + 1))
    assert documented == {int(code) for code in ExitCode}


def test_the_readme_shows_the_config_error_the_code_prints(tmp_path):
    """README's example is produced the way it says: the dev stack with those two values."""
    import re

    readme = (PROJECT_ROOT / "README.md").read_text()
    block = re.search(r"```\n\$ \.venv/bin/tcenter plan dev\n(.*?)\n```", readme, re.S)
    assert block, "README lost its config-error example"
    project = _project_copy(tmp_path)
    values = yaml.safe_load((PROJECT_ROOT / "stacks" / "Pulumi.dev.yaml").read_text())
    values["config"]["aws:region"] = "eu-west-1"
    for pool in values["config"]["transparency-center:build"]["pools"]:
        if pool["name"] == "products":
            pool["instanceType"] = "p5.48xlarge"
    (project / "stacks" / "Pulumi.dev.yaml").write_text(yaml.safe_dump(values))
    run = _run("-C", str(project), "plan", "dev")
    assert run.returncode == ExitCode.ERROR and run.stdout == ""
    expected = re.escape(block.group(1)).replace(re.escape("[...]"), r"\[[^\]]*\]")
    assert re.fullmatch(expected, run.stderr.strip()), run.stderr
