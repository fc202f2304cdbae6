"""`tcenter intake lint|approve|approvals|publish|verify` and `tcenter capacity`, through tcenter's
CLI (`-C` a git repository holding the stacks), with real SSH keys, a deployment ledger whose
head names the approvers, a transparency log in a directory whose sequencer and witnesses the
test plays, and moto's server for the intake bucket (pending log entries, the published set)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tcenter.cli import main
from tcenter.core.stackfiles import PROJECT_ROOT, load_stack_values
from tcenter.intake import approval, rules
from tests.intake.conftest import LOG_ORIGIN, RULE_SET_PATH, RULES_BUCKET, make_log, needs_ssh_keygen

STACK = "staging"
WITNESSES = {"review-lab": "lab", "audit-firm": "cert"}
"""staging's witness organizations (they must be reviewer organizations) -> the test witness playing each."""


def run(argv: list[str], capsys, project: Path | None = None) -> tuple[int, str, str]:
    try:
        code = main([*(["-C", str(project)] if project else []), *argv])
    except SystemExit as exit_:
        code = exit_.code
    out, err = capsys.readouterr()
    return code, out, err


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-c", "user.email=t@t", "-c", "user.name=t", *args], cwd=repo, check=True,
                          capture_output=True, text=True).stdout.strip()


@pytest.fixture
def repo(tmp_path: Path, orgs) -> dict:
    """A project whose staging stack names two approving organizations, a rule-set quorum of 2, and
    the test witnesses; committed, and deployed once (a ledger record names that commit)."""
    from tcenter.supply import ledger as ledgers

    root = tmp_path / "repo"
    (root / "stacks").mkdir(parents=True)
    shutil.copy(PROJECT_ROOT / "Pulumi.yaml", root / "Pulumi.yaml")
    shutil.copy(PROJECT_ROOT / "stacks" / "Pulumi.zurich-prod.yaml", root / "stacks" / "Pulumi.zurich-prod.yaml")
    log = make_log(tmp_path / "tlog", tuple(WITNESSES.values()))
    values = load_stack_values(STACK)
    section = {"quorum": 0, "organizations": [{"name": org.name, "keys": [k.model_dump() for k in org.keys]}
                                               for org in orgs.approvers.organizations]}
    values["transparency-center:approvals"] = section
    values["transparency-center:intake"]["ruleSetQuorum"] = 2
    values["transparency-center:transparency"]["witnesses"] = [
        {"organization": org, "keys": [log.witnesses[player].signer.verifier().vkey]} for org, player in WITNESSES.items()]
    (root / "stacks" / f"Pulumi.{STACK}.yaml").write_text(yaml.safe_dump({"config": values}))
    _git(root, "init", "-q")
    _git(root, "add", ".")
    _git(root, "commit", "-q", "-m", "base")
    commit = _git(root, "rev-parse", "HEAD")
    ledger = ledgers.FileLedger(tmp_path / "ledger")
    ledger.append(STACK, ledgers.new_record(STACK, None, commit=commit, tree=_git(root, "rev-parse", "HEAD^{tree}"),
                                            environment="staging", approvals=section, extra={}))
    ruleset = tmp_path / "rules.yaml"
    ruleset.write_text(RULE_SET_PATH.read_text())
    return {"root": root, "commit": commit, "ruleset": ruleset, "ledger": ledger, "log": log, "section": section,
            "options": ["--stack", STACK, "--ledger", f"file://{tmp_path / 'ledger'}"]}


def intake(repo: dict, command: str, *extra: str) -> list[str]:
    return ["intake", command, str(repo["ruleset"]), *repo["options"], *extra]


