"""`tcenter intake lint|approve|approvals|bundle|publish` and `tcenter capacity`, through the parser
`register` builds (the lead wires it into tcenter.cli), with real SSH keys, a git repository whose
base revision names the approvers, and moto's server for publishing."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import yaml

from tcenter.core.stackfiles import load_stack_values
from tcenter.intake import approval, commands, rules
from tests.intake.conftest import RULE_SET_PATH, RULES_BUCKET, needs_ssh_keygen

STACK = "staging"


def run(argv: list[str], capsys) -> tuple[int, str, str]:
    code = commands.main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-c", "user.email=t@t", "-c", "user.name=t", *args], cwd=repo, check=True,
                          capture_output=True, text=True).stdout.strip()


@pytest.fixture
def repo(tmp_path: Path, orgs) -> dict:
    """A checkout whose base revision has the staging stack with two approving organizations and a
    rule-set quorum of 2."""
    root = tmp_path / "repo"
    (root / "stacks").mkdir(parents=True)
    _git(root, "init", "-q")
    values = load_stack_values(STACK)
    values["transparency-center:approvals"] = {"quorum": 0, "organizations": [
        {"name": org.name, "keys": [k.model_dump() for k in org.keys]} for org in orgs.approvers.organizations]}
    values["transparency-center:intake"]["ruleSetQuorum"] = 2
    (root / "stacks" / f"Pulumi.{STACK}.yaml").write_text(yaml.safe_dump({"config": values}))
    _git(root, "add", "stacks")
    _git(root, "commit", "-q", "-m", "base")
    ruleset = root / "rules.yaml"
    ruleset.write_text(RULE_SET_PATH.read_text())
    return {"root": root, "base": _git(root, "rev-parse", "HEAD"), "ruleset": ruleset}


@needs_ssh_keygen
def test_approve_until_the_quorum_then_bundle_and_publish(repo, orgs, capsys, monkeypatch, world):
    monkeypatch.setattr(commands, "REPO_ROOT", repo["root"])
    code, out, _ = run(["intake", "approvals", str(repo["ruleset"]), "--stack", STACK, "--base", repo["base"]], capsys)
    assert code == 5 and "0 of 2" in out and "NOT met" in out
    code, _, err = run(["intake", "bundle", str(repo["ruleset"]), "--stack", STACK, "--base", repo["base"], "-o",
                        str(repo["root"] / "b.json")], capsys)
    assert code == 5 and "refusing to bundle or publish" in err and "\n" not in err.strip()

    for org, key in (("lab", "lab"), ("cert", "cert")):
        code, out, _ = run(["intake", "approve", str(repo["ruleset"]), "--stack", STACK, "--base", repo["base"],
                            "--key", str(orgs.keys[key]), "--org", org], capsys)
        assert code == 0 and f"as {org}" in out
    digest = rules.digest(rules.load(repo["ruleset"]))
    assert sorted(approval.read_signatures(repo["root"], digest)) == ["cert", "lab"]
    code, out, _ = run(["intake", "approvals", str(repo["ruleset"]), "--stack", STACK, "--base", repo["base"]], capsys)
    assert code == 0 and "2 of 2 - quorum met" in out

    bundle_path = repo["root"] / "bundle.json"
    code, _, _ = run(["intake", "bundle", str(repo["ruleset"]), "--stack", STACK, "--base", repo["base"], "-o",
                      str(bundle_path)], capsys)
    assert code == 0
    bundle = json.loads(bundle_path.read_text())
    assert approval.verify_bundle(bundle, orgs.approvers, 2) is not None and bundle["digest"] == digest

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAINTAKETESTKEY000")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "intake-test-secret")
    code, out, err = run(["intake", "publish", str(repo["ruleset"]), "--stack", STACK, "--base", repo["base"],
                          "--bucket", RULES_BUCKET, "--endpoint-url", world.endpoint], capsys)
    assert code == 0, err
    s3 = world.client("s3")
    published = json.loads(s3.get_object(Bucket=RULES_BUCKET, Key="rules/approved.json")["Body"].read())
    assert published == bundle
    history = s3.get_object(Bucket=RULES_BUCKET, Key=f"rules/sets/{digest.removeprefix('sha256:')}.json")
    assert json.loads(history["Body"].read())["digest"] == digest


@needs_ssh_keygen
def test_a_plan_approval_never_counts_for_a_rule_set(repo, orgs, capsys, monkeypatch):
    """The same keys sign plans in another namespace: such a signature over the rule set's bytes is refused."""
    monkeypatch.setattr(commands, "REPO_ROOT", repo["root"])
    rule_set = rules.load(repo["ruleset"])
    message = repo["root"] / "message"
    message.write_bytes(rules.canonical_bytes(rule_set))
    directory = approval.approvals_directory(repo["root"], rules.digest(rule_set))
    directory.mkdir(parents=True)
    for org in ("lab", "cert"):
        subprocess.run(["ssh-keygen", "-Y", "sign", "-f", str(orgs.keys[org]), "-n", "transparency-center-plan@v1",
                        str(message)], check=True, capture_output=True)
        (directory / f"{org}.sig").write_bytes(Path(f"{message}.sig").read_bytes())
        Path(f"{message}.sig").unlink()
    code, out, _ = run(["intake", "approvals", str(repo["ruleset"]), "--stack", STACK, "--base", repo["base"]], capsys)
    assert code == 5 and "0 of 2" in out and out.count("another namespace") == 2