@needs_ssh_keygen
def test_approve_until_the_quorum_then_publish_once_logged_and_cosigned(repo, orgs, capsys, monkeypatch, world,
                                                                        tmp_path):
    project, log = repo["root"], repo["log"]
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAINTAKETESTKEY000")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "intake-test-secret")
    publish = intake(repo, "publish", "--log", f"file://{log.storage.root}", "--log-key", log.verifier.vkey,
                     "--bucket", RULES_BUCKET, "--endpoint-url", world.endpoint, "-o", str(tmp_path / "bundle.json"))
    s3 = world.client("s3")
    before = s3.get_object(Bucket=RULES_BUCKET, Key="rules/approved.json")["Body"].read()

    code, out, _ = run(intake(repo, "approvals"), capsys, project)
    assert code == 5 and "0 of 2" in out and "NOT met" in out
    code, _, err = run(publish, capsys, project)
    assert code == 5 and "refusing to publish" in err and "\n" not in err.strip()

    for org, key in (("lab", "lab"), ("cert", "cert")):
        code, out, _ = run(intake(repo, "approve", "--key", str(orgs.keys[key]), "--org", org), capsys, project)
        assert code == 0 and f"as {org}" in out and "deployed base #1" in out
    digest = rules.digest(rules.load(repo["ruleset"]))
    assert sorted(a.organization for a in approval.read_approvals(project, STACK, digest)) == ["cert", "lab"]
    code, out, _ = run(intake(repo, "approvals"), capsys, project)
    assert code == 0 and "2 of 2 - quorum met" in out

    # Approved, not logged: the entry is left for the sequencer; nothing is published.
    code, out, err = run(publish, capsys, project)
    assert code == 17 and "not in the log yet" in err and "left for the sequencer" in out
    pending = s3.list_objects_v2(Bucket=RULES_BUCKET, Prefix="rules/log-pending/")["Contents"]
    assert len(pending) == 1
    assert s3.get_object(Bucket=RULES_BUCKET, Key="rules/approved.json")["Body"].read() == before
    # The sequencer appends it; until two witness organizations cosign, still nothing is published.
    entry = s3.get_object(Bucket=RULES_BUCKET, Key=pending[0]["Key"])["Body"].read()
    log.add(entry, cosigners=())
    code, _, err = run(publish, capsys, project)
    assert code == 18 and "witness organizations" in err
    log.cosign(("lab",))
    assert run(publish, capsys, project)[0] == 18
    log.cosign(("lab", "cert"))
    code, out, err = run(publish, capsys, project)
    assert code == 0, err
    assert "cosigned by audit-firm, review-lab" in out and "approved by cert, lab" in out
    published = json.loads(s3.get_object(Bucket=RULES_BUCKET, Key="rules/approved.json")["Body"].read())
    assert published == json.loads((tmp_path / "bundle.json").read_text()) and published["digest"] == digest
    # the history keeps the first bundle of this set (the world published one of stack 'test'): write-once
    history = json.loads(s3.get_object(Bucket=RULES_BUCKET, Key=f"rules/sets/{digest[7:]}.json")["Body"].read())
    assert history["digest"] == digest and "already held it" in out

    code, out, err = run(["intake", "verify", str(tmp_path / "bundle.json"), *repo["options"],
                          "--log-key", log.verifier.vkey], capsys, project)
    assert code == 0 and out.startswith("VERIFIED") and "review-lab" in out, err
    unlogged = {**published, "log": None}
    (tmp_path / "unlogged.json").write_text(json.dumps(unlogged))
    code, _, err = run(["intake", "verify", str(tmp_path / "unlogged.json"), *repo["options"],
                        "--log-key", log.verifier.vkey], capsys, project)
    assert code == 17 and "not logged" in err


@needs_ssh_keygen
def test_publish_appends_itself_to_a_log_it_sequences(repo, orgs, capsys, tmp_path):
    """dev and tests: with the log's signer key, publish appends the entry as the sequencer would."""
    project, log = repo["root"], repo["log"]
    for org in ("lab", "cert"):
        assert run(intake(repo, "approve", "--key", str(orgs.keys[org]), "--org", org), capsys, project)[0] == 0
    signer = tmp_path / "log.key"
    signer.write_text(log.signer.skey + "\n")
    argv = intake(repo, "publish", "--log", f"file://{log.storage.root}", "--log-key", log.verifier.vkey,
                  "--log-signer", str(signer), "-o", str(tmp_path / "bundle.json"))
    code, out, err = run(argv, capsys, project)
    assert code == 18 and "appended as entry 0" in out, err  # logged; no witness cosigned yet
    log.log = type(log.log)(log.storage, LOG_ORIGIN, log.signer, log.verifier)  # the test's sequencer reloads
    log.cosign(("lab", "cert"))
    code, out, err = run(argv, capsys, project)
    assert code == 0 and "entry 0 of" in out, err


@needs_ssh_keygen
def test_an_approval_against_an_older_base_or_in_the_plan_namespace_does_not_count(repo, orgs, capsys):
    from tcenter.supply import ledger as ledgers

    project = repo["root"]
    assert run(intake(repo, "approve", "--key", str(orgs.keys["lab"]), "--org", "lab"), capsys, project)[0] == 0
    # cert signs the same statement in the plan approvals' namespace
    rule_set = rules.load(repo["ruleset"])
    directory = approval.approvals_directory(project, STACK, rules.digest(rule_set))
    statement = json.loads((directory / "lab.json").read_bytes())
    statement["organization"] = "cert"
    body = approval.statement_bytes(statement)
    (directory / "cert.json").write_bytes(body)
    done = subprocess.run(["ssh-keygen", "-Y", "sign", "-f", str(orgs.keys["cert"]), "-n", "transparency-center-plan@v1"],
                          input=body, capture_output=True, check=True)
    (directory / "cert.sig").write_bytes(done.stdout)
    code, out, _ = run(intake(repo, "approvals"), capsys, project)
    assert code == 5 and "1 of 2" in out and "cert: signature unreadable, altered or in another namespace" in out

    head = repo["ledger"].head(STACK)
    repo["ledger"].append(STACK, ledgers.new_record(STACK, head, commit=repo["commit"], tree="t", environment="staging",
                                                    approvals=repo["section"], extra={}))
    code, out, _ = run(intake(repo, "approvals"), capsys, project)
    assert code == 5 and "0 of 2" in out and "lab: made against another base" in out


@needs_ssh_keygen
def test_approve_refuses_an_unknown_organization_a_long_validity_and_a_lint_failing_set(repo, orgs, capsys):
    project = repo["root"]
    code, _, err = run(intake(repo, "approve", "--key", str(orgs.keys["stranger"]), "--org", "stranger"), capsys, project)
    assert code == 3 and "'stranger' is not an approving organization" in err
    # a key its organization does not list (or lists revoked) is refused before anything is signed
    code, _, err = run(intake(repo, "approve", "--key", str(orgs.keys["stranger"]), "--org", "lab"), capsys, project)
    assert code == 3 and "is not one of lab's keys" in err
    code, _, err = run(intake(repo, "approve", "--key", str(orgs.keys["old"]), "--org", "lab"), capsys, project)
    assert code == 3 and "revoked key of lab" in err and not list(project.glob("approvals/**/*.sig"))
    code, _, err = run(intake(repo, "approve", "--key", str(orgs.keys["lab"]), "--org", "lab", "--valid-days", "30"),
                       capsys, project)
    assert code == 3 and "--valid-days must be 1..3" in err
    bad = yaml.safe_load(repo["ruleset"].read_text())
    bad["rules"][0]["fileTypes"] = ["xlsx"]
    repo["ruleset"].write_text(yaml.safe_dump(bad))
    code, _, err = run(intake(repo, "approve", "--key", str(orgs.keys["lab"]), "--org", "lab"), capsys, project)
    assert code == 3 and "'xlsx' is a document type" in err and not list(project.glob("approvals/**/*.sig"))


def test_a_prod_stacks_rule_sets_need_the_ledger_and_a_deployed_stack(repo, capsys, tmp_path):
    project = repo["root"]
    code, _, err = run(["intake", "approvals", str(repo["ruleset"]), "--stack", "zurich-prod"], capsys, project)
    assert code == 3 and "deployment ledger" in err and err.count("\n") == 1
    code, _, err = run(["intake", "approvals", str(repo["ruleset"]), "--stack", "zurich-prod", "--ledger",
                        f"file://{tmp_path / 'ledger'}"], capsys, project)
    assert code == 3 and "holds no deployment of zurich-prod" in err


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