@needs_ssh_keygen
def test_approve_refuses_an_unknown_organization_and_a_lint_failing_set(repo, orgs, capsys, monkeypatch):
    monkeypatch.setattr(commands, "REPO_ROOT", repo["root"])
    code, _, err = run(["intake", "approve", str(repo["ruleset"]), "--stack", STACK, "--base", repo["base"],
                        "--key", str(orgs.keys["stranger"]), "--org", "stranger"], capsys)
    assert code == 3 and "'stranger' is not an approving organization" in err
    bad = yaml.safe_load(repo["ruleset"].read_text())
    bad["rules"][0]["fileTypes"] = ["xlsx"]
    repo["ruleset"].write_text(yaml.safe_dump(bad))
    code, _, err = run(["intake", "approve", str(repo["ruleset"]), "--stack", STACK, "--base", repo["base"],
                        "--key", str(orgs.keys["lab"]), "--org", "lab"], capsys)
    assert code == 3 and "'xlsx' is a document type" in err and not list(repo["root"].glob("approvals/**/*.sig"))


def test_lint_exit_codes_and_one_line(tmp_path, capsys):
    code, out, _ = run(["intake", "lint", str(RULE_SET_PATH), "--stack", "zurich-prod"], capsys)
    assert code == 0 and "no problem" in out
    bad = yaml.safe_load(RULE_SET_PATH.read_text())
    bad["rules"][1]["keywords"] = ["secret"]
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(bad))
    code, _, err = run(["intake", "lint", str(path)], capsys)
    assert code == 3 and err.count("\n") == 1 and "rule elf-heuristic-backdoor: keywords:" in err
    code, _, err = run(["intake", "lint", str(tmp_path / "missing.yaml")], capsys)
    assert code == 3 and "missing.yaml" in err


def test_capacity_of_zurich_prod_for_50_million_clients(capsys):
    code, out, _ = run(["capacity", "zurich-prod"], capsys)
    assert code == 0 and "50,000,000 clients" in out
    code, out, _ = run(["capacity", "zurich-prod", "--format", "json"], capsys)
    data = json.loads(out)
    values = load_stack_values("zurich-prod")["transparency-center:intake"]["capacity"]
    per_day = values["lookupsPerClientPerDay"] + values["uploadsPerClientPerDay"]
    mean = sum(values["clients"].values()) * per_day / 86400
    assert abs(data["total"]["meanRequestsPerSecond"] - mean) < 1e-6
    assert 13800 < mean < 14000, "50 M clients at one lookup an hour is about 13.9k requests/s"
    quotas = {q["code"]: q for q in data["quotas"]}
    api = quotas["L-8A5B8E43"]
    assert api["default"] == 2500 and api["increaseRequested"] >= mean * values["peakFactor"]
    lam = quotas["L-B99A9384"]
    assert lam["default"] == 1000 and lam["increaseRequested"] >= mean * values["peakFactor"] * values["brokerMilliseconds"] / 1000
    for region in data["regions"]:
        assert region["throttleRate"] >= region["peakRequestsPerSecond"]
        assert region["reservedConcurrency"] >= region["peakRequestsPerSecond"] * values["brokerMilliseconds"] / 1000
        assert region["s3Partitions"] * 3500 >= region["peakUploadsPerSecond"]


def test_capacity_of_a_stack_without_an_intake_is_one_line(capsys):
    code, _, err = run(["capacity", "local"], capsys)
    assert code == 3 and "declares no transparency-center:intake" in err and err.count("\n") == 1
